"""Writes for VIP groups, their members and invite links.

Capacity is exact under concurrency: a seat is taken by one conditional UPDATE
(`member_count < capacity`) in the same transaction that inserts the member, so
no read-then-write can overfill a group. A full group sends joiners on to its
overflow group; the next group of a series is created under a row lock on the
full group, so racers create it once.
"""

import secrets
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.customers.lifecycle import customer_mark_active
from crm.customers.services import customer_assign_rep_if_unassigned
from crm.models import Customer, CustomerSource
from privtraffic.accounts.models import User
from privtraffic.events.services import event_record
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.models import Brand, Membership, Store
from privtraffic.tenancy.roles import Perm, Role, is_store_scoped, role_has

from .models import GroupMember, InviteKind, InviteLink, LeaveReason, MemberRole, VipGroup

MAX_OVERFLOW_HOPS = 50
GROUP_FIELDS = {"name", "store", "topic", "description", "rules", "welcome_message", "capacity", "announce_only",
                "system_messages", "overflow_group", "cover_image", "archived"}
SERIES_COPIED_FIELDS = ["store", "topic", "description", "rules", "welcome_message", "capacity", "announce_only",
                        "system_messages", "cover_image"]

Actor = Membership | GroupMember | None


# --- groups ---------------------------------------------------------------------------------


def _require_staff(actor: Membership | None, perm: Perm) -> None:
    if actor is not None and not role_has(actor.role, perm):
        raise ApplicationError.forbidden(_("Your role does not allow this."))


def _require_in_scope(actor: Membership | None, *, brand_id: int, store_id: int | None) -> None:
    """Staff act only inside their brand, and store roles only on their store's (or storeless) things."""
    if actor is None:
        return
    if actor.brand_id != brand_id:
        raise ApplicationError.not_found("group")
    if is_store_scoped(actor.role) and store_id not in (None, actor.store_id):
        raise ApplicationError.not_found("group")


def _validate_group(group: VipGroup) -> None:
    try:
        group.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        fields = {name: [str(m) for m in messages] for name, messages in exc.message_dict.items()}
        if "capacity" in fields:
            fields["capacity"] = [_("Capacity must be between 1 and 500.")]
        raise ApplicationError("invalid", _("Some fields are not valid."), fields=fields)


def _check_related(brand: Brand, *, store: Store | None = None, overflow_group: VipGroup | None = None,
                    group: VipGroup | None = None) -> None:
    if store is not None and store.brand_id != brand.id:
        raise ApplicationError.not_found("store")
    if overflow_group is not None:
        if overflow_group.brand_id != brand.id:
            raise ApplicationError.not_found("overflow group")
        if group is not None and overflow_group.pk == group.pk:
            raise ApplicationError("invalid", _("A group cannot overflow into itself."),
                                   fields={"overflow_group": [_("Choose another group.")]})


def group_create(*, brand: Brand, actor: Membership | None, name: str, **fields: Any) -> VipGroup:
    _require_staff(actor, Perm.MANAGE_GROUPS)
    unknown = set(fields) - GROUP_FIELDS
    if unknown:
        raise ApplicationError("invalid", _("Unknown fields."), fields={f: [_("Unknown field.")] for f in unknown})
    _check_related(brand, store=fields.get("store"), overflow_group=fields.get("overflow_group"))
    group = VipGroup(brand=brand, name=(name or "").strip(), **fields)
    _validate_group(group)
    group.save()
    return group


def group_update(*, group: VipGroup, actor: Membership | None, **changes: Any) -> VipGroup:
    _require_staff(actor, Perm.MANAGE_GROUPS)
    unknown = set(changes) - GROUP_FIELDS
    if unknown:
        raise ApplicationError("invalid", _("Unknown fields."), fields={f: [_("Unknown field.")] for f in unknown})
    _check_related(group.brand, store=changes.get("store"), overflow_group=changes.get("overflow_group"), group=group)
    if changes.get("overflow_group") is not None and _overflow_leads_to(changes["overflow_group"], group):
        raise ApplicationError("invalid", _("That overflow group already overflows back into this one."),
                               fields={"overflow_group": [_("This would make a loop.")]})
    _require_in_scope(actor, brand_id=group.brand_id, store_id=group.store_id)
    if "store" in changes and actor is not None and is_store_scoped(actor.role):
        new_store = changes["store"]
        if new_store is None or new_store.pk != actor.store_id:
            raise ApplicationError.forbidden(_("You can only keep groups in your own store."))
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


def _seat_customer(group: VipGroup, customer: Customer, invite: InviteLink | None, allow_removed: bool) -> GroupMember | None:
    """Take a seat and write the member in one transaction. None when the group is full."""
    with transaction.atomic():
        existing = GroupMember.objects.select_for_update().filter(group=group, customer=customer).first()
        if existing is not None and existing.left_at is None:
            raise _AlreadyMember(existing)
        if existing is not None and existing.leave_reason == LeaveReason.REMOVED and not allow_removed:
            raise ApplicationError.forbidden(_("You were removed from this group. Ask the brand to add you again."))
        if not _take_seat(group.pk):
            return None
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
        event_record(brand=group.brand, type="member.joined", payload=_joined_payload(member))
        return member


def group_member_add(
    *, group: VipGroup, customer: Customer, invite: InviteLink | None = None, follow_overflow: bool = False,
    allow_removed: bool = True,
) -> GroupMember:
    """Put a customer in a group. Joining twice returns the existing membership and changes nothing.

    With follow_overflow (the join flow) a full group passes the customer on along its overflow
    chain, creating the series' next group when the chain ends. Without it (the API) a full
    group is a `group_full` error naming the overflow group.
    """
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
        target.refresh_from_db(fields=["member_count", "overflow_group", "archived"])
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


def _check_moderation(member: GroupMember, actor: Actor) -> None:
    """Staff who may chat, or an active moderator of the same group acting on an ordinary member."""
    if actor is None:
        return
    if isinstance(actor, Membership):
        _require_in_scope(actor, brand_id=member.brand_id, store_id=member.group.store_id)
        if not role_has(actor.role, Perm.CHAT):
            raise ApplicationError.forbidden(_("Your role does not allow this."))
        return
    if not (actor.group_id == member.group_id and actor.role == MemberRole.MODERATOR and actor.left_at is None):
        raise ApplicationError.forbidden(_("Only moderators and reps can do this."))
    if member.role == MemberRole.MODERATOR:
        raise ApplicationError.forbidden(_("Moderators cannot act on other moderators."))


def group_member_remove(*, member: GroupMember, actor: Actor) -> GroupMember:
    _check_moderation(member, actor)
    return _leave(member, LeaveReason.REMOVED, actor if isinstance(actor, Membership) else None)


def group_member_mute(*, member: GroupMember, actor: Actor, until: datetime | None) -> GroupMember:
    """Mute until a time (None unmutes)."""
    _check_moderation(member, actor)
    if until is not None and until <= timezone.now():
        raise ApplicationError("invalid", _("Choose a time in the future."), fields={"muted_until": [_("In the past.")]})
    if member.left_at is not None:
        raise ApplicationError("not_a_member", _("This person is no longer in the group."), status=409)
    member.muted_until = until
    member.save(update_fields=["muted_until"])
    return member


def group_member_set_role(*, member: GroupMember, actor: Membership | None, role: str) -> GroupMember:
    _require_staff(actor, Perm.CHAT)
    _require_in_scope(actor, brand_id=member.brand_id, store_id=member.group.store_id)
    if role not in MemberRole.values:
        raise ApplicationError("invalid", _("Unknown role."), fields={"role": [_("Choose member or moderator.")]})
    if member.left_at is not None:
        raise ApplicationError("not_a_member", _("This person is no longer in the group."), status=409)
    member.role = role
    member.save(update_fields=["role"])
    return member


# --- invite links ---------------------------------------------------------------------------


def invite_link_create(
    *, brand: Brand, actor: Membership | None, group: VipGroup | None = None, rep: Membership | None = None,
    store: Store | None = None, expires_at: datetime | None = None, max_uses: int | None = None,
    label: str = "", campaign_label: str = "", created_by: User | None = None,
) -> InviteLink:
    if (group is None) == (rep is None):
        raise ApplicationError("invalid", _("An invite is for one group or one rep."),
                               fields={"group": [_("Give a group or a rep, not both.")]})
    if group is not None:
        if group.brand_id != brand.id:
            raise ApplicationError.not_found("group")
        _require_staff(actor, Perm.CHAT)
        _require_in_scope(actor, brand_id=brand.id, store_id=group.store_id)
        if group.archived:
            raise ApplicationError("group_archived", _("This group is archived."), status=409)
    if rep is not None:
        if rep.brand_id != brand.id or rep.role != Role.REP:
            raise ApplicationError.not_found("rep")
        if not rep.is_active:
            raise ApplicationError("invalid", _("This rep is deactivated."), fields={"rep": [_("Deactivated.")]})
        if actor is not None and actor.role == Role.REP and actor.pk != rep.pk:
            raise ApplicationError.forbidden(_("Reps can only create their own links."))
    _check_related(brand, store=store)
    if expires_at is not None and expires_at <= timezone.now():
        raise ApplicationError("invalid", _("Choose an expiry in the future."), fields={"expires_at": [_("In the past.")]})
    if max_uses is not None and max_uses < 1:
        raise ApplicationError("invalid", _("Max uses must be at least 1."), fields={"max_uses": [_("At least 1.")]})
    return InviteLink.objects.create(
        brand=brand, token=secrets.token_urlsafe(18)[:24], kind=InviteKind.GROUP if group else InviteKind.REP,
        group=group, rep=rep, store=store or (rep.store if rep else group.store), expires_at=expires_at,
        max_uses=max_uses, label=label.strip()[:120], campaign_label=campaign_label.strip()[:120],
        created_by=created_by or (actor.user if actor else None),
    )


def invite_link_revoke(*, invite: InviteLink, actor: Membership | None) -> InviteLink:
    _require_staff(actor, Perm.CHAT)
    if actor is not None and invite.rep_id != actor.pk:
        _require_in_scope(actor, brand_id=invite.brand_id, store_id=invite.store_id)
    if invite.revoked_at is None:
        invite.revoked_at = timezone.now()
        invite.save(update_fields=["revoked_at"])
    return invite


def _consume_use(invite: InviteLink) -> None:
    """Count one use, atomically refusing a revoked, expired or used-up link."""
    now = timezone.now()
    usable = InviteLink.objects.filter(pk=invite.pk, revoked_at__isnull=True).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    ).filter(Q(max_uses__isnull=True) | Q(use_count__lt=F("max_uses")))
    if usable.update(use_count=F("use_count") + 1) != 1:
        invite.refresh_from_db()
        raise invite_unusable_error(invite.unusable_reason() or "used_up")


def invite_unusable_error(reason: str) -> ApplicationError:
    messages = {
        "revoked": _("This invite link has been turned off."),
        "expired": _("This invite link has expired."),
        "used_up": _("This invite link has been used as many times as it allows."),
    }
    return ApplicationError(f"invite_{reason}", messages[reason], status=410)


def invite_join(*, invite: InviteLink, customer: Customer) -> GroupMember | Customer:
    """Use an invite: join its group (following overflow) or get its rep. Joining twice is a no-op."""
    if customer.brand_id != invite.brand_id:
        raise ApplicationError.not_found("customer")
    reason = invite.unusable_reason()
    if reason:
        raise invite_unusable_error(reason)
    customer_mark_active(customer=customer)  # opening a brand's link is activity, even when already a member
    if invite.kind == InviteKind.REP:
        with transaction.atomic():
            if customer.assigned_rep_id != invite.rep_id:
                _consume_use(invite)
            return customer_assign_rep_if_unassigned(customer=customer, rep=invite.rep)
    already = _active_in_chain(invite.group, customer)
    if already is not None:
        return already
    with transaction.atomic():
        _consume_use(invite)
        return group_member_add(group=invite.group, customer=customer, invite=invite, follow_overflow=True,
                                allow_removed=False)


def _active_in_chain(group: VipGroup, customer: Customer) -> GroupMember | None:
    """The customer's membership in this group or any group of its series, if any."""
    root_id = group.series_root_id or group.pk
    return (GroupMember.objects.filter(customer=customer, left_at__isnull=True)
            .filter(Q(group_id=root_id) | Q(group__series_root_id=root_id) | Q(group_id=group.pk))
            .select_related("group").first())


JOIN_SOURCES = {InviteKind.GROUP: CustomerSource.INVITE_LINK, InviteKind.REP: CustomerSource.REP}
