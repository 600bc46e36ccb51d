"""The coupon form of the dashboard. It only parses what the browser sent (numbers as ASCII digits, times in
the brand's time zone); campaigns.coupons.services decides what is valid and says why, field by field."""

from __future__ import annotations

import datetime
import re
import zoneinfo
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from privtraffic.tenancy.parsing import is_int

from ..models import Coupon, CouponKind
from .services import MAX_COUNT

_AMOUNT = re.compile(r"^\d{1,10}(\.\d{1,2})?$", re.ASCII)
_LOCAL_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$", re.ASCII)
KIND_CHOICES = [(CouponKind.PERCENT, _("Percent off")), (CouponKind.AMOUNT, _("Amount off"))]
CODE_CHOICES = [("shared", _("One shared code")), ("personal", _("A unique code per customer"))]


class CouponForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120,
                            help_text=_("What customers see on the card, e.g. A spring treat for our VIPs"))
    codes = forms.ChoiceField(label=_("Codes"), choices=CODE_CHOICES, initial="shared", widget=forms.RadioSelect)
    code = forms.CharField(label=_("Shared code"), required=False, max_length=40,
                           help_text=_("3-40 letters, digits, - or _, e.g. SPRING20"))
    kind = forms.ChoiceField(label=_("Discount"), choices=KIND_CHOICES, initial=CouponKind.PERCENT,
                             widget=forms.RadioSelect)
    value = forms.CharField(label=_("Value"), max_length=14,
                            help_text=_("A percent from 1 to 100, or an amount such as 30.00"),
                            widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    currency = forms.CharField(label=_("Currency"), max_length=3, required=False)
    min_order = forms.CharField(label=_("Minimum order"), max_length=14, required=False,
                                help_text=_("Leave empty for none"),
                                widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    valid_from = forms.CharField(label=_("Valid from"), required=False,
                                 widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    valid_until = forms.CharField(label=_("Valid until"), required=False,
                                  widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    max_redemptions = forms.CharField(label=_("Total redemptions"), max_length=10, required=False,
                                      help_text=_("Leave empty for no limit"),
                                      widget=forms.TextInput(attrs={"inputmode": "numeric"}))
    per_customer_limit = forms.CharField(label=_("Redemptions per customer"), max_length=10, initial="1",
                                         widget=forms.TextInput(attrs={"inputmode": "numeric"}))
    campaign = forms.ChoiceField(label=_("Campaign"), required=False)

    def __init__(self, *args, tz: zoneinfo.ZoneInfo, campaigns=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.tz = tz
        self.fields["campaign"].choices = [("", "—"), *((str(c.pk), c.name) for c in campaigns)]

    def _amount(self, name: str, required: bool) -> Decimal | None:
        value = self.cleaned_data[name].strip()
        if not value:
            if required:
                raise forms.ValidationError(_("Enter a number."))
            return None
        if not _AMOUNT.match(value):
            raise forms.ValidationError(_("Enter a number such as 30 or 30.00."))
        return Decimal(value)

    def clean_value(self):
        return self._amount("value", True)

    def clean_min_order(self):
        return self._amount("min_order", False)

    def _count(self, name: str, required: bool) -> int | None:
        value = self.cleaned_data[name].strip()
        if not value and not required:
            return None
        if not is_int(value, minimum=1, maximum=MAX_COUNT):
            raise forms.ValidationError(_("Enter a whole number from 1 to %(max)d.") % {"max": MAX_COUNT})
        return int(value)

    def clean_max_redemptions(self):
        return self._count("max_redemptions", False)

    def clean_per_customer_limit(self):
        return self._count("per_customer_limit", True)

    def _moment(self, name: str) -> datetime.datetime | None:
        value = self.cleaned_data[name].strip()
        if not value:
            return None
        try:
            if not _LOCAL_DATETIME.match(value):
                raise ValueError
            return datetime.datetime.strptime(value, "%Y-%m-%dT%H:%M").replace(tzinfo=self.tz)
        except ValueError:
            raise forms.ValidationError(_("Enter a date and time.")) from None

    def clean_valid_from(self):
        return self._moment("valid_from")

    def clean_valid_until(self):
        return self._moment("valid_until")

    def clean_campaign(self):
        value = self.cleaned_data["campaign"]
        return int(value) if value else None

    def service_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        personal = data["codes"] == "personal"
        return {"title": data["title"], "personal_codes": personal, "code": "" if personal else data["code"],
                "kind": data["kind"], "value": data["value"], "currency": data["currency"],
                "min_order": data["min_order"], "valid_from": data["valid_from"], "valid_until": data["valid_until"],
                "max_redemptions": data["max_redemptions"], "per_customer_limit": data["per_customer_limit"],
                "campaign_id": data["campaign"]}


def initial_from(coupon: Coupon, tz: zoneinfo.ZoneInfo) -> dict[str, Any]:
    def local(moment):
        return moment.astimezone(tz).strftime("%Y-%m-%dT%H:%M") if moment else ""

    return {"title": coupon.title, "codes": "personal" if coupon.personal_codes else "shared", "code": coupon.code,
            "kind": coupon.kind, "value": f"{coupon.value:.2f}".rstrip("0").rstrip(".")
            if coupon.kind == CouponKind.PERCENT else f"{coupon.value:.2f}", "currency": coupon.currency,
            "min_order": f"{coupon.min_order:.2f}" if coupon.min_order is not None else "",
            "valid_from": local(coupon.valid_from), "valid_until": local(coupon.valid_until),
            "max_redemptions": coupon.max_redemptions or "", "per_customer_limit": coupon.per_customer_limit,
            "campaign": str(coupon.campaign_id or "")}
