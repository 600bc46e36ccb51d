"""How a coupon reads to people: "20% off", "30.00 CNY off", "Orders over 199.00 CNY", its validity in the
brand's time zone. Used by the chat card and the dashboard alike."""

from __future__ import annotations

import datetime
import zoneinfo
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Coupon, CouponKind


def money(amount: Decimal, currency: str) -> str:
    return f"{amount:.2f} {currency}".strip()


def _percent(value: Decimal) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text


def coupon_discount(coupon: Coupon) -> str:
    if coupon.kind == CouponKind.PERCENT:
        return _("%(percent)s%% off") % {"percent": _percent(coupon.value)}
    return _("%(amount)s off") % {"amount": money(coupon.value, coupon.currency)}


def coupon_minimum(coupon: Coupon) -> str:
    if coupon.min_order is None:
        return ""
    return _("Orders over %(amount)s") % {"amount": money(coupon.min_order, coupon.currency)}


def _when(moment: datetime.datetime, tz: zoneinfo.ZoneInfo) -> str:
    return timezone.localtime(moment, tz).strftime("%Y-%m-%d %H:%M")


def coupon_validity(coupon: Coupon, tz: zoneinfo.ZoneInfo) -> str:
    """The window in the brand's time zone, or "" when it has none."""
    start, end = coupon.valid_from, coupon.valid_until
    if start and end:
        return _("Valid %(start)s to %(end)s") % {"start": _when(start, tz), "end": _when(end, tz)}
    if end:
        return _("Valid until %(end)s") % {"end": _when(end, tz)}
    if start:
        return _("Valid from %(start)s") % {"start": _when(start, tz)}
    return ""


def coupon_state(coupon: Coupon, now: datetime.datetime | None = None) -> str:
    """active | scheduled | ended | used_up, for badges."""
    now = now or timezone.now()
    if not coupon.active or (coupon.valid_until is not None and coupon.valid_until <= now):
        return "ended"
    if coupon.max_redemptions is not None and coupon.redemptions_count >= coupon.max_redemptions:
        return "used_up"
    if coupon.valid_from is not None and coupon.valid_from > now:
        return "scheduled"
    return "active"


def coupon_state_label(state: str) -> str:
    return {"active": _("Active"), "scheduled": _("Not started"), "ended": _("Ended"),
            "used_up": _("Used up")}[state]
