"""Forms of the invite-link dashboard pages: they parse input; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from privtraffic.tenancy.models import Membership, Store

DATETIME_LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


class _InviteFieldsForm(forms.Form):
    expires_at = forms.DateTimeField(
        label=_("Expires"), required=False, input_formats=[DATETIME_LOCAL_FORMAT, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL_FORMAT),
        help_text=_("Leave empty for a link that never expires. In the brand's time zone."),
    )
    max_uses = forms.IntegerField(label=_("Max uses"), required=False, min_value=1,
                                  help_text=_("Leave empty for unlimited."))
    label = forms.CharField(label=_("Label"), max_length=120, required=False,
                            help_text=_("Where the link or QR code is used, e.g. \"Till poster\"."))
    campaign_label = forms.CharField(label=_("Campaign"), max_length=120, required=False)
    store = forms.ModelChoiceField(label=_("Store"), queryset=Store.objects.none(), required=False,
                                   empty_label=_("Same as the group or rep"),
                                   help_text=_("The store credited with customers who join through this link."))

    def __init__(self, *args, stores, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = stores


class GroupInviteForm(_InviteFieldsForm):
    """A link (and QR code) to join one group."""


class RepInviteForm(_InviteFieldsForm):
    """A link that makes a rep the customer's shopping assistant."""

    rep = forms.ModelChoiceField(label=_("Rep"), queryset=Membership.objects.none())
    field_order = ["rep", "expires_at", "max_uses", "label", "campaign_label", "store"]

    def __init__(self, *args, reps, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rep"].queryset = reps
        self.fields["rep"].label_from_instance = _rep_label
        first_two = list(reps[:2])
        if len(first_two) == 1:
            self.fields["rep"].initial = first_two[0].pk
            self.fields["rep"].empty_label = None


def _rep_label(rep: Membership) -> str:
    return f"{rep.user.display_name} ({rep.store.name})" if rep.store_id else rep.user.display_name


class RevokeForm(forms.Form):
    invite_id = forms.IntegerField(min_value=1)
