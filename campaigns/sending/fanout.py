"""Sending one chunk (~1,000 recipients) of a campaign run, in a constant number of statements.

In one transaction: claim the chunk's pending deliveries (`FOR UPDATE SKIP LOCKED`: a retried or duplicated
chunk task finds them taken or already sent), lock their customers in id order (the weekly budget is shared
with reps' own 1:1 promotions, which lock the same row), read consent, quiet hours and the budget for the
whole chunk through crm's reach selector, take the budget slots in one INSERT, create missing conversations,
write the messages through chats' bulk path (one statement for the seqs, one for the messages, one outbox
event) and mark the deliveries. Broadcasts leave after commit. A worker killed mid-chunk rolls everything
back; the dispatcher queues the chunk again and it sends what is still pending.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from chats.bulk import BulkMessage, conversations_for_customers, conversations_for_groups, messages_send_bulk
from chats.models import BrandPersona, Message
from chats.services import Sender
from chats.templating import template_render
from communities.models import VipGroup
from crm.consent.selectors import Purpose, customers_reach
from crm.consent.services import opt_out_urls
from crm.models import ContactLane, Customer, PromotionContact
from privtraffic.tenancy.actors import SystemActor, authorize
from privtraffic.tenancy.models import Brand, Membership, Store

from ..authoring.audience import REACH_TO_SKIP
from ..coupons.issuing import coupon_claims_issue
from ..models import (
    Campaign,
    CampaignChannel,
    CampaignRun,
    CardKind,
    Coupon,
    Delivery,
    DeliveryStatus,
    RepTaskStatus,
    RunStatus,
    SkipReason,
)
from ..results.clicks import TRACKED_KINDS, click_url

# What chunks send: recipients without a rep task, and those of a task its rep sent that quiet hours deferred.
CHUNK_CLAIMABLE = Q(task__isnull=True) | Q(task__status=RepTaskStatus.SENT)


@dataclass
class ChunkResult:
    sent: int = 0
    skipped: int = 0
    deferred: int = 0

    def add(self, other: "ChunkResult") -> None:
        self.sent += other.sent
        self.skipped += other.skipped
        self.deferred += other.deferred


def delivery_chunk_send(*, brand: Brand, actor: SystemActor, run_id: int, chunk: int,
                        now: datetime.datetime | None = None) -> ChunkResult:
    """Send what is pending and due in one chunk of a run (not the recipients waiting for their rep: those
    of a task its rep already sent, deferred by quiet hours, go out with that rep's name and greeting)."""
    authorize(actor, None, brand, what="brand")
    now = now or timezone.now()
    with transaction.atomic():
        run = (CampaignRun.objects.select_related("campaign", "campaign__brand")
               .filter(brand=brand, pk=run_id, status=RunStatus.SENDING).first())
        if run is None:
            return ChunkResult()
        deliveries = list(Delivery.objects.select_for_update(skip_locked=True, of=("self",))
                          .filter(CHUNK_CLAIMABLE, run=run, chunk=chunk, status=DeliveryStatus.PENDING)
                          .filter(Q(not_before__isnull=True) | Q(not_before__lte=now))
                          .select_related("task__rep__user", "task__rep__store").order_by("id"))
        by_task: dict[int | None, list[Delivery]] = defaultdict(list)
        for delivery in deliveries:
            by_task[delivery.task_id].append(delivery)
        result = ChunkResult()
        for claimed in by_task.values():
            task = claimed[0].task
            result.add(deliveries_send(run=run, deliveries=claimed, now=now, greeting=task.greeting if task else "",
                                       rep=task.rep if task else None))
        # When the chunk finished, not when it started: a chunk slower than CAMPAIGN_STALE_SECONDS must not make
        # its run look quiet (the dispatcher then queues every pending chunk again, on every pass).
        CampaignRun.objects.filter(pk=run.pk).update(progress_at=max(now, timezone.now()))
    return result


def deliveries_send(*, run: CampaignRun, deliveries: list[Delivery], now: datetime.datetime,
                    greeting: str = "", rep: Membership | None = None) -> ChunkResult:
    """Send claimed deliveries of one run (called inside the claiming transaction). `rep` and `greeting`:
    a rep confirming their task sends under their name with their greeting first."""
    if not deliveries:
        return ChunkResult()
    campaign = run.campaign
    if campaign.channel == CampaignChannel.GROUP:
        return _send_group_posts(campaign, run, deliveries, now)
    return _send_direct(campaign, run, deliveries, now, greeting=greeting, rep=rep)


def _brand_sender(brand: Brand) -> Sender:
    """Who speaks for the brand itself: its persona, or a bot under the brand's name."""
    persona = BrandPersona.objects.filter(brand=brand).first()
    return Sender.of_persona(persona) if persona else Sender.bot(brand.name, "brand")


def card_payload_for(campaign: Campaign, delivery: Delivery | None, opt_out: str | None) -> dict[str, Any]:
    """The card a recipient gets: the campaign's card, with their own opt-out link on 1:1 promotions
    (`opt_out`, from crm's opt_out_urls), which campaign it came from, and the card's link tracked for this
    recipient (`click_url`, for results; not in a preview, which has no delivery)."""
    payload = dict(campaign.card_payload or {})
    payload["campaign"] = campaign.pk
    if delivery is not None and campaign.card_kind in TRACKED_KINDS and payload.get("url"):
        payload["click_url"] = click_url(delivery)  # counted on this delivery, then on to payload["url"]
    if opt_out is not None:
        payload["opt_out_url"] = opt_out
    return payload


def _render(campaign: Campaign, values: dict[str, str], greeting: str = "") -> str:
    body = template_render(campaign.body, values)
    if greeting:
        body = f"{template_render(greeting, values)}\n{body}"
    return body


def direct_values(brand: Brand, customer: Customer, sender: Sender, sender_rep: Membership | None,
                  home_store: Store | None) -> dict[str, str]:
    """The variables of a 1:1 message: the rep's store, else the customer's home store, else the brand."""
    store = (sender_rep.store if sender_rep and sender_rep.store_id else None) or home_store
    return {"first_name": customer.first_name, "rep_name": sender.name,
            "store_name": store.name if store else brand.name}


def group_values(brand: Brand, group: VipGroup | None, sender: Sender) -> dict[str, str]:
    """The variables of a group post: no first name; the group's store, else the brand."""
    return {"first_name": "", "rep_name": sender.name,
            "store_name": group.store.name if group is not None and group.store_id else brand.name}


@dataclass(frozen=True)
class Rendered:
    sender: Sender
    kind: str
    body: str
    payload: dict[str, Any]


def recipient_render(*, campaign: Campaign, customer: Customer | None = None, group: VipGroup | None = None,
                     rep: Membership | None = None) -> Rendered:
    """What one recipient gets, exactly as a chunk writes it: the builder's preview and the test send use
    this. `rep`: send under this staff member's name (a rep confirming, or a marketer's test to themselves)."""
    brand = campaign.brand
    if campaign.channel == CampaignChannel.GROUP or customer is None:
        sender = _brand_sender(brand)
        values = group_values(brand, group, sender)
        return Rendered(sender, campaign.card_kind or "text", _render(campaign, values),
                        card_payload_for(campaign, None, None))
    sender_rep = rep
    if sender_rep is None and campaign.channel == CampaignChannel.DIRECT and customer.assigned_rep_id:
        sender_rep = (Membership.objects.filter(brand=brand, pk=customer.assigned_rep_id, is_active=True)
                      .select_related("user", "store").first())
    sender = Sender.of_staff(sender_rep) if sender_rep else _brand_sender(brand)
    home_store = Store.objects.filter(brand=brand, pk=customer.home_store_id).first() if customer.home_store_id \
        else None
    values = direct_values(brand, customer, sender, sender_rep, home_store)
    return Rendered(sender, campaign.card_kind or "text", _render(campaign, values),
                    card_payload_for(campaign, None, opt_out_urls([customer])[customer.pk]))


def _send_direct(campaign: Campaign, run: CampaignRun, deliveries: list[Delivery], now: datetime.datetime,
                 *, greeting: str, rep: Membership | None) -> ChunkResult:
    brand = campaign.brand
    result = ChunkResult()
    # Lock the chunk's customers in id order: a rep's own promotion to one of them waits for us, and sees
    # the budget slot we take.
    customers = {c.pk: c for c in Customer.objects.select_for_update().filter(
        brand=brand, pk__in=[d.customer_id for d in deliveries]).order_by("pk")}
    reach = customers_reach(brand=brand, customers=customers.values(), purpose=Purpose.PROMOTIONAL, at=now)
    rep_ids = {c.assigned_rep_id for c in customers.values() if c.assigned_rep_id} if rep is None else set()
    reps = {m.pk: m for m in Membership.objects.filter(brand=brand, pk__in=rep_ids, is_active=True)
            .select_related("user", "store")} if campaign.channel == CampaignChannel.DIRECT else {}
    if rep is not None:
        reps = {rep.pk: rep}
    stores = {s.pk: s for s in Store.objects.filter(
        brand=brand, pk__in={c.home_store_id for c in customers.values() if c.home_store_id})}
    brand_sender = _brand_sender(brand)

    to_send: list[tuple[Delivery, Customer, Sender, Membership | None]] = []
    skipped: dict[str, list[int]] = defaultdict(list)
    deferred: dict[datetime.datetime, list[int]] = defaultdict(list)
    for delivery in deliveries:
        customer = customers[delivery.customer_id]
        answer = reach[customer.pk]
        if not answer.reachable:
            if answer.reason == "quiet_hours":
                deferred[answer.next_possible_at].append(delivery.pk)
            else:
                reason = ("promotions_withdrawn" if answer.reason == "no_promotions_consent"
                          and customer.consent_promotions_at else answer.reason)
                skipped[REACH_TO_SKIP.get(reason, SkipReason.NO_CONSENT)].append(delivery.pk)
            continue
        sender_rep = rep or reps.get(customer.assigned_rep_id)
        sender = Sender.of_staff(sender_rep) if sender_rep else brand_sender
        to_send.append((delivery, customer, sender, sender_rep))

    if to_send:
        _issue_card_coupon(campaign, [customer.pk for _d, customer, _s, _r in to_send])
        conversations = conversations_for_customers(brand=brand, customer_ids=[c.pk for _d, c, _s, _r in to_send])
        PromotionContact.objects.bulk_create([
            PromotionContact(brand=brand, customer_id=customer.pk, created_at=now,
                             lane=ContactLane.REP if sender_rep else (
                                 ContactLane.PERSONA if sender.persona else ContactLane.BROADCAST),
                             ref=f"campaign:{campaign.pk}:{run.pk}")
            for _d, customer, sender, sender_rep in to_send])
        opt_outs = opt_out_urls(customer for _d, customer, _s, _r in to_send)
        messages = []
        for delivery, customer, sender, sender_rep in to_send:
            values = direct_values(brand, customer, sender, sender_rep, stores.get(customer.home_store_id))
            messages.append(BulkMessage(
                conversation_id=conversations[customer.pk], sender=sender, kind=campaign.card_kind or "text",
                body=_render(campaign, values, greeting),
                payload=card_payload_for(campaign, delivery, opt_outs[customer.pk]),
                client_msg_id=f"campaign-delivery:{delivery.pk}"))
        _write(brand, campaign, run, [d for d, *_rest in to_send], messages, now,
               reps=[r for *_rest, r in to_send])
        result.sent = len(to_send)
    for reason, ids in skipped.items():
        Delivery.objects.filter(pk__in=ids).update(status=DeliveryStatus.SKIPPED, reason=reason)
        result.skipped += len(ids)
    for until, ids in deferred.items():
        Delivery.objects.filter(pk__in=ids).update(reason=SkipReason.QUIET_HOURS, not_before=until)
        result.deferred += len(ids)
    return result


def _issue_card_coupon(campaign: Campaign, customer_ids: list[int]) -> None:
    """A card of a coupon with personal codes: the chunk's recipients get their own codes now, in one bulk call
    (inside the chunk's transaction), so the card they open already shows their code."""
    ref = (campaign.card_payload or {}).get("ref")
    if campaign.card_kind != CardKind.COUPON or not isinstance(ref, int) or isinstance(ref, bool):
        return
    coupon = Coupon.objects.filter(brand=campaign.brand, pk=ref, personal_codes=True, active=True).first()
    if coupon is not None:
        coupon_claims_issue(actor=SystemActor.for_brand(campaign.brand, f"campaign:{campaign.pk}"), coupon=coupon,
                            customer_ids=customer_ids)


def _send_group_posts(campaign: Campaign, run: CampaignRun, deliveries: list[Delivery],
                      now: datetime.datetime) -> ChunkResult:
    brand = campaign.brand
    result = ChunkResult()
    groups = {g.pk: g for g in VipGroup.objects.filter(brand=brand, pk__in=[d.group_id for d in deliveries])
              .select_related("store")}
    open_deliveries = [d for d in deliveries if d.group_id in groups and not groups[d.group_id].archived]
    open_ids = {d.pk for d in open_deliveries}
    closed = [d.pk for d in deliveries if d.pk not in open_ids]
    if open_deliveries:
        sender = _brand_sender(brand)
        conversations = conversations_for_groups(brand=brand, group_ids=[d.group_id for d in open_deliveries])
        messages = []
        for delivery in open_deliveries:
            group = groups[delivery.group_id]
            values = group_values(brand, group, sender)
            messages.append(BulkMessage(
                conversation_id=conversations[group.pk], sender=sender, kind=campaign.card_kind or "text",
                body=_render(campaign, values), payload=card_payload_for(campaign, delivery, None),
                client_msg_id=f"campaign-delivery:{delivery.pk}"))
        _write(brand, campaign, run, open_deliveries, messages, now, reps=[None] * len(open_deliveries))
        result.sent = len(open_deliveries)
    if closed:
        Delivery.objects.filter(pk__in=closed).update(status=DeliveryStatus.SKIPPED, reason=SkipReason.GROUP_CLOSED)
        result.skipped = len(closed)
    return result


def _write(brand: Brand, campaign: Campaign, run: CampaignRun, deliveries: list[Delivery],
           messages: list[BulkMessage], now: datetime.datetime, *, reps: list[Membership | None]) -> None:
    """The messages (chats' bulk path) and the deliveries marked sent: a handful of statements."""
    created = messages_send_bulk(
        brand=brand, actor=SystemActor.for_brand(brand, f"campaign:{campaign.pk}"), messages=messages,
        event_payload={"campaign_id": campaign.pk, "run_id": run.pk})
    _mark_sent(deliveries, created, reps, now)


def _mark_sent(deliveries: list[Delivery], messages: list[Message], reps: list[Membership | None],
               now: datetime.datetime) -> None:
    """Mark deliveries sent with their message, rep and persona: one UPDATE ... FROM a list of values (Django's
    bulk_update builds a CASE per row and field, about 20 ms per row at 1,000 rows)."""
    table = Delivery._meta.db_table  # only our table name is interpolated; every value is a parameter
    rows = [(d.pk, m.pk, r.pk if r else None, m.persona_id) for d, m, r in zip(deliveries, messages, reps,
                                                                                  strict=True)]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            ids, message_ids, rep_ids, persona_ids = (list(column) for column in zip(*rows, strict=True))
            cursor.execute(
                f"UPDATE {table} AS d SET status = %s, sent_at = %s, reason = '', not_before = NULL, "  # noqa: S608
                "message_id = v.message_id, rep_id = v.rep_id, persona_id = v.persona_id "
                "FROM (SELECT unnest(%s::bigint[]) AS id, unnest(%s::bigint[]) AS message_id, "
                "unnest(%s::bigint[]) AS rep_id, unnest(%s::bigint[]) AS persona_id) AS v WHERE d.id = v.id",
                [DeliveryStatus.SENT, now, ids, message_ids, rep_ids, persona_ids])
        else:  # SQLite 3.33+: UPDATE ... FROM (VALUES ...), whose columns are column1, column2, ...
            values = ", ".join(["(%s, %s, %s, %s)"] * len(rows))
            cursor.execute(
                f"UPDATE {table} SET status = %s, sent_at = %s, reason = '', not_before = NULL, "  # noqa: S608
                f"message_id = v.column2, rep_id = v.column3, persona_id = v.column4 "
                f"FROM (VALUES {values}) AS v WHERE {table}.id = v.column1",
                [DeliveryStatus.SENT, now, *(value for row in rows for value in row)])
        if cursor.rowcount != len(rows):
            raise RuntimeError(f"marked {cursor.rowcount} of {len(rows)} deliveries sent")
