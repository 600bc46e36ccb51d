"""Forms of the customer dashboard pages: they parse input; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from privtraffic.tenancy.models import Membership


class RepChoiceField(forms.ModelChoiceField):
    """Reps shown as "Name · Store" (the queryset selects user and store)."""

    def label_from_instance(self, obj: Membership) -> str:
        label = obj.user.display_name
        if obj.store_id:
            label = f"{label} · {obj.store.name}"
        if not obj.is_active:
            label = _("%(label)s (deactivated)") % {"label": label}
        return label


class CustomerReassignForm(forms.Form):
    rep = RepChoiceField(label=_("New rep"), queryset=Membership.objects.none(), empty_label=None)

    def __init__(self, *args, reps, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rep"].queryset = reps


class CustomersTransferForm(forms.Form):
    from_rep = RepChoiceField(label=_("Move every customer of"), queryset=Membership.objects.none(),
                              help_text=_("For example a rep who is leaving. Deactivated reps are listed too."))
    to_rep = RepChoiceField(label=_("To"), queryset=Membership.objects.none(),
                            help_text=_("Each customer is told in their chat who their new rep is."))

    def __init__(self, *args, from_reps, to_reps, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["from_rep"].queryset = from_reps
        self.fields["to_rep"].queryset = to_reps

    def clean(self):
        data = super().clean()
        if data.get("from_rep") is not None and data.get("from_rep") == data.get("to_rep"):
            self.add_error("to_rep", _("Choose a different rep to receive the customers."))
        return data
