"""Writes of the rep inbox: quick replies (the brand's saved answers), and the team's workflow on a conversation:
its status (open, snoozed, resolved), hand-over to another rep, and private notes."""

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.customers.services import REASSIGN_PERM, customer_reassign
from crm.models import Customer
from privtraffic.tenancy.actors import Actor, CustomerActor, SystemActor, actor_has, actor_role, authorize
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.models import Brand, Membership
from privtraffic.tenancy.parsing import bad_text, bad_text_error
from privtraffic.tenancy.roles import Perm, Role

from ..models import (
    MAX_BODY_LENGTH,
    Conversation,
    ConversationKind,
    ConversationNote,
    ConversationStatus,
    QuickReply,
)
from ..realtime import brand_staff_group, broadcast_on_commit
from ..selectors import conversation_visible_to
from ..templating import template_check, template_render


def quick_reply_may_manage(actor: Actor) -> bool:
    """Who writes the brand's quick replies: whoever manages campaigns, and store managers. Reps use them."""
    return actor_has(actor, Perm.MANAGE_CAMPAIGNS) or (
        actor_role(actor) == Role.STORE_MANAGER and actor_has(actor, Perm.CHAT))


def _authorize_manage(actor: Actor, obj) -> None:
    authorize(actor, None, obj, what="quick reply")
    if not quick_reply_may_manage(actor):
        raise ApplicationError.forbidden(_("Your role does not allow managing quick replies."))


def quick_reply_save(*, brand: Brand, actor: Actor, title: str, body: str,
                     quick_reply: QuickReply | None = None) -> QuickReply:
    _authorize_manage(actor, quick_reply or brand)
    title, body = (title or "").strip(), (body or "").strip()
    errors = {}
    if not title:
        errors["title"] = [_("This field is required.")]
    if not body:
        errors["body"] = [_("This field is required.")]
    elif len(body) > MAX_BODY_LENGTH:
        errors["body"] = [_("At most 4,000 characters.")]
    if errors:
        raise ApplicationError("invalid", _("Some fields are not valid."), fields=errors)
    template_check(body)
    reply = quick_reply or QuickReply(brand=brand, created_by=actor.user if isinstance(actor, Membership) else None)
    reply.title, reply.body = title[:80], body
    try:
        with transaction.atomic():
            reply.save()
    except IntegrityError:
        message = _("A quick reply with this title already exists.")
        raise ApplicationError("duplicate", message, fields={"title": [message]}, status=409)
    return reply


def quick_reply_delete(*, quick_reply: QuickReply, actor: Actor) -> None:
    _authorize_manage(actor, quick_reply)
    quick_reply.delete()


def quick_reply_render(*, body: str, conversation: Conversation, membership: Membership) -> str:
    """Fill {first_name}, {rep_name} and {store_name} for this conversation."""
    template_check(body)
    customer = conversation.customer if conversation.kind == ConversationKind.DIRECT else None
    store = membership.store or (customer.home_store if customer else None)
    values = {
        "first_name": customer.first_name if customer else "",
        "rep_name": membership.user.display_name,
        "store_name": store.name if store else conversation.brand.name,
    }
    return template_render(body, values)


# --- the team's workflow: status, hand-over, private notes ---------------------------------------------------

MAX_SNOOZE = timedelta(days=90)


def _check_staff_sees(conversation: Conversation, actor: Actor) -> None:
    """Staff who may chat and see this conversation (anything else: 404, or 403 for a role without chat)."""
    authorize(actor, None, conversation, what="conversation")
    if isinstance(actor, CustomerActor):
        raise ApplicationError.not_found("conversation")
    if not actor_has(actor, Perm.CHAT):
        raise ApplicationError.forbidden(_("Your role does not allow chatting."))
    if not conversation_visible_to(actor=actor, conversation_id=conversation.pk):
        raise ApplicationError.not_found("conversation")


def conversation_status_set(*, conversation: Conversation, actor: Actor, status: str,
                            snoozed_until: datetime | None = None) -> Conversation:
    """Open, resolve, or snooze a conversation until a time (after which it counts as open again)."""
    _check_staff_sees(conversation, actor)
    if status not in ConversationStatus.values:
        raise ApplicationError("invalid", _("Choose open, snoozed or resolved."),
                               fields={"status": [_("Unknown status.")]})
    if status == ConversationStatus.SNOOZED:
        now = timezone.now()
        if snoozed_until is None or timezone.is_naive(snoozed_until) or snoozed_until <= now:
            raise ApplicationError("invalid", _("Snooze until a time in the future."),
                                   fields={"snoozed_until": [_("Choose a time in the future.")]})
        if snoozed_until > now + MAX_SNOOZE:
            raise ApplicationError("invalid", _("Snooze for at most 90 days."),
                                   fields={"snoozed_until": [_("At most 90 days ahead.")]})
    else:
        snoozed_until = None
    Conversation.objects.filter(pk=conversation.pk, brand_id=conversation.brand_id).update(
        status=status, snoozed_until=snoozed_until)
    conversation.status, conversation.snoozed_until = status, snoozed_until
    return conversation


def conversation_note_add(*, conversation: Conversation, actor: Actor, body: str) -> ConversationNote:
    """A private note for the team. Told live to the brand's staff sockets only, never to the conversation's
    group (which customers are in)."""
    _check_staff_sees(conversation, actor)
    body = str(body or "").strip()
    if bad_text(body):
        raise bad_text_error("body")
    if not body:
        raise ApplicationError("invalid", _("Write the note first."), fields={"body": [_("The note is empty.")]})
    if len(body) > MAX_BODY_LENGTH:
        raise ApplicationError("invalid", _("Notes are at most 4,000 characters."),
                               fields={"body": [_("At most 4,000 characters.")]})
    user = actor.user if isinstance(actor, Membership) else None
    with transaction.atomic():
        note = ConversationNote.objects.create(
            brand_id=conversation.brand_id, conversation=conversation, author=user,
            author_name=(user.display_name if user else _("The brand"))[:150], body=body,
            after_seq=Conversation.objects.get(pk=conversation.pk).last_seq)
        broadcast_on_commit(brand_staff_group(conversation.brand_id),
                            {"type": "chat.note", "brand": conversation.brand_id, "conversation": conversation.pk,
                             "note": note_to_dict(note)})
    return note


def note_to_dict(note: ConversationNote) -> dict:
    return {"id": note.pk, "conversation": note.conversation_id, "author_name": note.author_name, "body": note.body,
            "after_seq": note.after_seq,
            "created_at": note.created_at.isoformat().replace("+00:00", "Z") if note.created_at else None}


def conversation_assign(*, conversation: Conversation, actor: Actor, rep: Membership) -> Customer:
    """Assign a 1:1 conversation's customer to a rep, or hand it over to another (crm's reassignment: the
    audit history, the `customer.reassigned` event, and chats introducing the new rep in the chat).

    Team managers reassign as themselves (crm's rule: MANAGE_TEAM, within their store). A rep hands over a
    customer of their own, or takes an unassigned one, to a rep of their own store; crm records that as the
    inbox's hand-over.
    """
    _check_staff_sees(conversation, actor)
    if conversation.kind != ConversationKind.DIRECT:
        raise ApplicationError("invalid", _("Only 1:1 chats are assigned to a rep."))
    customer = conversation.customer
    if rep.brand_id != conversation.brand_id:
        raise ApplicationError.not_found("rep")
    if actor_has(actor, REASSIGN_PERM):
        return customer_reassign(customer=customer, rep=rep, actor=actor)
    if not isinstance(actor, Membership):
        raise ApplicationError.forbidden(_("Your role does not allow handing customers over."))
    own = customer.assigned_rep_id == actor.pk
    unassigned = customer.assigned_rep_id is None
    if not (own or unassigned):
        raise ApplicationError.forbidden(_("You can hand over only your own customers."))
    if not actor.store_id or rep.store_id != actor.store_id:
        message = _("Hand over to a rep of your own store.")
        raise ApplicationError("invalid", message, fields={"rep": [message]})
    system = SystemActor.for_brand(conversation.brand_id, f"inbox:handover by user {actor.user_id}")
    return customer_reassign(customer=customer, rep=rep, actor=system)
