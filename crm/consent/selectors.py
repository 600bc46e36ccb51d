"""Whether the brand may message a customer now: consent, quiet hours and the weekly promotion budget.

Reads only; the writes (the policy, budget claims, opting out) are in crm.consent.services. Every lane that can reach a customer (brand broadcasts, reps' promotional 1:1 messages, persona messages)
asks `customer_reach` / `customers_reach` and, when it sends a promotion, takes a slot of the budget with
`promotion_contact_claim` so the lanes share one budget. Transactional messages (orders, shipping, replies to
the customer) only need the customer to exist: they never count and ignore quiet hours.

A promotion needs both consents: chat from the brand, and promotions. Withdrawing promotions consent is one
tap (`promotions_opt_out`): the chat command STOP, or the signed link in every promotional message.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.core import signing
from django.db.models import Count, Min, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.models import Brand

from ..models import ContactPolicy, Customer, PromotionContact

BUDGET_WINDOW = datetime.timedelta(days=7)
OPT_OUT_SALT = "crm.promotions-opt-out"


class Purpose:
    TRANSACTIONAL = "transactional"
    PROMOTIONAL = "promotional"


@dataclass(frozen=True)
class Reach:
    """The answer for one customer. `reason` is a stable code; `message` says it in words for people."""

    reachable: bool
    reason: str = ""
    message: str = ""
    next_possible_at: datetime.datetime | None = None
    promotions_left_this_week: int | None = None


def contact_policy_get(*, brand: Brand) -> ContactPolicy:
    """The brand's policy, or the defaults (unsaved) for a brand that never changed them."""
    return ContactPolicy.objects.filter(brand=brand).first() or ContactPolicy(brand=brand)


def quiet_hours_end(policy: ContactPolicy, at: datetime.datetime) -> datetime.datetime | None:
    """When the quiet hours around `at` end (aware UTC), or None if `at` is outside them.

    Hours are read in the brand's time zone; a window such as 22:00-08:00 runs over midnight.
    """
    start, end = policy.quiet_hours_start, policy.quiet_hours_end
    if start == end:
        return None  # no quiet hours
    local = at.astimezone(policy.brand.tzinfo)
    now = local.time()
    inside = (start <= now < end) if start < end else (now >= start or now < end)
    if not inside:
        return None
    end_day = local.date() if now < end else local.date() + datetime.timedelta(days=1)
    return datetime.datetime.combine(end_day, end, tzinfo=policy.brand.tzinfo).astimezone(datetime.UTC)


def _decide(customer: Customer, *, purpose: str, policy: ContactPolicy, at: datetime.datetime,
            sent: int, oldest: datetime.datetime | None) -> Reach:
    if customer.erased_at is not None:
        return Reach(False, "erased", _("This customer's data was erased."))
    if purpose == Purpose.TRANSACTIONAL:
        return Reach(True)
    if not customer.consent_chat:
        return Reach(False, "no_chat_consent", _("They have not agreed to chat messages from the brand."))
    if not customer.consent_promotions:
        when = timezone.localtime(customer.consent_promotions_at, policy.brand.tzinfo).strftime("%Y-%m-%d") \
            if customer.consent_promotions_at else None
        message = (_("They opted out of promotions on %(date)s.") % {"date": when} if when
                   else _("They have not agreed to promotions."))
        return Reach(False, "no_promotions_consent", message)
    left = max(0, policy.weekly_promotion_budget - sent)
    if left == 0:
        next_at = (oldest + BUDGET_WINDOW) if oldest else None
        return Reach(False, "weekly_budget_spent", _("They already received %(n)s promotions in the last 7 days "
                                                     "(the brand's weekly budget).") % {"n": sent},
                     next_at, 0)
    quiet_until = quiet_hours_end(policy, at)
    if quiet_until is not None:
        return Reach(False, "quiet_hours", _("Quiet hours (%(start)s-%(end)s, brand time) until %(until)s.") % {
            "start": policy.quiet_hours_start.strftime("%H:%M"), "end": policy.quiet_hours_end.strftime("%H:%M"),
            "until": timezone.localtime(quiet_until, policy.brand.tzinfo).strftime("%H:%M")}, quiet_until, left)
    return Reach(True, promotions_left_this_week=left)


def _budget_use(brand: Brand, customer_ids: Iterable[int], at: datetime.datetime) -> dict[int, tuple[int, object]]:
    rows = (PromotionContact.objects.filter(brand=brand, customer_id__in=list(customer_ids),
                                            created_at__gt=at - BUDGET_WINDOW, created_at__lte=at)
            .values("customer_id").annotate(sent=Count("id"), oldest=Min("created_at")))
    return {row["customer_id"]: (row["sent"], row["oldest"]) for row in rows}


def customers_reach(*, brand: Brand, customers: Iterable[Customer], purpose: str,
                    at: datetime.datetime | None = None) -> dict[int, Reach]:
    """Reach for many customers of the brand in two queries (for campaigns): customer id -> Reach."""
    at = at or timezone.now()
    customers = [c for c in customers if c.brand_id == brand.id]
    policy = contact_policy_get(brand=brand)
    use = _budget_use(brand, [c.pk for c in customers], at) if purpose == Purpose.PROMOTIONAL else {}
    answers = {}
    for c in customers:
        sent, oldest = use.get(c.pk, (0, None))
        answers[c.pk] = _decide(c, purpose=purpose, policy=policy, at=at, sent=sent, oldest=oldest)
    return answers


REACH_KEYS = ("reachable", "erased", "no_chat_consent", "no_promotions_consent", "promotions_withdrawn",
              "weekly_budget_spent", "quiet_hours")


def reach_breakdown(*, brand: Brand, customers: QuerySet[Customer], purpose: str,
                    at: datetime.datetime | None = None) -> dict[str, int]:
    """How many of these customers each reach answer applies to, by the rules of `customers_reach`, in one
    query (a campaign's audience count before sending, at 100,000 customers).

    Keys: "reachable", "erased", "no_chat_consent", "no_promotions_consent" (never agreed),
    "promotions_withdrawn" (opted out: a sub-case of no_promotions_consent in `customers_reach`),
    "weekly_budget_spent", "quiet_hours"."""
    at = at or timezone.now()
    policy = contact_policy_get(brand=brand)
    live = Q(erased_at__isnull=True)
    if purpose == Purpose.TRANSACTIONAL:
        counts = customers.filter(brand=brand).order_by().aggregate(erased=Count("pk", filter=~live),
                                                                   reachable=Count("pk", filter=live))
        return dict.fromkeys(REACH_KEYS, 0) | counts
    sent = Subquery(PromotionContact.objects.filter(
        brand=brand, customer_id=OuterRef("pk"), created_at__gt=at - BUDGET_WINDOW, created_at__lte=at,
    ).order_by().values("customer_id").annotate(n=Count("id")).values("n")[:1])
    chat, promotions = Q(consent_chat=True), Q(consent_promotions=True)
    over = Q(budget_used__gte=policy.weekly_promotion_budget)
    counts = customers.filter(brand=brand).order_by().annotate(budget_used=Coalesce(sent, 0)).aggregate(
        erased=Count("pk", filter=~live),
        no_chat_consent=Count("pk", filter=live & ~chat),
        no_promotions_consent=Count("pk", filter=live & chat & ~promotions & Q(consent_promotions_at__isnull=True)),
        promotions_withdrawn=Count("pk", filter=live & chat & ~promotions & Q(consent_promotions_at__isnull=False)),
        weekly_budget_spent=Count("pk", filter=live & chat & promotions & over),
        open=Count("pk", filter=live & chat & promotions & ~over),
    )
    open_count = counts.pop("open")
    quiet = quiet_hours_end(policy, at) is not None
    return counts | {"quiet_hours": open_count if quiet else 0, "reachable": 0 if quiet else open_count}


def customer_reach(*, brand: Brand, customer: Customer, purpose: str,
                   at: datetime.datetime | None = None) -> Reach:
    """Whether the brand may send this customer a message of `purpose` now, and if not, why and until when."""
    if customer.brand_id != brand.id:
        raise ApplicationError.not_found("customer")
    return customers_reach(brand=brand, customers=[customer], purpose=purpose, at=at)[customer.pk]


def customer_from_opt_out_token(token: str) -> Customer:
    try:
        data = signing.Signer(salt=OPT_OUT_SALT).unsign_object(token)
        return Customer.objects.select_related("brand").get(pk=data["c"], brand_id=data["b"])
    except (signing.BadSignature, KeyError, TypeError, Customer.DoesNotExist):
        raise ApplicationError.not_found("link")
