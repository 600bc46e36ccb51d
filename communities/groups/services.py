"""Writes for VIP groups and their members.

Capacity is exact under concurrency: a seat is taken by one conditional UPDATE
(`member_count < capacity`) in the same transaction that inserts the member, so
no read-then-write can overfill a group. A full group sends joiners on to its
overflow group; the next group of a series is created under a row lock on the
full group, so racers create it once.
"""

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import Customer
from privtraffic.events.services import event_record
from privtraffic.tenancy.actors import Actor, CustomerActor, authorize, require_store
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.models import Brand, Membership, Store
from privtraffic.tenancy.roles import Perm, Role

from ..models import GroupMember, InviteLink, LeaveReason, MemberRole, VipGroup
from .selectors import group_in_view

MAX_OVERFLOW_HOPS = 50
GROUP_FIELDS = {"name", "store", "topic", "description", "rules", "welcome_message", "capacity", "announce_only",
                "system_messages", "overflow_group", "cover_image", "archived", "host_rep"}
SERIES_COPIED_FIELDS = ["store", "topic", "description", "rules", "welcome_message", "capacity", "announce_only",
                        "system_messages", "cover_image"]


# --- who may act ----------------------------------------------------------------------------


def authorize_staff(actor: Actor, perm: Perm, obj: Any, *, what: str) -> None:
    """Staff, API keys and the system manage groups and links; a customer never does."""
    authorize(actor, perm, obj, what=what)
    if isinstance(actor, CustomerActor):
        raise ApplicationError.forbidden(_("Your role does not allow this."))


def require_group_in_view(actor: Actor, group: VipGroup) -> None:
    """A group the actor cannot see (another store's) is not found, never forbidden."""
    if not group_in_view(actor, group):
        raise ApplicationError.not_found("group")


# --- groups ---------------------------------------------------------------------------------


def _validate_group(group: VipGroup) -> None:
    try:
        group.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        fields = {name: [str(m) for m in messages] for name, messages in exc.message_dict.items()}
        if "capacity" in fields:
            fields["capacity"] = [_("Capacity must be between 1 and 500.")]
        raise ApplicationError("invalid", _("Some fields are not valid."), fields=fields)


def check_brand_refs(brand: Brand, *, store: Store | None = None, overflow_group: VipGroup | None = None,
                     group: VipGroup | None = None) -> None:
    if store is not None and store.brand_id != brand.id:
        raise ApplicationError.not_found("store")
    if overflow_group is not None:
        if overflow_group.brand_id != brand.id:
            raise ApplicationError.not_found("overflow group")
        if group is not None and overflow_group.pk == group.pk:
            raise ApplicationError("invalid", _("A group cannot overflow into itself."),
                                   fields={"overflow_group": [_("Choose another group.")]})


def _check_host_rep(brand: Brand, host_rep: Membership | None, store_id: int | None) -> None:
    """The group's host (who greets customers joining by a group link) is an active rep of the brand, and of
    the group's store when the group belongs to one."""
    if host_rep is None:
        return
    if host_rep.brand_id != brand.id:
        raise ApplicationError.not_found("rep")
    if not host_rep.is_active or host_rep.role != Role.REP:
        raise ApplicationError("invalid", _("The host must be an active rep."),
                               fields={"host_rep": [_("Choose an active rep.")]})
    if store_id is not None and host_rep.store_id != store_id:
        raise ApplicationError("invalid", _("The host must be a rep of the group's store."),
                               fields={"host_rep": [_("Choose a rep of this store.")]})


def group_create(*, brand: Brand, actor: Actor, name: str, **fields: Any) -> VipGroup:
    authorize_staff(actor, Perm.MANAGE_GROUPS, brand, what="brand")
    store = fields.get("store")
    require_store(actor, store.pk if store is not None else None, allow_brand_wide=True,
                  message=_("You can only keep groups in your own store."))
    unknown = set(fields) - GROUP_FIELDS
    if unknown:
        raise ApplicationError("invalid", _("Unknown fields."), fields={f: [_("Unknown field.")] for f in unknown})
    check_brand_refs(brand, store=fields.get("store"), overflow_group=fields.get("overflow_group"))
    store = fields.get("store")
    _check_host_rep(brand, fields.get("host_rep"), store.pk if store is not None else None)
    group = VipGroup(brand=brand, name=(name or "").strip(), **fields)
    _validate_group(group)
    group.save()
    return group


def group_update(*, group: VipGroup, actor: Actor, **changes: Any) -> VipGroup:
    authorize_staff(actor, Perm.MANAGE_GROUPS, group, what="group")
    require_group_in_view(actor, group)
    unknown = set(changes) - GROUP_FIELDS
    if unknown:
        raise ApplicationError("invalid", _("Unknown fields."), fields={f: [_("Unknown field.")] for f in unknown})
    check_brand_refs(group.brand, store=changes.get("store"), overflow_group=changes.get("overflow_group"), group=group)
    if changes.get("overflow_group") is not None and _overflow_leads_to(changes["overflow_group"], group):
        raise ApplicationError("invalid", _("That overflow group already overflows back into this one."),
                               fields={"overflow_group": [_("This would make a loop.")]})
    if "store" in changes:
        new_store = changes["store"]
        require_store(actor, new_store.pk if new_store is not None else None,
                      message=_("You can only keep groups in your own store."))
    with transaction.atomic():
        locked = VipGroup.objects.select_for_update().get(pk=group.pk)
        for field, value in changes.items():
            setattr(locked, field, value.strip() if field == "name" else value)
        _validate_group(locked)
        if locked.capacity < locked.member_count:
            raise ApplicationError(
                "invalid", _("Capacity cannot be below the current member count."),
                fields={"capacity": [_("The group has %(n)d members.") % {"n": locked.member_count}]},
            )
        if "host_rep" in changes or "store" in changes:
            _check_host_rep(locked.brand, locked.host_rep, locked.store_id)
        store_changed = locked.store_id != group.store_id
        locked.save()
        if store_changed:
            event_record(brand=locked.brand, type="group.updated",
                         payload={"group_id": locked.pk, "store_id": locked.store_id})
    return locked


def _overflow_leads_to(start: VipGroup, target: VipGroup) -> bool:
    seen: set[int] = set()
    current_id: int | None = start.pk
    while current_id is not None and current_id not in seen:
        if current_id == target.pk:
            return True
        seen.add(current_id)
        current_id = VipGroup.objects.filter(pk=current_id).values_list("overflow_group_id", flat=True).first()
    return False


def _overflow_of(group: VipGroup) -> VipGroup:
    """The group after this one in its series, created once under a lock on the full group."""
    with transaction.atomic():
        locked = VipGroup.objects.select_for_update().get(pk=group.pk)
        if locked.overflow_group_id:
            return VipGroup.objects.get(pk=locked.overflow_group_id)
        root = VipGroup.objects.get(pk=locked.series_root_id) if locked.series_root_id else locked
        last_number = (VipGroup.objects.filter(Q(pk=root.pk) | Q(series_root=root))
                       .order_by("-series_number").values_list("series_number", flat=True).first())
        number = (last_number or 1) + 1
        successor = VipGroup(
            brand_id=locked.brand_id, name=f"{root.name[:110]} #{number}", series_root=root, series_number=number,
            **{field: getattr(root, field) for field in SERIES_COPIED_FIELDS},
        )
        successor.save()
        locked.overflow_group = successor
        locked.save(update_fields=["overflow_group"])
        return successor


# --- members --------------------------------------------------------------------------------


class _AlreadyMember(Exception):
    def __init__(self, member: GroupMember):
        self.member = member


def _take_seat(group_id: int) -> bool:
    taken = VipGroup.objects.filter(pk=group_id, archived=False, member_count__lt=F("capacity")).update(
        member_count=F("member_count") + 1
    )
    return taken == 1


def _release_seat(group_id: int) -> None:
    VipGroup.objects.filter(pk=group_id, member_count__gt=0).update(member_count=F("member_count") - 1)


def _joined_payload(member: GroupMember) -> dict[str, Any]:
    return {"group_id": member.group_id, "customer_id": member.customer_id, "member_id": member.pk,
            "customer_name": member.customer.name, "invite_id": member.invite_id}


class _Full(Exception):
    """The conditional UPDATE found no free seat: the member row and its event roll back with the savepoint."""


def _seems_full(group: VipGroup) -> bool:
    """Whether the group is full, read without a lock: a copy of the group that says so is read again (seats
    free up when members leave), one that says not is left to the conditional UPDATE, which decides."""
    if not group.archived and group.member_count < group.capacity:
        return False
    group.refresh_from_db(fields=["member_count", "capacity", "archived", "overflow_group"])
    return group.archived or group.member_count >= group.capacity


def _refuse_if_member(existing: GroupMember | None, allow_removed: bool) -> None:
    """A member already (their membership is the answer), or removed and not let back in by this path."""
    if existing is not None and existing.left_at is None:
        raise _AlreadyMember(existing)
    if existing is not None and existing.leave_reason == LeaveReason.REMOVED and not allow_removed:
        raise ApplicationError.forbidden(_("You were removed from this group. Ask the brand to add you again."))


def _seat_customer(group: VipGroup, customer: Customer, invite: InviteLink | None, allow_removed: bool) -> GroupMember | None:
    """Write the member and take a seat in one transaction. None when the group is full (`group` then holds
    what was read last of it, the overflow group included).

    The seat is the transaction's last statement: its conditional UPDATE takes the group's row lock, which
    every joiner of the group queues for, so the lock is held only until the commit, not across the member's
    writes. A full group rolls the member's writes back (its savepoint); one that reads full is not written to.
    """
    if _seems_full(group):
        _refuse_if_member(GroupMember.objects.filter(group=group, customer=customer).first(), allow_removed)
        return None
    try:
        with transaction.atomic():
            existing = GroupMember.objects.select_for_update().filter(group=group, customer=customer).first()
            _refuse_if_member(existing, allow_removed)
            now = timezone.now()
            if existing is not None:
                existing.left_at = None
                existing.leave_reason = ""
                existing.removed_by = None
                existing.muted_until = None
                existing.joined_at = now
                existing.invite = invite
                existing.role = MemberRole.MEMBER
                existing.save()
                member = existing
            else:
                member = GroupMember.objects.create(brand_id=group.brand_id, group=group, customer=customer,
                                                    invite=invite, joined_at=now)
            member.group = group
            member.customer = customer
            event_record(brand_id=group.brand_id, type="member.joined", payload=_joined_payload(member))
            if not _take_seat(group.pk):
                raise _Full
    except _Full:
        group.refresh_from_db(fields=["member_count", "capacity", "archived", "overflow_group"])
        return None
    group.member_count += 1  # what this transaction wrote (others may have taken seats too)
    return member


def group_member_add(
    *, group: VipGroup, customer: Customer, actor: Actor, invite: InviteLink | None = None,
    follow_overflow: bool = False, allow_removed: bool = True,
) -> GroupMember:
    """Put a customer in a group. Joining twice returns the existing membership and changes nothing.

    Staff who may chat add customers to the groups they see; a customer adds only themselves (the join
    flow, through an invite link). With follow_overflow (the join flow) a full group passes the
    customer on along its overflow chain, creating the series' next group when the chain ends. Without
    it (the API) a full group is a `group_full` error naming the overflow group.
    """
    authorize(actor, Perm.CHAT, group, what="group")
    if isinstance(actor, CustomerActor):
        if actor.customer.pk != customer.pk:
            raise ApplicationError.forbidden(_("You can only join groups yourself."))
    else:
        require_group_in_view(actor, group)
    if customer.brand_id != group.brand_id:
        raise ApplicationError.not_found("customer")
    if group.archived:
        raise ApplicationError("group_archived", _("This group is archived."), status=409)
    target = group
    visited: set[int] = set()
    for _hop in range(MAX_OVERFLOW_HOPS):
        if target.pk in visited:
            break  # a hand-made overflow loop: every group in it is full
        visited.add(target.pk)
        try:
            member = _seat_customer(target, customer, invite, allow_removed)
        except _AlreadyMember as already:
            return already.member
        except IntegrityError:
            # The same customer joined concurrently; their row won and our seat rolled back.
            return GroupMember.objects.get(group=target, customer=customer, left_at__isnull=True)
        if member is not None:
            return member
        # Full: `target` has just been read again (its overflow group may be new).
        if not follow_overflow:
            raise ApplicationError(
                "group_full", _("This group is full."), status=409,
                fields={"overflow_group": [target.overflow_group_id] if target.overflow_group_id else []},
            )
        target = _overflow_of(target)
    raise ApplicationError("group_full", _("This group and its overflow groups are full."), status=409)


def _leave(member: GroupMember, reason: str, removed_by: Membership | None) -> GroupMember:
    with transaction.atomic():
        locked = GroupMember.objects.select_for_update().select_related("customer", "group").get(pk=member.pk)
        if locked.left_at is not None:
            return locked
        locked.left_at = timezone.now()
        locked.leave_reason = reason
        locked.removed_by = removed_by
        locked.save(update_fields=["left_at", "leave_reason", "removed_by"])
        _release_seat(locked.group_id)
        event_record(brand=locked.group.brand, type="member.left", payload={
            "group_id": locked.group_id, "customer_id": locked.customer_id, "member_id": locked.pk,
            "customer_name": locked.customer.name, "reason": reason,
            "removed_by": removed_by.pk if removed_by else None,
        })
    return locked


def group_member_leave(*, member: GroupMember) -> GroupMember:
    """The customer leaves on their own."""
    return _leave(member, LeaveReason.LEFT, None)


def _authorize_moderation(member: GroupMember, actor: Actor) -> None:
    """Staff who may chat (in a group they see), the system, or a customer who is an active moderator of
    the same group acting on an ordinary member."""
    authorize(actor, Perm.CHAT, member, what="member")
    if not isinstance(actor, CustomerActor):
        require_group_in_view(actor, member.group)
        return
    is_moderator = GroupMember.objects.filter(
        group_id=member.group_id, customer_id=actor.customer.pk, role=MemberRole.MODERATOR, left_at__isnull=True,
    ).exists()
    if not is_moderator:
        raise ApplicationError.forbidden(_("Only moderators and reps can do this."))
    if member.role == MemberRole.MODERATOR:
        raise ApplicationError.forbidden(_("Moderators cannot act on other moderators."))


def group_member_remove(*, member: GroupMember, actor: Actor) -> GroupMember:
    _authorize_moderation(member, actor)
    return _leave(member, LeaveReason.REMOVED, actor if isinstance(actor, Membership) else None)


def group_member_mute(*, member: GroupMember, actor: Actor, until: datetime | None) -> GroupMember:
    """Mute until a time (None unmutes)."""
    _authorize_moderation(member, actor)
    if until is not None and until <= timezone.now():
        raise ApplicationError("invalid", _("Choose a time in the future."), fields={"muted_until": [_("In the past.")]})
    if member.left_at is not None:
        raise ApplicationError("not_a_member", _("This person is no longer in the group."), status=409)
    member.muted_until = until
    member.save(update_fields=["muted_until"])
    return member


def group_member_set_role(*, member: GroupMember, actor: Actor, role: str) -> GroupMember:
    authorize_staff(actor, Perm.CHAT, member, what="member")
    require_group_in_view(actor, member.group)
    if role not in MemberRole.values:
        raise ApplicationError("invalid", _("Unknown role."), fields={"role": [_("Choose member or moderator.")]})
    if member.left_at is not None:
        raise ApplicationError("not_a_member", _("This person is no longer in the group."), status=409)
    member.role = role
    member.save(update_fields=["role"])
    return member
