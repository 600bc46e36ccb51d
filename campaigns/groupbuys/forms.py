"""Forms of the group-buy pages: they parse input; the services decide."""

from __future__ import annotations

import datetime
import re
import zoneinfo

from django import forms
from django.utils.translation import gettext_lazy as _

from privtraffic.tenancy.errors import ApplicationError

from .tiers import tiers_parse_lines

_LOCAL_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$", re.ASCII)


class GroupBuyForm(forms.Form):
    product = forms.ChoiceField(label=_("Product"))
    title = forms.CharField(label=_("Title"), max_length=120)
    tiers = forms.CharField(label=_("Price tiers"), max_length=1000, widget=forms.Textarea(attrs={"rows": 4}),
                            help_text=_("One per line: number of people and the price they unlock, e.g. \"5 159.00\"."))
    deadline = forms.CharField(label=_("Deadline"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))

    def __init__(self, *args, tz: zoneinfo.ZoneInfo, products=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.tz = tz
        self.fields["product"].choices = [("", "—"), *[(str(p.pk), f"{p.name} · {p.price} {p.currency}")
                                                       for p in products]]
        self.fields["deadline"].help_text = _("In the brand's time zone (%(tz)s).") % {"tz": str(tz)}

    def clean_product(self) -> int:
        return int(self.cleaned_data["product"])  # one of the offered choices: ASCII digits

    def clean_tiers(self) -> list:
        try:
            return tiers_parse_lines(self.cleaned_data["tiers"])
        except ApplicationError as exc:
            raise forms.ValidationError(exc.message) from None

    def clean_deadline(self) -> datetime.datetime:
        value = self.cleaned_data["deadline"].strip()
        if not _LOCAL_DATETIME.match(value):
            raise forms.ValidationError(_("Enter a date and time."))
        try:
            moment = datetime.datetime.strptime(value, "%Y-%m-%dT%H:%M")
        except ValueError:
            raise forms.ValidationError(_("Enter a date and time.")) from None
        return moment.replace(tzinfo=self.tz)


def tiers_as_lines(tiers: list[dict]) -> str:
    return "\n".join(f"{t['min']} {t['price']}" for t in tiers)


class PostToGroupForm(forms.Form):
    group = forms.ChoiceField(label=_("Group"))

    def __init__(self, *args, groups=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].choices = [(str(g.pk), g.name) for g in groups]

    def clean_group(self) -> int:
        return int(self.cleaned_data["group"])

