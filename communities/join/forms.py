from django import forms
from django.utils.translation import gettext_lazy as _


class JoinForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=150)
    email = forms.EmailField(label=_("Email"), max_length=254, help_text=_("We send a one-time code to this address."))
    consent_chat = forms.BooleanField(
        label=_("Let the brand chat with me here"), required=True,
        error_messages={"required": _("Chat needs your consent: tick the box to join.")},
    )
    consent_promotions = forms.BooleanField(label=_("Send me offers and promotions (optional)"), required=False)


class JoinAsKnownUserForm(JoinForm):
    """A signed-in person new to this brand: we know the email already."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["email"]
