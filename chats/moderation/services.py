"""Automatic group rules, reports and the moderation log.

Rules apply to customers only (staff and bots are trusted). A message that
breaks a rule is still stored, hidden, so moderators can see what was said; the
sender is warned, and muted or removed when the group's rule says so.
"""

import re
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.groups.services import group_member_mute, group_member_remove
from communities.models import GroupMember
from crm.models import Customer
from privtraffic.tenancy.actors import Actor, CustomerActor, SystemActor, authorize, require_store
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.models import Membership
from privtraffic.tenancy.roles import Perm

from ..models import (
    Conversation,
    ConversationKind,
    GroupRule,
    Message,
    MessageKind,
    MessageReport,
    ModerationAction,
    ModerationLog,
)
from ..selectors import conversation_visible_to

LINK_PATTERN = re.compile(r"(https?://|www\.)\S+|\b[\w-]+\.(com|cn|net|org|shop|top|xyz)\b", re.IGNORECASE)

RULE_MESSAGES = {
    "blocked_word": _("That message used a word this group does not allow, so it was hidden."),
    "link": _("Links from members are not allowed in this group, so your message was hidden."),
    "image": _("Images from members are not allowed in this group, so your message was hidden."),
    "flood": _("You are posting too often in this group, so your message was hidden."),
}


def rule_broken(*, conversation: Conversation, customer: Customer, kind: str, body: str) -> str | None:
    """The name of the first group rule this customer message breaks, or None."""
    if conversation.kind != ConversationKind.GROUP:
        return None
    rule = GroupRule.objects.filter(group_id=conversation.group_id).first()
    if rule is None:
        return None
    lowered = body.lower()
    if any(word in lowered for word in rule.words):
        return "blocked_word"
    if rule.block_links and LINK_PATTERN.search(body):
        return "link"
    if rule.block_images and kind == MessageKind.IMAGE:
        return "image"
    if rule.flood_limit:
        recent = Message.objects.filter(conversation=conversation, sender_customer=customer,
                                        created_at__gte=timezone.now() - timedelta(minutes=1)).count()
        if recent >= rule.flood_limit:
            return "flood"
    return None


def rule_enforce(*, message: Message, rule_name: str) -> None:
    """Log the hidden message and apply the group's action to its sender (inside the send transaction)."""
    conversation = message.conversation
    rule = GroupRule.objects.get(group_id=conversation.group_id)
    action = rule.action
    member = GroupMember.objects.filter(group_id=conversation.group_id, customer_id=message.sender_customer_id).first()
    system = SystemActor.for_brand(message.brand_id, "chats.moderation: group rule")
    if member is not None and action == ModerationAction.MUTE:
        group_member_mute(member=member, actor=system, until=timezone.now() + timedelta(minutes=rule.mute_minutes))
    elif member is not None and action == ModerationAction.REMOVE:
        group_member_remove(member=member, actor=system)
    ModerationLog.objects.create(brand_id=message.brand_id, conversation=conversation, message=message,
                                 customer_id=message.sender_customer_id, rule=rule_name, action=action,
                                 detail=message.body[:255])


def rule_warning(rule_name: str) -> str:
    return str(RULE_MESSAGES.get(rule_name, _("Your message was hidden by the group's rules.")))


def group_rule_save(*, conversation: Conversation, actor: Actor, **fields) -> GroupRule:
    """Set a group's automatic rules: staff who manage groups, within their store (or brand-wide groups)."""
    authorize(actor, Perm.MANAGE_GROUPS, conversation, what="group")
    if conversation.kind != ConversationKind.GROUP:
        raise ApplicationError("invalid", _("Rules apply to group chats."))
    require_store(actor, conversation.group.store_id, allow_brand_wide=True)
    if fields.get("action", ModerationAction.HIDE) not in ModerationAction.values:
        raise ApplicationError("invalid", _("Unknown action."), fields={"action": [_("Choose a valid action.")]})
    rule, _created = GroupRule.objects.update_or_create(group_id=conversation.group_id,
                                                        defaults={"brand_id": conversation.brand_id, **fields})
    return rule


def message_report(*, message: Message, reporter: Customer, reason: str = "") -> MessageReport:
    """A customer flags a message they can see. Reporting twice is a no-op."""
    if message.brand_id != reporter.brand_id:
        raise ApplicationError.not_found("message")
    if message.sender_customer_id == reporter.pk:
        raise ApplicationError("invalid", _("You cannot report your own message."))
    try:
        with transaction.atomic():
            return MessageReport.objects.create(brand_id=message.brand_id, message=message, reporter=reporter,
                                                reason=(reason or "").strip()[:200])
    except IntegrityError:
        return MessageReport.objects.get(message=message, reporter=reporter)


def message_report_resolve(*, report: MessageReport, actor: Actor) -> MessageReport:
    """Close a report: staff who may chat and see the reported message's conversation, or the system."""
    authorize(actor, Perm.CHAT, report, what="report")
    if isinstance(actor, CustomerActor):
        raise ApplicationError.forbidden(_("Only the brand's staff handle reports."))
    if isinstance(actor, Membership) and not conversation_visible_to(
            actor=actor, conversation_id=report.message.conversation_id):
        raise ApplicationError.not_found("report")
    if report.resolved_at is None:
        report.resolved_at = timezone.now()
        report.resolved_by = actor.user if isinstance(actor, Membership) else None
        report.save(update_fields=["resolved_at", "resolved_by"])
    return report
