"""Writes for invite links (/join/<token>/ and its QR code) and using them to join.

A use is counted by one conditional UPDATE, so a link with max_uses is never used more often than
it allows, however many people scan it at once.
"""

import secrets
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.customers.lifecycle import customer_mark_active
from crm.customers.services import customer_assign_rep_if_unassigned, customer_reassign
from crm.models import Customer, CustomerSource
from privtraffic.accounts.models import User
from privtraffic.tenancy.actors import (
    Actor,
    CustomerActor,
    SystemActor,
    actor_rep_id,
    actor_store_id,
    authorize,
)
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.models import Brand, Membership, Store
from privtraffic.tenancy.roles import Perm, Role

from ..groups.services import authorize_staff, check_brand_refs, group_member_add, require_group_in_view
from ..models import GroupMember, InviteKind, InviteLink, InviteOpen, VipGroup
from .selectors import ROUND_ROBIN, group_membership_in_series, rep_for_group_join


def invite_link_create(
    *, brand: Brand, actor: Actor, group: VipGroup | None = None, rep: Membership | None = None,
    store: Store | None = None, expires_at: datetime | None = None, max_uses: int | None = None,
    label: str = "", campaign_label: str = "", created_by: User | None = None,
) -> InviteLink:
    authorize_staff(actor, Perm.CHAT, brand, what="brand")
    if (group is None) == (rep is None):
        raise ApplicationError("invalid", _("An invite is for one group or one rep."),
                               fields={"group": [_("Give a group or a rep, not both.")]})
    if group is not None:
        if group.brand_id != brand.id:
            raise ApplicationError.not_found("group")
        require_group_in_view(actor, group)
        if group.archived:
            raise ApplicationError("group_archived", _("This group is archived."), status=409)
    if rep is not None:
        if rep.brand_id != brand.id or rep.role != Role.REP:
            raise ApplicationError.not_found("rep")
        if not rep.is_active:
            raise ApplicationError("invalid", _("This rep is deactivated."), fields={"rep": [_("Deactivated.")]})
        if actor_rep_id(actor) not in (None, rep.pk):
            raise ApplicationError.forbidden(_("Reps can only create their own links."))
    check_brand_refs(brand, store=store)
    if expires_at is not None and expires_at <= timezone.now():
        raise ApplicationError("invalid", _("Choose an expiry in the future."), fields={"expires_at": [_("In the past.")]})
    if max_uses is not None and max_uses < 1:
        raise ApplicationError("invalid", _("Max uses must be at least 1."), fields={"max_uses": [_("At least 1.")]})
    return InviteLink.objects.create(
        brand=brand, token=secrets.token_urlsafe(18)[:24], kind=InviteKind.GROUP if group else InviteKind.REP,
        group=group, rep=rep, store=store or (rep.store if rep else group.store), expires_at=expires_at,
        max_uses=max_uses, label=label.strip()[:120], campaign_label=campaign_label.strip()[:120],
        created_by=created_by or (actor.user if isinstance(actor, Membership) else None),
    )


def invite_link_revoke(*, invite: InviteLink, actor: Actor) -> InviteLink:
    authorize_staff(actor, Perm.CHAT, invite, what="invite")
    own_link = isinstance(actor, Membership) and invite.rep_id == actor.pk
    own_store = actor_store_id(actor)
    if not own_link and own_store is not None and invite.store_id not in (None, own_store):
        # Store staff turn off their store's links (and brand-wide ones), a rep always their own.
        raise ApplicationError.not_found("invite")
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
    """Use an invite: join its group (following overflow) or get its rep. Joining twice is a no-op.

    The customer acts for themselves: the token they hold is their right to join."""
    if customer.brand_id != invite.brand_id:
        raise ApplicationError.not_found("customer")
    reason = invite.unusable_reason()
    if reason:
        raise invite_unusable_error(reason)
    # Opening a brand's link is activity, even when already a member or refused.
    if invite.kind == InviteKind.REP:
        customer_mark_active(customer=customer)
        with transaction.atomic():
            if customer.assigned_rep_id != invite.rep_id:
                _consume_use(invite)
            return customer_assign_rep_if_unassigned(customer=customer, rep=invite.rep)
    already = _active_in_chain(invite.group, customer)
    if already is not None:
        customer_mark_active(customer=customer)
        return already
    seen = customer.last_active_at, customer.lifecycle_stage
    try:
        return _join_group(invite=invite, customer=customer)
    except ApplicationError:
        customer.last_active_at, customer.lifecycle_stage = seen  # the mark rolled back with the join
        customer_mark_active(customer=customer)
        raise


def _join_group(*, invite: InviteLink, customer: Customer) -> GroupMember:
    """One transaction: the activity mark, the seat (following overflow), the rep, then the link's use."""
    with transaction.atomic():
        customer_mark_active(customer=customer)
        member = group_member_add(group=invite.group, customer=customer, actor=CustomerActor(customer=customer),
                                  invite=invite, follow_overflow=True, allow_removed=False)
        _assign_rep_on_group_join(customer=customer, group=member.group, store=invite.store)
        # Last: every joiner through this link queues for its row lock, held from here to the commit.
        _consume_use(invite)
        return member


def _assign_rep_on_group_join(*, customer: Customer, group: VipGroup, store: Store | None) -> None:
    """A customer without a rep who joins through a group link gets one by the brand's rule (the group's
    host rep, else round-robin among the store's active reps), recorded as crm's reassignment (audit entry
    with the rule, `customer.reassigned` event: chats opens the 1:1 chat and introduces the rep)."""
    if customer.assigned_rep_id is not None:
        return
    rep = rep_for_group_join(brand=group.brand, group=group, store=store)
    if rep is None:
        return
    rule = "group_host" if rep.pk == group.host_rep_id else ROUND_ROBIN
    customer_reassign(customer=customer, rep=rep, rule=rule,
                      actor=SystemActor.for_brand(group.brand, "communities:join-assign"))


def _active_in_chain(group: VipGroup, customer: Customer) -> GroupMember | None:
    return group_membership_in_series(group=group, customer=customer)


JOIN_SOURCES = {InviteKind.GROUP: CustomerSource.INVITE_LINK, InviteKind.REP: CustomerSource.REP}


def invite_open_record(*, invite: InviteLink, actor: Actor) -> None:
    """Count one opening of the link's join page today (UTC), for the overview's funnel. The count rises by a
    conditional UPDATE; the day's row is created once (a concurrent creator loses the race and updates)."""
    authorize(actor, None, invite, what="invite")
    day = timezone.now().date()
    rows = InviteOpen.objects.filter(brand_id=invite.brand_id, invite=invite, day=day)
    if rows.update(count=F("count") + 1):
        return
    try:
        with transaction.atomic():
            InviteOpen.objects.create(brand_id=invite.brand_id, invite=invite, day=day, count=1)
    except IntegrityError:
        rows.update(count=F("count") + 1)
