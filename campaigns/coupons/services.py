"""Coupons: create, edit and end them (marketers, the API), claim one from a chat card (customers), redeem a
code at the shop or till (the API).

`coupon_redeem` is exact under concurrency without reading-then-writing: the customer's own limit is one
conditional UPDATE of their claim, the coupon's total limit one conditional UPDATE of the coupon
(`redemptions_count < max_redemptions`), both in the redemption's transaction; whoever loses either race gets
`already_redeemed` or `coupon_exhausted` and nothing of theirs is written.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import Customer, Order
from privtraffic.events.services import event_record
from privtraffic.tenancy.actors import Actor, CustomerActor, SystemActor, authorize
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.models import Brand
from privtraffic.tenancy.parsing import bad_text, bad_text_error
from privtraffic.tenancy.roles import Perm

from ..models import Campaign, Coupon, CouponClaim, CouponKind, CouponRedemption
from .issuing import coupon_claims_issue

SHARED_CODE = re.compile(r"^[A-Za-z0-9_-]{3,40}$", re.ASCII)
_DECIMAL_TEXT = re.compile(r"^-?\d{1,12}(\.\d+)?$", re.ASCII)
CURRENCY = re.compile(r"^[A-Z]{3}$", re.ASCII)
MAX_COUNT = 2_147_483_647  # PositiveIntegerField
MAX_VALUE = Decimal("99999999.99")  # value: 10 digits, 2 decimals
MAX_MIN_ORDER = Decimal("9999999999.99")  # min_order: 12 digits, 2 decimals
FIELDS = ("title", "code", "personal_codes", "kind", "value", "currency", "min_order", "valid_from", "valid_until",
          "max_redemptions", "per_customer_limit", "campaign_id", "active")
DEFAULTS: dict[str, Any] = {"code": "", "personal_codes": False, "kind": CouponKind.AMOUNT, "currency": "",
                            "min_order": None, "valid_from": None, "valid_until": None, "max_redemptions": None,
                            "per_customer_limit": 1, "campaign_id": None, "active": True}
# Who may redeem: the brand's staff at a till and the integrator's key (API keys hold every staff permission).
REDEEM_PERM = Perm.VIEW_CUSTOMERS


def _invalid(field: str, message: str, code: str = "invalid") -> ApplicationError:
    return ApplicationError(code, message, fields={field: [message]})


def _text(value: Any, field: str, *, max_length: int, required: bool) -> str:
    if not isinstance(value, str):
        raise _invalid(field, _("%(field)s must be text.") % {"field": field})
    if bad_text(value):
        raise bad_text_error(field)
    value = value.strip()
    if required and not value:
        raise _invalid(field, _("%(field)s is required.") % {"field": field})
    if len(value) > max_length:
        raise _invalid(field, _("%(field)s is at most %(max)d characters.") % {"field": field, "max": max_length})
    return value


def _decimal(value: Any, field: str, *, maximum: Decimal) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise _invalid(field, _("%(field)s must be a number.") % {"field": field})
    if isinstance(value, str) and not _DECIMAL_TEXT.match(value.strip()):  # "١٠", "1e3", "NaN": not ours
        raise _invalid(field, _("%(field)s must be a number such as 30 or 30.00.") % {"field": field})
    try:
        number = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        raise _invalid(field, _("%(field)s must be a number.") % {"field": field}) from None
    if not number.is_finite() or number.as_tuple().exponent < -2:
        raise _invalid(field, _("%(field)s takes at most 2 decimals.") % {"field": field})
    if number <= 0 or number > maximum:
        raise _invalid(field, _("%(field)s must be more than 0 and at most %(max)s.")
                       % {"field": field, "max": maximum})
    return number.quantize(Decimal("0.01"))


def _count(value: Any, field: str, *, allow_none: bool) -> int | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_COUNT:
        raise _invalid(field, _("%(field)s must be a whole number from 1 to %(max)d.")
                       % {"field": field, "max": MAX_COUNT})
    return value


def _moment(value: Any, field: str) -> datetime.datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime.datetime) or timezone.is_naive(value):
        raise _invalid(field, _("%(field)s must be a date and time with its time zone.") % {"field": field})
    return value


def _clean(brand: Brand, values: dict[str, Any], *, coupon: Coupon | None = None) -> dict[str, Any]:
    """Every field of a coupon, checked as a whole (an edit too)."""
    clean: dict[str, Any] = {"title": _text(values["title"], "title", max_length=120, required=True)}
    if not isinstance(values["personal_codes"], bool):
        raise _invalid("personal_codes", _("personal_codes must be true or false."))
    clean["personal_codes"] = values["personal_codes"]
    code = _text(values["code"] if values["code"] is not None else "", "code", max_length=40, required=False)
    if clean["personal_codes"]:
        if code:
            raise _invalid("code", _("A coupon with personal codes has no shared code: leave the code empty."))
    elif not SHARED_CODE.match(code):
        raise _invalid("code", _("The code is 3-40 letters, digits, - or _ (or choose personal codes)."))
    clean["code"] = code
    if values["kind"] not in CouponKind.values:
        raise _invalid("kind", _("kind must be one of: %(choices)s.") % {"choices": ", ".join(CouponKind.values)})
    clean["kind"] = values["kind"]
    currency = _text(values["currency"] if values["currency"] is not None else "", "currency", max_length=3,
                     required=False).upper()
    if currency and not CURRENCY.match(currency):
        raise _invalid("currency", _("The currency is a 3-letter code such as CNY."))
    clean["currency"] = currency
    if clean["kind"] == CouponKind.PERCENT:
        value = _decimal(values["value"], "value", maximum=Decimal(100))
        if value < 1:
            raise _invalid("value", _("A percent off is from 1 to 100."))
    else:
        value = _decimal(values["value"], "value", maximum=MAX_VALUE)
        if not currency:
            raise _invalid("currency", _("An amount off needs its currency."))
    clean["value"] = value
    clean["min_order"] = None
    if values["min_order"] is not None and values["min_order"] != "":
        clean["min_order"] = _decimal(values["min_order"], "min_order", maximum=MAX_MIN_ORDER)
        if not currency:
            raise _invalid("currency", _("A minimum order needs its currency."))
    clean["valid_from"] = _moment(values["valid_from"], "valid_from")
    clean["valid_until"] = _moment(values["valid_until"], "valid_until")
    if clean["valid_from"] and clean["valid_until"] and clean["valid_until"] <= clean["valid_from"]:
        raise _invalid("valid_until", _("The coupon must end after it starts."))
    clean["max_redemptions"] = _count(values["max_redemptions"], "max_redemptions", allow_none=True)
    clean["per_customer_limit"] = _count(values["per_customer_limit"], "per_customer_limit", allow_none=False)
    if (clean["max_redemptions"] is not None and coupon is not None
            and clean["max_redemptions"] < coupon.redemptions_count):
        raise _invalid("max_redemptions", _("%(n)d redemptions were already made: the limit cannot be lower.")
                       % {"n": coupon.redemptions_count})
    if not isinstance(values["active"], bool):
        raise _invalid("active", _("active must be true or false."))
    clean["active"] = values["active"]
    campaign_id = values["campaign_id"]
    if campaign_id is not None:
        if isinstance(campaign_id, Campaign):
            campaign_id = campaign_id.pk
        if isinstance(campaign_id, bool) or not isinstance(campaign_id, int) or not 0 < campaign_id < 2 ** 63 \
                or not Campaign.objects.filter(brand=brand, pk=campaign_id).exists():
            raise ApplicationError.not_found("campaign")
    clean["campaign_id"] = campaign_id
    if coupon is not None and coupon.claims_count and (
            clean["code"] != coupon.code or clean["personal_codes"] != coupon.personal_codes):
        raise _invalid("code", _("Customers already hold this coupon: its code can no longer change."),
                       code="coupon_in_use")
    if clean["code"] and (coupon is None or clean["code"].upper() != coupon.code.upper()):
        _check_code_free(brand, clean["code"], coupon)
    return clean


def _check_code_free(brand: Brand, code: str, coupon: Coupon | None) -> None:
    """A shared code names one thing in the brand, whatever its case: no other coupon, no personal code."""
    others = Coupon.objects.filter(brand=brand, code__iexact=code)
    if coupon is not None:
        others = others.exclude(pk=coupon.pk)
    if others.exists() or CouponClaim.objects.filter(brand=brand, personal=True, code__iexact=code).exists():
        raise _invalid("code", _("Another coupon already uses the code %(code)s.") % {"code": code},
                       code="duplicate")


def _taken() -> ApplicationError:
    return _invalid("code", _("Another coupon already uses this code."), code="duplicate")


def coupon_create(*, brand: Brand, actor: Actor, title: str, value: Any, **fields: Any) -> Coupon:
    """A new coupon. Fields: see FIELDS (an unknown one is a TypeError: a caller's bug, not input)."""
    authorize(actor, Perm.MANAGE_CAMPAIGNS, brand, what="brand")
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise TypeError(f"coupon_create() got unexpected fields {sorted(unknown)}")
    clean = _clean(brand, {**DEFAULTS, **fields, "title": title, "value": value})
    try:
        with transaction.atomic():
            return Coupon.objects.create(brand=brand, **clean)
    except IntegrityError:  # a concurrent create took the code between the check and the insert
        raise _taken() from None


def coupon_update(*, coupon: Coupon, actor: Actor, **fields: Any) -> Coupon:
    """Change a coupon (checked as a whole). Its code is fixed once customers hold it."""
    authorize(actor, Perm.MANAGE_CAMPAIGNS, coupon, what="coupon")
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise TypeError(f"coupon_update() got unexpected fields {sorted(unknown)}")
    try:
        with transaction.atomic():
            locked = Coupon.objects.select_for_update().select_related("brand").get(pk=coupon.pk)
            current = {name: getattr(locked, name) for name in FIELDS}
            clean = _clean(locked.brand, {**current, **fields}, coupon=locked)
            for name, value in clean.items():
                setattr(locked, name, value)
            locked.save()
    except IntegrityError:
        raise _taken() from None
    return locked


def coupon_deactivate(*, coupon: Coupon, actor: Actor) -> Coupon:
    """End a coupon now: nobody claims or redeems it any more; what was claimed and redeemed stays on record."""
    authorize(actor, Perm.MANAGE_CAMPAIGNS, coupon, what="coupon")
    Coupon.objects.filter(pk=coupon.pk).update(active=False, updated_at=timezone.now())
    coupon.refresh_from_db()
    return coupon


# --- claiming --------------------------------------------------------------------------------------------


def _expired(coupon: Coupon, now: datetime.datetime) -> bool:
    return not coupon.active or (coupon.valid_until is not None and coupon.valid_until <= now)


def _exhausted(coupon: Coupon) -> bool:
    return coupon.max_redemptions is not None and coupon.redemptions_count >= coupon.max_redemptions


def coupon_claim(*, actor: CustomerActor, coupon: Coupon) -> CouponClaim:
    """The customer's one tap: their claim (created now, or the one they hold). With personal codes the code is
    drawn for them through the same bulk path campaigns use. An ended, expired or used-up coupon is refused
    (`coupon_expired`, `coupon_exhausted`), unless they already hold it."""
    if not isinstance(actor, CustomerActor):
        raise TypeError("coupon_claim() is a customer's own tap: actor must be a CustomerActor")
    authorize(actor, Perm.CHAT, coupon, what="coupon")
    customer = actor.customer
    with transaction.atomic():
        # One claim per customer: their row serializes their own taps, so `coupon.claimed` is recorded once.
        Customer.objects.select_for_update().filter(pk=customer.pk).first()
        held = CouponClaim.objects.filter(coupon=coupon, customer=customer).first()
        if held is not None:
            return held
        fresh = Coupon.objects.get(pk=coupon.pk)
        now = timezone.now()
        if _expired(fresh, now):
            raise ApplicationError("coupon_expired", _("This coupon has ended."), status=409)
        if _exhausted(fresh):
            raise ApplicationError("coupon_exhausted", _("This coupon has been used up."), status=409)
        if getattr(customer, "erased_at", None):
            raise ApplicationError("customer_erased", _("This customer's data was erased."), status=409)
        coupon_claims_issue(actor=SystemActor.for_brand(coupon.brand_id, "coupon:claim"), coupon=fresh,
                            customer_ids=[customer.pk])
        claim = CouponClaim.objects.get(coupon=fresh, customer=customer)
        event_record(brand=fresh.brand, type="coupon.claimed", payload={
            "coupon": fresh.pk, "code": claim.code, "customer": customer.pk, "claim": claim.pk})
    return claim


# --- redeeming -------------------------------------------------------------------------------------------


def _money(amount: Decimal, currency: str) -> str:
    return f"{amount:.2f} {currency}".strip()


def _find(brand: Brand, code: str) -> tuple[Coupon, CouponClaim | None]:
    """The coupon a code names: a customer's personal code (one claim), or a coupon's shared code."""
    claim = (CouponClaim.objects.select_related("coupon").filter(brand=brand, personal=True, code=code.upper())
             .first())
    if claim is not None:
        return claim.coupon, claim
    coupon = Coupon.objects.filter(brand=brand, personal_codes=False, code__iexact=code).first()
    if coupon is None:
        raise ApplicationError("coupon_not_found", _("No coupon has this code."), fields={"code": [
            _("No coupon has this code.")]}, status=404)
    return coupon, None


def coupon_redeem(*, actor: Actor, code: str, customer: Customer, order: Order | None = None) -> CouponRedemption:
    """Use a code once for a customer (optionally against their order), atomically.

    Refusals, each changing nothing: `coupon_not_found` (404; a personal code of someone else too),
    `coupon_expired` (ended or deactivated), `coupon_not_yet_valid`, `minimum_not_met` (the order's total, in
    the coupon's currency), `already_redeemed` (the customer's own limit), `coupon_exhausted` (the total).
    """
    authorize(actor, REDEEM_PERM, customer, what="customer")
    brand = customer.brand
    if order is not None:
        authorize(actor, REDEEM_PERM, order, what="order")
    if not isinstance(code, str) or bad_text(code):
        raise bad_text_error("code")
    code = code.strip()
    if not SHARED_CODE.match(code):
        raise ApplicationError("coupon_not_found", _("No coupon has this code."),
                               fields={"code": [_("No coupon has this code.")]}, status=404)
    if customer.erased_at:
        raise ApplicationError("customer_erased", _("This customer's data was erased."), status=409)
    if order is not None and order.customer_id != customer.pk:
        raise _invalid("order", _("This order is another customer's."))
    with transaction.atomic():
        # Rows are locked customer first, then coupon: the order the claim and a campaign chunk lock them in
        # (a redemption's insert would otherwise wait on a chunk's customer lock while holding the coupon).
        Customer.objects.select_for_update().filter(pk=customer.pk).first()
        coupon, claim = _find(brand, code)
        if claim is not None and claim.customer_id != customer.pk:
            raise ApplicationError("coupon_not_found", _("This code belongs to another customer."),
                                   fields={"code": [_("This code belongs to another customer.")]}, status=404)
        now = timezone.now()
        if _expired(coupon, now):
            raise ApplicationError("coupon_expired", _("This coupon has ended."), status=409)
        if coupon.valid_from is not None and coupon.valid_from > now:
            raise ApplicationError("coupon_not_yet_valid", _("This coupon is valid from %(when)s.") % {
                "when": timezone.localtime(coupon.valid_from, brand.tzinfo).strftime("%Y-%m-%d %H:%M")},
                status=409)
        if coupon.min_order is not None:
            minimum = _money(coupon.min_order, coupon.currency)
            if order is None:
                raise ApplicationError("minimum_not_met", _("This coupon needs an order of at least %(min)s.")
                                       % {"min": minimum}, fields={"order": [_("Required.")]})
            if order.currency != coupon.currency or order.total < coupon.min_order:
                raise ApplicationError("minimum_not_met", _("This coupon needs an order of at least %(min)s; this "
                                                            "one is %(total)s.")
                                       % {"min": minimum, "total": _money(order.total, order.currency)})
        if (order is not None and coupon.kind == CouponKind.AMOUNT and coupon.currency
                and order.currency != coupon.currency):
            raise _invalid("order", _("This coupon is in %(coupon)s; the order is in %(order)s.")
                           % {"coupon": coupon.currency, "order": order.currency}, code="currency_mismatch")
        if claim is None:
            claim = CouponClaim.objects.filter(coupon=coupon, customer=customer).first()
        if claim is not None and claim.redemptions_count >= coupon.per_customer_limit:  # cheap early answers;
            raise ApplicationError("already_redeemed", _("This customer has already used this coupon."),
                                   status=409)
        if _exhausted(coupon):  # the conditional UPDATEs below are what decide
            raise ApplicationError("coupon_exhausted", _("This coupon has been used up."), status=409)
        if claim is None:  # a shared code used at the till by someone who never tapped Claim: they hold it now
            coupon_claims_issue(actor=SystemActor.for_brand(brand, "coupon:redeem"), coupon=coupon,
                                customer_ids=[customer.pk])
            claim = CouponClaim.objects.get(coupon=coupon, customer=customer)
        mine = CouponClaim.objects.filter(pk=claim.pk, redemptions_count__lt=coupon.per_customer_limit).update(
            redemptions_count=F("redemptions_count") + 1)
        if not mine:
            raise ApplicationError("already_redeemed", _("This customer has already used this coupon."),
                                   status=409)
        taken = Coupon.objects.filter(
            Q(max_redemptions__isnull=True) | Q(redemptions_count__lt=F("max_redemptions")),
            pk=coupon.pk,
        ).update(redemptions_count=F("redemptions_count") + 1)
        if not taken:  # leaving the block with the error undoes the claim's count too
            raise ApplicationError("coupon_exhausted", _("This coupon has been used up."), status=409)
        redemption = CouponRedemption.objects.create(brand=brand, coupon=coupon, claim=claim, customer=customer,
                                                     order=order, code=claim.code)
        event_record(brand=brand, type="coupon.redeemed", payload={
            "id": redemption.pk, "coupon": coupon.pk, "code": redemption.code, "customer": customer.pk,
            "order": order.pk if order is not None else None, "campaign": coupon.campaign_id,
            "redeemed_at": redemption.redeemed_at})
    return redemption
