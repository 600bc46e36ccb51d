"""Coupon codes: unguessable personal codes, and handing a coupon to many customers at once.

`coupon_claims_issue` is the bulk path (a campaign's recipients, a group-buy's participants at its
deadline): one INSERT ... ON CONFLICT DO NOTHING and one read per chunk, never a statement per customer.
A customer who already holds the coupon keeps their code, so issuing twice (a retried task) gives nothing
twice.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce

from crm.models import Customer
from privtraffic.tenancy.actors import Actor, authorize
from privtraffic.tenancy.roles import Perm

from ..models import Coupon, CouponClaim

# No 0/O, 1/I/L: read aloud at a till, typed from a phone.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12  # 31**12: about 59 bits, far beyond guessing through a rate-limited redeem endpoint


def coupon_code_generate() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _new_claims(coupon: Coupon, customer_ids: Iterable[int]) -> list[CouponClaim]:
    return [CouponClaim(brand_id=coupon.brand_id, coupon=coupon, customer_id=cid,
                        code=coupon_code_generate() if coupon.personal_codes else coupon.code,
                        personal=coupon.personal_codes) for cid in customer_ids]


def coupon_claims_issue(*, actor: Actor, coupon: Coupon, customer_ids: list[int],
                        chunk_size: int = 1000) -> dict[int, str]:
    """Give each customer (of the coupon's brand; others are ignored) the coupon; answers {customer_id: code}.

    Idempotent per (coupon, customer). `claims_count` is recounted once per chunk (one statement over the
    claim index). Run it inside the caller's transaction when the codes must appear with other writes.
    """
    authorize(actor, Perm.MANAGE_CAMPAIGNS, coupon, what="coupon")
    codes: dict[int, str] = {}
    unique_ids = list(dict.fromkeys(customer_ids))
    for start in range(0, len(unique_ids), chunk_size):
        chunk = unique_ids[start:start + chunk_size]
        with transaction.atomic():
            ours = list(Customer.objects.filter(brand_id=coupon.brand_id, pk__in=chunk).values_list("pk", flat=True))
            held = dict(CouponClaim.objects.filter(coupon=coupon, customer_id__in=ours)
                        .values_list("customer_id", "code"))
            wanted = [cid for cid in ours if cid not in held]
            created = bool(wanted)
            for _attempt in range(3):  # a personal code colliding with another (about 2**-59) is drawn again
                if not wanted:
                    break
                CouponClaim.objects.bulk_create(_new_claims(coupon, wanted), ignore_conflicts=True)
                now_held = dict(CouponClaim.objects.filter(coupon=coupon, customer_id__in=wanted)
                                .values_list("customer_id", "code"))
                held.update(now_held)
                wanted = [cid for cid in wanted if cid not in now_held]
            if created:  # recounted, so a concurrent issuer of the same customers is never counted twice
                coupon_claims_recount(coupon=coupon)
            codes.update(held)
    return codes


def coupon_claims_recount(*, coupon: Coupon) -> None:
    """Set `claims_count` from the claims themselves, in one UPDATE (exact whoever else is claiming)."""
    count = (CouponClaim.objects.filter(coupon=OuterRef("pk")).order_by().values("coupon")
             .annotate(n=Count("pk")).values("n"))
    Coupon.objects.filter(pk=coupon.pk).update(claims_count=Coalesce(Subquery(count), 0))
