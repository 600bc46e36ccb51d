"""Forms of the group and member dashboard pages: they parse input; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from privtraffic.tenancy.models import Membership, Store
from privtraffic.uploads import clean_image_upload

from ..models import MAX_GROUP_CAPACITY, VipGroup

CAPACITY_ERROR = _("Capacity must be between 1 and 500.")
MUTE_DURATIONS = {"1h": 1, "24h": 24, "7d": 24 * 7}  # hours


class GroupForm(forms.Form):
    """Create (no `archived`) or edit (with `archived`) a VIP group."""

    name = forms.CharField(label=_("Name"), max_length=120)
    store = forms.ModelChoiceField(label=_("Store"), queryset=Store.objects.none(), required=False,
                                   empty_label=_("All stores"))
    topic = forms.CharField(label=_("Topic"), max_length=200, required=False)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    rules = forms.CharField(label=_("Rules"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    welcome_message = forms.CharField(label=_("Welcome message"), max_length=2000, required=False,
                                      widget=forms.Textarea(attrs={"rows": 2}),
                                      help_text=_("Posted to each new member when they join."))
    capacity = forms.IntegerField(
        label=_("Capacity"), initial=MAX_GROUP_CAPACITY, min_value=1, max_value=MAX_GROUP_CAPACITY,
        help_text=_("1 to 500 members. A full group sends joiners on to its overflow group."),
        error_messages={"min_value": CAPACITY_ERROR, "max_value": CAPACITY_ERROR},
    )
    announce_only = forms.BooleanField(label=_("Only staff post (announcements)"), required=False)
    system_messages = forms.BooleanField(label=_("Post join and leave notices"), required=False, initial=True)
    overflow_group = forms.ModelChoiceField(
        label=_("Overflow group"), queryset=VipGroup.objects.none(), required=False,
        empty_label=_("Create the next group of the series when full"),
    )
    host_rep = forms.ModelChoiceField(
        label=_("Host rep"), queryset=Membership.objects.none(), required=False,
        empty_label=_("Round robin among the store's reps"),
        help_text=_("Customers who join by a group link get this rep to talk to 1:1."),
    )
    archived = forms.BooleanField(label=_("Archived (nobody can join)"), required=False)
    cover_image = forms.FileField(label=_("Cover image (PNG, JPEG or WebP, up to 2 MB)"), required=False)

    def clean_cover_image(self):
        return clean_image_upload(self.cleaned_data.get("cover_image"), max_bytes=2 * 1024 * 1024)

    def changes(self) -> dict:
        """The cleaned fields to save; an empty upload keeps the current cover."""
        return {k: v for k, v in self.cleaned_data.items() if k != "cover_image" or v}

    def __init__(self, *args, stores, groups, reps, editing: VipGroup | None = None, **kwargs):
        if editing is not None:
            kwargs.setdefault("initial", {
                **{field: getattr(editing, field) for field in (
                    "name", "topic", "description", "rules", "welcome_message", "capacity", "announce_only",
                    "system_messages", "archived")},
                "store": editing.store_id, "overflow_group": editing.overflow_group_id,
                "host_rep": editing.host_rep_id,
            })
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = stores
        self.fields["host_rep"].queryset = reps
        self.fields["host_rep"].label_from_instance = lambda rep: (
            f"{rep.user.display_name} ({rep.store.name})" if rep.store_id else rep.user.display_name)
        self.fields["overflow_group"].queryset = groups.exclude(pk=editing.pk) if editing is not None else groups
        if editing is None:
            del self.fields["archived"]


class MemberActionForm(forms.Form):
    """One moderation command on one member of a group (unmute, remove, promote, demote)."""

    customer_id = forms.IntegerField(min_value=1)


class MemberMuteForm(MemberActionForm):
    duration = forms.ChoiceField(choices=[(d, d) for d in MUTE_DURATIONS], required=False)

    def clean(self):
        data = super().clean()
        if not data.get("duration"):
            self.add_error("duration", _("Choose how long to mute: 1h, 24h or 7d."))
        return data
