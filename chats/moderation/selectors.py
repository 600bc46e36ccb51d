"""Reads of the moderation pages: a group's rules and log, and the reports a staff member handles."""

from django.db.models import QuerySet

from communities.models import VipGroup
from privtraffic.tenancy.actors import Actor
from privtraffic.tenancy.models import Brand
from privtraffic.tenancy.selectors import brand_get_object

from ..models import Conversation, GroupRule, MessageReport, ModerationLog
from ..selectors import staff_visibility


def group_rule_get(*, brand: Brand, group: VipGroup) -> GroupRule:
    """The group's rule, or an unsaved one with the defaults."""
    return GroupRule.objects.filter(brand=brand, group=group).first() or GroupRule(group=group, brand=brand)


def moderation_log(*, brand: Brand, group: VipGroup) -> QuerySet[ModerationLog]:
    return ModerationLog.objects.filter(brand=brand, conversation__group=group).select_related("customer")[:50]


def open_reports(*, brand: Brand, actor: Actor) -> QuerySet[MessageReport]:
    """Unresolved reports on messages in conversations this staff member may see."""
    visible = Conversation.objects.filter(staff_visibility(actor)).values("pk")
    return (MessageReport.objects.filter(brand=brand, resolved_at__isnull=True, message__conversation_id__in=visible)
            .select_related("message", "message__conversation__group", "reporter").order_by("-created_at"))


def open_report_get(*, brand: Brand, actor: Actor, report_id) -> MessageReport:
    return brand_get_object(open_reports(brand=brand, actor=actor), brand=brand, what="report", pk=report_id)
