from django import forms
from django.utils.translation import gettext_lazy as _


class CustomerEraseForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I understand: the name, email, phone and login are removed for good, and this cannot be undone."),
        error_messages={"required": _("Tick the box to confirm.")},
    )
