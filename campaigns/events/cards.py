"""The "event" chat card (registered from CampaignsConfig.ready()): what a customer sees (seats left, RSVP or
join the waitlist; once going their check-in code, its QR and Cancel; "Waitlist #n"), and what staff see in the
inbox (the counts and a link to the event's page)."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from chats.cards.registry import CardAction, CardKind, CardLink, CardProgress, CardState, card_kind_register
from privtraffic.tenancy.actors import CustomerActor
from privtraffic.tenancy.errors import ApplicationError

from . import selectors
from .formatting import event_when
from .models import CommunityEvent, EventStatus, RsvpStatus
from .services import checkin_code_display, event_rsvp, event_rsvp_cancel


def _seats_line(event: CommunityEvent) -> str:
    left = event.seats_left
    if left:
        return ngettext("%(n)d seat left of %(total)d", "%(n)d seats left of %(total)d", left) % {
            "n": left, "total": event.capacity}
    return _("Full: join the waitlist and get the next free seat")


def _base(event: CommunityEvent, *, seats: bool = True) -> CardState:
    """Title, time, place and, unless the viewer holds a seat or a place in line (`seats`), how full it is."""
    state = CardState(title=event.title, lines=[event_when(event), event.place])
    if event.status == EventStatus.CANCELLED:
        state.badge = _("Cancelled")
    elif event.status == EventStatus.DRAFT:
        state.lines.append(_("Not open for RSVPs yet"))
    elif event.starts_at <= timezone.now():
        state.lines.append(_("This event has started."))
    elif seats:
        state.lines.append(_seats_line(event))
        state.progress = CardProgress(value=event.seats_taken, max=event.capacity, label=ngettext(
            "%(n)d of %(total)d seat taken", "%(n)d of %(total)d seats taken", event.seats_taken) % {
            "n": event.seats_taken, "total": event.capacity})
    return state


def _open(event: CommunityEvent) -> bool:
    return event.status == EventStatus.PUBLISHED and event.starts_at > timezone.now()


def event_card_state(*, actor, ref: int) -> CardState:
    event = selectors.event_get(actor.brand_id, event_id=ref)
    if not isinstance(actor, CustomerActor):
        state = _base(event)
        counts = selectors.event_counts(actor.brand_id, event=event)
        state.lines.append(_("%(going)d going, %(waiting)d on the waitlist, %(in)d checked in") % {
            "going": counts[RsvpStatus.GOING] + counts[RsvpStatus.CHECKED_IN],
            "waiting": counts[RsvpStatus.WAITLISTED], "in": counts[RsvpStatus.CHECKED_IN]})
        state.links = [CardLink(label=_("Open the event"), url=reverse(
            "events:detail", kwargs={"slug": event.brand.slug, "event_id": event.pk}))]
        return state
    rsvp = selectors.rsvp_for_customer(actor.brand_id, event=event, customer=actor.customer)
    status = rsvp.status if rsvp else None
    state = _base(event, seats=status in (None, RsvpStatus.CANCELLED))
    if status in (RsvpStatus.GOING, RsvpStatus.CHECKED_IN):
        state.badge = _("Checked in") if status == RsvpStatus.CHECKED_IN else _("Going")
        state.code = checkin_code_display(rsvp.checkin_code)
        state.qr_url = reverse("events:qr", kwargs={"event_id": event.pk})
        state.lines.append(_("Show this code at the door."))
        if status == RsvpStatus.GOING and _open(event):
            state.actions = [CardAction(verb="cancel", label=_("Cancel"), primary=False)]
    elif status == RsvpStatus.WAITLISTED:
        state.badge = _("Waitlist #%(n)d") % {"n": selectors.waitlist_rank(actor.brand_id, rsvp=rsvp)}
        state.lines.append(_("You get a seat automatically when one frees up; we will tell you here."))
        if _open(event):
            state.actions = [CardAction(verb="cancel", label=_("Cancel"), primary=False)]
    elif _open(event):
        if status == RsvpStatus.CANCELLED:
            state.badge = _("Cancelled")
        label = _("RSVP") if event.seats_left else _("Join the waitlist")
        state.actions = [CardAction(verb="rsvp", label=label)]
    return state


def _customer_only(actor) -> None:
    if not isinstance(actor, CustomerActor):
        raise ApplicationError.forbidden(_("Only the customer can answer for themselves."))


def event_card_rsvp(*, actor, ref: int) -> CardState:
    _customer_only(actor)
    event = selectors.event_get(actor.brand_id, event_id=ref)
    event_rsvp(actor=actor, event=event, customer=actor.customer)
    return event_card_state(actor=actor, ref=ref)


def event_card_cancel(*, actor, ref: int) -> CardState:
    _customer_only(actor)
    event = selectors.event_get(actor.brand_id, event_id=ref)
    event_rsvp_cancel(actor=actor, event=event, customer=actor.customer)
    return event_card_state(actor=actor, ref=ref)


card_kind_register(CardKind(kind="event", brand_of=selectors.event_brand_id, state=event_card_state,
                            actions={"rsvp": event_card_rsvp, "cancel": event_card_cancel}))
