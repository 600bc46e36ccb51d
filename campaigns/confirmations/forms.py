from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import RepTask


class GreetingForm(forms.Form):
    greeting = forms.CharField(
        label=_("Your greeting"), required=False, max_length=RepTask._meta.get_field("greeting").max_length,
        help_text=_("Sent before the message. You may use {first_name}, {rep_name} and {store_name}."),
        widget=forms.TextInput(attrs={"placeholder": _("Hi {first_name}, it's {rep_name}!")}))
