"""What chats adds to crm's customer features, registered from ChatsConfig.ready(): the customer's messages,
reports and moderation history in their data export, their messages on their timeline, and the end of their
chat tokens (open sockets included) when they are erased."""

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from crm.models import Customer
from crm.privacy.registry import erase_step, export_section, export_time
from crm.profile.timeline import TimelineEntry, timeline_source
from privtraffic.tenancy.models import Membership

from .models import Attachment, Message, MessageKind, MessageReport, ModerationLog
from .realtime.tokens import chat_tokens_end

SNIPPET = 140


@export_section("messages")
def export_messages(customer: Customer) -> list[dict[str, Any]]:
    rows = (Message.objects.filter(brand_id=customer.brand_id, sender_customer=customer)
            .select_related("conversation__group").order_by("created_at", "id"))
    return [{
        "id": m.pk,
        "conversation": {
            "id": m.conversation_id,
            "kind": m.conversation.kind,
            "group": ({"id": m.conversation.group_id, "name": m.conversation.group.name}
                      if m.conversation.group_id else None),
        },
        "seq": m.seq,
        "sender_name": m.sender_name,
        "kind": m.kind,
        "body": m.body,
        "payload": m.payload,
        "created_at": export_time(m.created_at),
        "edited_at": export_time(m.edited_at),
        "deleted_at": export_time(m.deleted_at),
        "hidden": bool(m.hidden_reason),
    } for m in rows]


@export_section("reports")
def export_reports(customer: Customer) -> list[dict[str, Any]]:
    """Messages this person reported to the moderators."""
    rows = MessageReport.objects.filter(brand_id=customer.brand_id, reporter=customer).order_by("created_at", "id")
    return [{"message": r.message_id, "reason": r.reason, "created_at": export_time(r.created_at),
             "resolved_at": export_time(r.resolved_at)} for r in rows]


@export_section("moderation")
def export_moderation(customer: Customer) -> list[dict[str, Any]]:
    """Moderation actions taken on this person's messages or membership."""
    rows = ModerationLog.objects.filter(brand_id=customer.brand_id, customer=customer).order_by("created_at", "id")
    return [{"conversation": r.conversation_id, "message": r.message_id, "rule": r.rule, "action": r.action,
             "detail": r.detail, "created_at": export_time(r.created_at)} for r in rows]


@timeline_source("chats.messages")
def message_timeline(customer: Customer, limit: int) -> list[TimelineEntry]:
    rows = (Message.objects.filter(brand_id=customer.brand_id, sender_customer=customer, deleted_at__isnull=True)
            .select_related("conversation__group").order_by("-created_at")[:limit])
    entries = []
    for m in rows:
        where = m.conversation.group.name if m.conversation.group_id else _("1:1 chat")
        body = m.body if len(m.body) <= SNIPPET else m.body[:SNIPPET] + "…"
        entries.append(TimelineEntry(m.created_at, "message", _("Wrote in %(where)s") % {"where": where}, body))
    return entries


@erase_step("chats.tokens")
def end_chat_tokens(customer: Customer, actor) -> None:
    """An erased customer's tokens stop working at once, and the sockets they opened close (4401) on commit."""
    chat_tokens_end(customer=customer)


@erase_step("chats.attachments")
def erase_attachments(customer: Customer, actor) -> None:
    """The files an erased customer sent are deleted from storage (the messages stay, pointing at nothing)."""
    rows = list(Attachment.objects.filter(brand_id=customer.brand_id, uploaded_by=f"customer:{customer.pk}"))
    names = [(f.storage, f.name) for row in rows for f in (row.file, row.thumbnail) if f]
    Attachment.objects.filter(pk__in=[row.pk for row in rows]).delete()
    transaction.on_commit(lambda: [storage.delete(name) for storage, name in names])


@timeline_source("chats.handovers")
def handover_timeline(customer: Customer, limit: int) -> list[TimelineEntry]:
    """Each time the customer was assigned or handed over to a rep (crm's reassignment, from the profile or the
    inbox), as chats recorded it in their 1:1 chat."""
    rows = list(Message.objects.filter(brand_id=customer.brand_id, conversation__customer=customer,
                                       kind=MessageKind.SYSTEM, payload__event="customer.reassigned")
                .order_by("-created_at")[:limit])
    rep_ids = {m.payload.get("rep") for m in rows if isinstance(m.payload.get("rep"), int)}
    names = {m.pk: m.user.display_name
             for m in Membership.objects.filter(brand_id=customer.brand_id, pk__in=rep_ids).select_related("user")}
    return [TimelineEntry(m.created_at, "handover",
                          _("Handed over to %(rep)s") % {"rep": names.get(m.payload.get("rep"), _("a rep"))})
            for m in rows]
