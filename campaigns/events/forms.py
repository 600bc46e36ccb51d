from __future__ import annotations

import datetime
import re
import zoneinfo
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import CommunityEvent, EventStatus
from .services import MAX_CAPACITY

_LOCAL_DATETIME = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}$")
_LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


class EventForm(forms.Form):
    """Times are typed in the brand's time zone (`tz`) and leave this form aware."""

    title = forms.CharField(label=_("Title"), max_length=120)
    place = forms.CharField(label=_("Place"), max_length=200, help_text=_("An address or a store, as people will "
                                                                          "read it on the card."))
    starts_at = forms.CharField(label=_("Starts"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    ends_at = forms.CharField(label=_("Ends"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    capacity = forms.IntegerField(label=_("Seats"), min_value=1, max_value=MAX_CAPACITY, initial=20)
    description = forms.CharField(label=_("Description"), required=False, max_length=2000,
                                  widget=forms.Textarea(attrs={"rows": 4}))
    group = forms.ChoiceField(label=_("Group"), required=False,
                              help_text=_("The community it belongs to; its chat shows the seats live."))
    store = forms.ChoiceField(label=_("Store"), required=False)
    status = forms.ChoiceField(label=_("Status"), choices=EventStatus.choices, initial=EventStatus.PUBLISHED)

    def __init__(self, *args, tz: zoneinfo.ZoneInfo, groups=(), stores=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.tz = tz
        self.fields["group"].choices = [("", "—"), *((str(g.pk), g.name) for g in groups)]
        self.fields["store"].choices = [("", "—"), *((str(s.pk), s.name) for s in stores)]
        self.fields["starts_at"].help_text = _("In the brand's time zone (%(tz)s).") % {"tz": tz.key}

    def _moment(self, name: str) -> datetime.datetime:
        value = self.cleaned_data[name].strip()
        if not _LOCAL_DATETIME.match(value):
            raise forms.ValidationError(_("Enter a date and time."))
        try:
            return datetime.datetime.strptime(value, _LOCAL_FORMAT).replace(tzinfo=self.tz)
        except ValueError:
            raise forms.ValidationError(_("Enter a date and time.")) from None

    def clean_starts_at(self) -> datetime.datetime:
        return self._moment("starts_at")

    def clean_ends_at(self) -> datetime.datetime:
        return self._moment("ends_at")

    def service_fields(self, *, groups: dict[int, Any], stores: dict[int, Any]) -> dict[str, Any]:
        data = self.cleaned_data
        return {"title": data["title"], "place": data["place"], "starts_at": data["starts_at"],
                "ends_at": data["ends_at"], "capacity": data["capacity"], "description": data["description"],
                "group": groups.get(int(data["group"])) if data["group"] else None,
                "store": stores.get(int(data["store"])) if data["store"] else None, "status": data["status"]}


def event_initial(event: CommunityEvent, tz: zoneinfo.ZoneInfo) -> dict[str, Any]:
    return {"title": event.title, "place": event.place, "capacity": event.capacity,
            "description": event.description, "status": event.status,
            "starts_at": event.starts_at.astimezone(tz).strftime(_LOCAL_FORMAT),
            "ends_at": event.ends_at.astimezone(tz).strftime(_LOCAL_FORMAT),
            "group": str(event.group_id or ""), "store": str(event.store_id or "")}


class CheckinForm(forms.Form):
    code = forms.CharField(label=_("Check-in code"), max_length=40,
                           widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters",
                                                         "spellcheck": "false", "autofocus": True,
                                                         "placeholder": "ABCDE-FGHJK"}))
