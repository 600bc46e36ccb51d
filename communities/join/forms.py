from django import forms
from django.utils.translation import gettext_lazy as _

from .phone import code_clean, phone_normalize


class JoinForm(forms.Form):
    """Two taps: a name and the consent to chat (promotions stay optional and unticked)."""

    name = forms.CharField(label=_("Your name"), max_length=150)
    consent_chat = forms.BooleanField(
        label=_("Let the brand chat with me here"), required=True,
        error_messages={"required": _("Chat needs your consent: tick the box to join.")},
    )
    consent_promotions = forms.BooleanField(label=_("Send me offers and promotions (optional)"), required=False)


class SecureForm(forms.Form):
    """The optional later step: an address to confirm with an emailed code."""

    email = forms.EmailField(label=_("Email"), max_length=254,
                             help_text=_("We send a one-time code to this address."))


class SecureCodeForm(forms.Form):
    code = forms.CharField(label=_("The code from the email"), max_length=20)


class PhoneForm(forms.Form):
    """The phone route: a mobile number to confirm with a texted code (read into E.164; +86 when no country
    code is given)."""

    phone = forms.CharField(label=_("Mobile number"), max_length=32,
                            help_text=_("We text a 6-digit code to this number."),
                            widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}))

    def clean_phone(self) -> str:
        return phone_normalize(self.cleaned_data["phone"])


class PhoneCodeForm(forms.Form):
    code = forms.CharField(label=_("The code from the text message"), max_length=12,
                           widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}))

    def clean_code(self) -> str:
        return code_clean(self.cleaned_data["code"])
