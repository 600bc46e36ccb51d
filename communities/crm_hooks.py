"""What communities adds to crm's customer features, registered from CommunitiesConfig.ready():

- the customer's group memberships in their data export ("group_memberships");
- erasing a customer takes them out of every group they are in (a removal: the seat is freed and the leave
  notice posted), inside the erase transaction;
- erasing a customer ends every device session they joined on (communities.join);
- the "joined / left a group" entries of the customer's timeline;
- the profile's source line names the group or rep of the invite link a customer joined through, never its
  token.
"""

from typing import Any

from django.utils.translation import gettext as _

from crm.customers.sources import source_describer
from crm.models import Customer, CustomerSource
from crm.privacy.registry import erase_step, export_section, export_time
from crm.profile.timeline import TimelineEntry, timeline_source
from privtraffic.tenancy.actors import SystemActor

from .groups.services import group_member_remove
from .invites.selectors import invite_by_brand_token
from .join.services import device_sessions_revoke_for_customer
from .models import GroupMember


@export_section("group_memberships")
def export_group_memberships(customer: Customer) -> list[dict[str, Any]]:
    rows = (GroupMember.objects.filter(brand_id=customer.brand_id, customer=customer)
            .select_related("group").order_by("joined_at", "id"))
    return [{
        "group": {"id": m.group_id, "name": m.group.name},
        "role": m.role,
        "joined_at": export_time(m.joined_at),
        "left_at": export_time(m.left_at),
        "leave_reason": m.leave_reason,
        "muted_until": export_time(m.muted_until),
    } for m in rows]


@erase_step("communities.group_memberships")
def erase_group_memberships(customer: Customer, actor) -> None:
    """The erased customer leaves every group they are in. Members who already left are skipped, so erasing
    again changes nothing. The brand's own code removes them (the erasure itself was authorized)."""
    system = SystemActor.for_brand(customer.brand_id, "crm:customer_erase")
    for member in GroupMember.objects.filter(brand_id=customer.brand_id, customer=customer, left_at__isnull=True):
        group_member_remove(member=member, actor=system)


@erase_step("communities.device_sessions")
def erase_device_sessions(customer: Customer, actor) -> None:
    """The erased customer's browsers are signed out (the middleware sees the revoked session)."""
    device_sessions_revoke_for_customer(customer=customer,
                                        actor=SystemActor.for_brand(customer.brand_id, "crm:customer_erase"))


@timeline_source("communities.groups")
def group_timeline(customer: Customer, limit: int) -> list[TimelineEntry]:
    rows = (GroupMember.objects.filter(brand_id=customer.brand_id, customer=customer).select_related("group")
            .order_by("-joined_at")[:limit])
    entries = []
    for m in rows:
        entries.append(TimelineEntry(m.joined_at, "group_joined", _("Joined %(group)s") % {"group": m.group.name}))
        if m.left_at:
            entries.append(TimelineEntry(m.left_at, "group_left", _("Left %(group)s") % {"group": m.group.name},
                                         m.get_leave_reason_display() if m.leave_reason else ""))
    return entries


@source_describer(CustomerSource.INVITE_LINK, CustomerSource.REP)
def describe_invite_source(brand, token: str) -> str:
    invite = invite_by_brand_token(brand=brand, token=token)
    if invite is None:
        return _("an invite link that no longer exists")
    if invite.group_id:
        text = _("invite link to the group “%(group)s”") % {"group": invite.group.name}
    else:
        text = _("%(rep)s’s invite link") % {"rep": invite.rep.user.display_name}
    if invite.label:
        text = f"{text} · {invite.label}"
    return text
