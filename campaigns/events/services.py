"""Events: create and edit them, RSVP and cancel (with the waitlist), check in at the door.

Capacity is exact under concurrency without reading before writing:

- an RSVP takes a seat with one conditional UPDATE (`seats_taken < capacity`); when that matches nothing it
  takes the next waitlist position with another (`seats_taken >= capacity`), both on the event's row, so
  whichever runs holds the row lock until commit and PostgreSQL re-checks the condition on the newest row;
- a cancellation locks the event row first, and hands the freed seat straight to the first waitlisted
  (the seat never becomes free while anyone waits), or gives it back when nobody does;
- every path that locks more than the event takes the event first, so they never deadlock.

Customers promoted from the waitlist are told in their 1:1 chat, in the same transaction (chats' bulk path,
as the brand); the outbox gets `event.rsvp` for every change and `event.checked_in` at the door.
"""

from __future__ import annotations

import datetime
import secrets
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from chats.bulk import BulkMessage, conversations_for_customers, messages_send_bulk
from chats.cards.services import card_refresh_on_commit
from chats.models import BrandPersona, MessageKind
from chats.services import Sender
from communities.models import VipGroup
from crm.models import Customer
from privtraffic.events.services import event_record, event_record_many
from privtraffic.tenancy.actors import Actor, CustomerActor, SystemActor, authorize
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.models import Brand, Membership, Store
from privtraffic.tenancy.roles import Perm

from .formatting import event_when
from .models import CommunityEvent, EventStatus, Rsvp, RsvpStatus

# No 0/O, 1/I/L: typed from a phone at the door. 31**10 is about 49 bits: far beyond guessing one.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10
MAX_CAPACITY = 100_000
DAY = datetime.timedelta(hours=24)
HOUR = datetime.timedelta(hours=1)


def checkin_code_generate() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def checkin_code_display(code: str) -> str:
    """ABCDE-FGHJK: easier to read out and type."""
    return f"{code[:5]}-{code[5:]}" if len(code) == CODE_LENGTH else code


def checkin_code_normalize(raw: Any) -> str | None:
    """What a rep typed or scanned, as stored (upper case, no dashes or spaces); None when it cannot be one."""
    if not isinstance(raw, str) or len(raw) > 40:
        return None
    code = raw.strip().upper().replace("-", "").replace(" ", "")
    if len(code) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in code):
        return None
    return code


# --- the event itself -------------------------------------------------------------------------------------


def _clean(brand: Brand, *, title: str, description: str, place: str, starts_at: datetime.datetime,
           ends_at: datetime.datetime, capacity: int, group: VipGroup | None, store: Store | None,
           status: str) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    title, place, description = (title or "").strip(), (place or "").strip(), (description or "").strip()
    if not 0 < len(title) <= 120:
        errors["title"] = [_("Give the event a title (at most 120 characters).")]
    if not 0 < len(place) <= 200:
        errors["place"] = [_("Say where it happens (at most 200 characters).")]
    if len(description) > 2000:
        errors["description"] = [_("At most 2,000 characters.")]
    for name, moment in (("starts_at", starts_at), ("ends_at", ends_at)):
        if not isinstance(moment, datetime.datetime) or timezone.is_naive(moment):
            errors[name] = [_("Enter a date and time.")]
    if "starts_at" not in errors and "ends_at" not in errors and ends_at <= starts_at:
        errors["ends_at"] = [_("The event must end after it starts.")]
    if not isinstance(capacity, int) or isinstance(capacity, bool) or not 0 < capacity <= MAX_CAPACITY:
        errors["capacity"] = [_("Seats must be between 1 and %(max)s.") % {"max": f"{MAX_CAPACITY:,}"}]
    if status not in EventStatus.values:
        errors["status"] = [_("Unknown status.")]
    if group is not None and group.brand_id != brand.pk:
        raise ApplicationError.not_found("group")
    if store is not None and store.brand_id != brand.pk:
        raise ApplicationError.not_found("store")
    if errors:
        raise ApplicationError("invalid", _("Check the event's details."), fields=errors)
    return {"title": title, "description": description, "place": place, "starts_at": starts_at,
            "ends_at": ends_at, "capacity": capacity, "group": group, "store": store, "status": status}


def event_create(*, brand: Brand, actor: Actor, title: str, place: str, starts_at: datetime.datetime,
                 ends_at: datetime.datetime, capacity: int, description: str = "", group: VipGroup | None = None,
                 store: Store | None = None, status: str = EventStatus.PUBLISHED) -> CommunityEvent:
    authorize(actor, Perm.MANAGE_CAMPAIGNS, brand, what="brand")
    fields = _clean(brand, title=title, description=description, place=place, starts_at=starts_at,
                    ends_at=ends_at, capacity=capacity, group=group, store=store, status=status)
    user = actor.user if isinstance(actor, Membership) else None
    return CommunityEvent.objects.create(brand=brand, created_by=user, **fields)


def event_update(*, actor: Actor, event: CommunityEvent, title: str, place: str, starts_at: datetime.datetime,
                 ends_at: datetime.datetime, capacity: int, description: str = "", group: VipGroup | None = None,
                 store: Store | None = None, status: str = EventStatus.PUBLISHED) -> CommunityEvent:
    """Change an event. Fewer seats than people going is refused; more seats promote the waitlist at once; a
    new start time re-arms the reminders of everyone going."""
    authorize(actor, Perm.MANAGE_CAMPAIGNS, event, what="event")
    fields = _clean(event.brand, title=title, description=description, place=place, starts_at=starts_at,
                    ends_at=ends_at, capacity=capacity, group=group, store=store, status=status)
    now = timezone.now()
    with transaction.atomic():
        locked = CommunityEvent.objects.select_for_update().select_related("brand").get(pk=event.pk)
        if fields["capacity"] < locked.seats_taken:
            raise ApplicationError("invalid", _("Check the event's details."), fields={"capacity": [
                _("%(n)d people have a seat; keep at least that many.") % {"n": locked.seats_taken}]})
        moved = fields["starts_at"] != locked.starts_at
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.save()
        if moved:
            Rsvp.objects.filter(event=locked, status=RsvpStatus.GOING).update(reminded_day_at=None,
                                                                             reminded_hour_at=None)
        free = locked.capacity - locked.seats_taken
        if free > 0 and locked.status == EventStatus.PUBLISHED:
            promoted = _promote(locked, free, now)
            if promoted:
                CommunityEvent.objects.filter(pk=locked.pk).update(seats_taken=F("seats_taken") + len(promoted))
                locked.refresh_from_db(fields=["seats_taken"])
        _refresh_group_card(locked)
    return locked


# --- RSVP, cancel, the waitlist ------------------------------------------------------------------------------


def _own_customer(actor: Actor, event: CommunityEvent, customer: Customer) -> None:
    authorize(actor, Perm.CHAT, event, what="event")
    authorize(actor, None, customer, what="customer")
    if isinstance(actor, CustomerActor) and actor.customer.pk != customer.pk:
        raise ApplicationError.not_found("customer")


def _reminder_marks(event: CommunityEvent, now: datetime.datetime) -> dict[str, Any]:
    """Someone who gets a seat inside a reminder's window has just been told the time: that reminder is done."""
    return {"reminded_day_at": now if now >= event.starts_at - DAY else None,
            "reminded_hour_at": now if now >= event.starts_at - HOUR else None}


def _take_seat_or_place(event_id: int) -> tuple[str, int | None]:
    """A seat (GOING) or the next waitlist position, by conditional UPDATEs on the event row."""
    events = CommunityEvent.objects.filter(pk=event_id, status=EventStatus.PUBLISHED)
    for _attempt in range(10):
        if events.filter(seats_taken__lt=F("capacity")).update(seats_taken=F("seats_taken") + 1):
            return RsvpStatus.GOING, None
        if events.filter(seats_taken__gte=F("capacity")).update(waitlist_seq=F("waitlist_seq") + 1):
            # This transaction holds the row now: the value read back is the position it took.
            return RsvpStatus.WAITLISTED, CommunityEvent.objects.filter(pk=event_id).values_list(
                "waitlist_seq", flat=True).get()
        if not events.exists():
            break
    raise ApplicationError("event_closed", _("This event is not taking RSVPs."), status=409)


def _check_open(event: CommunityEvent, now: datetime.datetime) -> None:
    if event.status == EventStatus.CANCELLED:
        raise ApplicationError("event_cancelled", _("This event was cancelled."), status=409)
    if event.status != EventStatus.PUBLISHED:
        raise ApplicationError("event_closed", _("This event is not taking RSVPs."), status=409)
    if event.starts_at <= now:
        raise ApplicationError("event_started", _("This event has already started."), status=409)


def _rsvp_event(rsvp: Rsvp, *, promoted: bool = False) -> tuple[str, dict[str, Any]]:
    return "event.rsvp", {"event": rsvp.event_id, "rsvp": rsvp.pk, "customer": rsvp.customer_id,
                          "status": rsvp.status, "waitlist_position": rsvp.waitlist_position, "promoted": promoted}


def event_rsvp(*, actor: Actor, event: CommunityEvent, customer: Customer) -> Rsvp:
    """RSVP: a seat when one is free, else the end of the waitlist. Pressing it again answers the same RSVP;
    after a cancellation it asks again (a new waitlist position, the same check-in code)."""
    _own_customer(actor, event, customer)
    now = timezone.now()
    _check_open(event, now)
    for _attempt in range(3):
        existing = Rsvp.objects.filter(event=event, customer=customer).first()
        if existing is not None and existing.status != RsvpStatus.CANCELLED:
            return existing
        try:
            with transaction.atomic():
                status, position = _take_seat_or_place(event.pk)
                marks = _reminder_marks(event, now) if status == RsvpStatus.GOING else {
                    "reminded_day_at": None, "reminded_hour_at": None}
                if existing is None:
                    rsvp = Rsvp.objects.create(brand_id=event.brand_id, event=event, customer=customer, status=status,
                                               waitlist_position=position, checkin_code=checkin_code_generate(),
                                               **marks)
                else:
                    changed = Rsvp.objects.filter(pk=existing.pk, status=RsvpStatus.CANCELLED).update(
                        status=status, waitlist_position=position, cancelled_at=None, promoted_at=None,
                        updated_at=now, **marks)
                    if not changed:  # the same customer asked twice at once: the other one won
                        raise IntegrityError("rsvp changed meanwhile")
                    rsvp = Rsvp.objects.get(pk=existing.pk)
                event_record(brand=event.brand, type="event.rsvp", payload=_rsvp_event(rsvp)[1])
                _refresh_group_card(event)
            return rsvp
        except IntegrityError:
            continue  # everything above rolled back, the seat included; read what won
    return Rsvp.objects.get(event=event, customer=customer)


def event_rsvp_cancel(*, actor: Actor, event: CommunityEvent, customer: Customer) -> Rsvp:
    """Give up a seat (the first waitlisted gets it, and is told) or leave the waitlist."""
    _own_customer(actor, event, customer)
    now = timezone.now()
    with transaction.atomic():
        locked = CommunityEvent.objects.select_for_update().select_related("brand").get(pk=event.pk)
        rsvp = Rsvp.objects.select_for_update().filter(event=locked, customer=customer).first()
        if rsvp is None or rsvp.status == RsvpStatus.CANCELLED:
            raise ApplicationError("no_rsvp", _("There is no RSVP to cancel."), status=409)
        if rsvp.status == RsvpStatus.CHECKED_IN:
            raise ApplicationError("already_checked_in", _("You have already checked in."), status=409)
        if locked.starts_at <= now:
            raise ApplicationError("event_started", _("This event has already started."), status=409)
        had_seat = rsvp.status == RsvpStatus.GOING
        rsvp.status, rsvp.cancelled_at = RsvpStatus.CANCELLED, now
        rsvp.save(update_fields=["status", "cancelled_at", "updated_at"])
        event_record(brand=locked.brand, type="event.rsvp", payload=_rsvp_event(rsvp)[1])
        if had_seat:
            promoted = _promote(locked, 1, now) if locked.status == EventStatus.PUBLISHED else []
            if not promoted:  # nobody waiting: the seat is free again
                CommunityEvent.objects.filter(pk=locked.pk, seats_taken__gt=0).update(
                    seats_taken=F("seats_taken") - 1)
        _refresh_group_card(locked)
    return rsvp


def _brand_sender(brand: Brand) -> Sender:
    persona = BrandPersona.objects.filter(brand=brand).first()
    return Sender.of_persona(persona) if persona else Sender.bot(brand.name, "brand")


def _promote(event: CommunityEvent, count: int, now: datetime.datetime) -> list[Rsvp]:
    """Give `count` seats to the first waitlisted, in order, and tell each of them in their 1:1 chat.
    The caller holds the event's row lock and owns the seat counter."""
    waiting = list(Rsvp.objects.select_for_update().filter(event=event, status=RsvpStatus.WAITLISTED)
                   .order_by("waitlist_position")[:count])
    if not waiting:
        return []
    ids = [r.pk for r in waiting]
    Rsvp.objects.filter(pk__in=ids).update(status=RsvpStatus.GOING, promoted_at=now, updated_at=now,
                                           **_reminder_marks(event, now))
    for r in waiting:
        r.status, r.promoted_at = RsvpStatus.GOING, now
    event_record_many(brand=event.brand, events=[_rsvp_event(r, promoted=True) for r in waiting])
    body = _("Good news: a seat opened up and it is yours. You are going to %(title)s, %(when)s, %(place)s.") % {
        "title": event.title, "when": event_when(event), "place": event.place}
    stamp = int(now.timestamp() * 1000)
    _notify(event, {r.customer_id: f"event-promoted:{r.pk}:{stamp}" for r in waiting}, body, key="promoted")
    return waiting


def _notify(event: CommunityEvent, client_ids: dict[int, str], body: str, *, key: str) -> None:
    """One event card with `body` into each customer's 1:1 conversation (transactional: no consent or budget
    check), and their open chats re-read the card. `client_ids`: customer id -> the message's client_msg_id
    (unique per notice, so a notice written twice would fail and roll back rather than arrive twice)."""
    brand = event.brand
    conversations = conversations_for_customers(brand=brand, customer_ids=list(client_ids))
    sender = _brand_sender(brand)
    payload = {"title": event.title, "ref": event.pk}
    messages_send_bulk(
        brand=brand, actor=SystemActor.for_brand(brand, f"events:{key}"),
        messages=[BulkMessage(conversation_id=conversations[cid], sender=sender, body=body, kind=MessageKind.EVENT,
                              payload=payload, client_msg_id=client_id)
                  for cid, client_id in client_ids.items() if cid in conversations],
        event_payload={"community_event": event.pk, "notice": key})
    card_refresh_on_commit(brand_id=brand.pk, conversation_ids=sorted(conversations.values()), kind="event",
                           ref=event.pk)


def _refresh_group_card(event: CommunityEvent) -> None:
    """Seats changed: the event's group chat (where its card usually sits) re-reads it."""
    if event.group_id is None:
        return
    from chats.models import Conversation

    conversation_id = Conversation.objects.filter(brand_id=event.brand_id, group_id=event.group_id).values_list(
        "id", flat=True).first()
    if conversation_id is not None:
        card_refresh_on_commit(brand_id=event.brand_id, conversation_ids=[conversation_id], kind="event",
                               ref=event.pk)


# --- at the door ------------------------------------------------------------------------------------------


def _refuse(code: str, message: str, status: int = 409) -> ApplicationError:
    """A check-in refusal: the whole sentence sits on the code field, where the rep is looking."""
    return ApplicationError(code, message, fields={"code": [message]}, status=status)


def event_checkin(*, actor: Actor, event: CommunityEvent, code: Any) -> Rsvp:
    """Check in the holder of `code` (typed or scanned). Clear refusals: a code nobody holds, another event's
    code, someone already in, someone on the waitlist or cancelled."""
    authorize(actor, Perm.CHAT, event, what="event")
    normalized = checkin_code_normalize(code)
    unknown = _refuse("checkin_code_unknown", _("No RSVP has this code. Check it and try again."), status=400)
    if normalized is None:
        raise unknown
    now = timezone.now()
    with transaction.atomic():
        rsvp = (Rsvp.objects.select_for_update(of=("self",)).select_related("event", "customer")
                .filter(brand_id=event.brand_id, checkin_code=normalized).first())
        if rsvp is None:
            raise unknown
        name = rsvp.customer.name
        if rsvp.event_id != event.pk:
            raise _refuse("checkin_other_event", _("%(name)s's code is for another event: %(title)s, %(when)s.") % {
                "name": name, "title": rsvp.event.title, "when": event_when(rsvp.event)})
        if rsvp.status == RsvpStatus.CHECKED_IN:
            local = timezone.localtime(rsvp.checked_in_at, event.brand.tzinfo)
            raise _refuse("already_checked_in", _("%(name)s already checked in at %(time)s.") % {
                "name": name, "time": local.strftime("%H:%M")})
        if rsvp.status == RsvpStatus.WAITLISTED:
            raise _refuse("rsvp_waitlisted", _("%(name)s is on the waitlist, not going.") % {"name": name})
        if rsvp.status == RsvpStatus.CANCELLED:
            raise _refuse("rsvp_cancelled", _("%(name)s cancelled their RSVP.") % {"name": name})
        if event.status == EventStatus.CANCELLED:
            raise _refuse("event_cancelled", _("This event was cancelled."))
        rsvp.status, rsvp.checked_in_at = RsvpStatus.CHECKED_IN, now
        rsvp.checked_in_by = actor if isinstance(actor, Membership) else None
        rsvp.save(update_fields=["status", "checked_in_at", "checked_in_by", "updated_at"])
        event_record(brand=event.brand, type="event.checked_in", payload={
            "event": event.pk, "rsvp": rsvp.pk, "customer": rsvp.customer_id, "checked_in_at": now,
            "checked_in_by": rsvp.checked_in_by_id})
    return rsvp
