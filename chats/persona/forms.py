from django import forms
from django.utils.translation import gettext_lazy as _

from .services import BIO_MAX, NAME_MAX


class PersonaForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=NAME_MAX,
                           help_text=_("What customers see, like a shopping assistant's name."))
    bio = forms.CharField(label=_("Short bio"), max_length=BIO_MAX, required=False,
                          widget=forms.Textarea(attrs={"rows": 2}))
    avatar = forms.FileField(label=_("Avatar"), required=False,
                             widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/gif,image/webp"}),
                             help_text=_("A square PNG, JPEG, GIF or WebP image, at most 5 MB."))
    remove_avatar = forms.BooleanField(label=_("Remove the avatar"), required=False)
