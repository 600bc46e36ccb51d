"""Lifecycle stage and last-active upkeep.

The stage is derived from what the customer does, so it is recomputed whenever that changes (an order, a
message, a join) and once a day for time passing (crm.tasks.refresh_lifecycle_stages):

    lapsed   nothing from them (message, join, answer, order) for LAPSED_AFTER_DAYS
    loyal    LOYAL_ORDERS or more orders that count
    active   at least one order, or first seen more than NEW_FOR_DAYS ago and still around
    new      first seen within NEW_FOR_DAYS and no order yet
"""

import datetime

from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from privtraffic.tenancy.models import Brand

from ..models import Customer, LifecycleStage

NEW_FOR_DAYS = 30
LAPSED_AFTER_DAYS = 90
LOYAL_ORDERS = 3
# Activity is written at most this often per customer: a chatty customer is not an UPDATE per message.
ACTIVE_TOUCH_EVERY = datetime.timedelta(minutes=5)


def lifecycle_stage_of(customer: Customer, *, now: datetime.datetime | None = None) -> str:
    now = now or timezone.now()
    seen = [t for t in (customer.created_at, customer.last_active_at, customer.last_order_at) if t is not None]
    last_seen = max(seen) if seen else now
    if now - last_seen > datetime.timedelta(days=LAPSED_AFTER_DAYS):
        return LifecycleStage.LAPSED
    if customer.order_count >= LOYAL_ORDERS:
        return LifecycleStage.LOYAL
    first_seen = customer.created_at or now
    if customer.order_count >= 1 or now - first_seen > datetime.timedelta(days=NEW_FOR_DAYS):
        return LifecycleStage.ACTIVE
    return LifecycleStage.NEW


def customer_mark_active(*, customer: Customer, at: datetime.datetime | None = None) -> bool:
    """Record that the customer did something (sent a message, joined, answered, ordered).

    One conditional UPDATE, skipped when they were marked within ACTIVE_TOUCH_EVERY; returns whether it wrote.
    """
    at = at or timezone.now()
    if customer.erased_at is not None:
        return False
    if customer.last_active_at is not None and at - customer.last_active_at < ACTIVE_TOUCH_EVERY:
        return False
    with transaction.atomic(savepoint=False):  # inside a caller's transaction: no savepoint round trips
        # The stage is computed from the current row (order figures change under a long-lived copy).
        stale = Q(last_active_at__isnull=True) | Q(last_active_at__lt=at - ACTIVE_TOUCH_EVERY)
        fresh = Customer.objects.select_for_update().filter(stale, pk=customer.pk, erased_at__isnull=True).first()
        if fresh is None:
            return False
        fresh.last_active_at = at
        fresh.lifecycle_stage = lifecycle_stage_of(fresh, now=at)
        fresh.save(update_fields=["last_active_at", "lifecycle_stage"])
    customer.last_active_at, customer.lifecycle_stage = fresh.last_active_at, fresh.lifecycle_stage
    return True


def lifecycle_stages_refresh(*, brand: Brand, now: datetime.datetime | None = None) -> int:
    """Move customers whose stage changed only because time passed; two UPDATEs for the whole brand."""
    now = now or timezone.now()
    last_seen = Greatest(F("created_at"), Coalesce(F("last_active_at"), F("created_at")),
                         Coalesce(F("last_order_at"), F("created_at")))
    live = Customer.objects.filter(brand=brand, erased_at__isnull=True)
    lapsed = (live.exclude(lifecycle_stage=LifecycleStage.LAPSED).alias(last_seen=last_seen)
              .filter(last_seen__lt=now - datetime.timedelta(days=LAPSED_AFTER_DAYS))
              .update(lifecycle_stage=LifecycleStage.LAPSED))
    grown = (live.filter(lifecycle_stage=LifecycleStage.NEW, created_at__lt=now - datetime.timedelta(days=NEW_FOR_DAYS))
             .update(lifecycle_stage=LifecycleStage.ACTIVE))
    return lapsed + grown
