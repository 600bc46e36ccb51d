from datetime import timedelta

import pytest
from django.utils import timezone

from chats.models import Message
from communities import services
from communities.models import GroupMember, InviteLink, VipGroup
from privtraffic.events.models import Event
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.roles import Role
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


def _error(fn, **kwargs) -> ApplicationError:
    with pytest.raises(ApplicationError) as info:
        fn(**kwargs)
    return info.value


@pytest.mark.parametrize("capacity", [0, 501, -1])
def test_capacity_out_of_range_is_rejected(brand, capacity):
    error = _error(services.group_create, brand=brand, actor=None, name="VIP", capacity=capacity)
    assert error.code == "invalid" and "capacity" in error.fields
    assert not VipGroup.objects.exists()


def test_group_defaults_and_name_required(brand):
    group = services.group_create(brand=brand, actor=None, name="  VIP  ")
    assert (group.name, group.capacity, group.member_count, group.is_full) == ("VIP", 500, 0, False)
    assert "name" in _error(services.group_create, brand=brand, actor=None, name=" ").fields


def test_capacity_cannot_drop_below_members(brand):
    group = factories.make_group(brand, capacity=3)
    for _ in range(2):
        services.group_member_add(group=group, customer=factories.make_customer(brand))
    assert "capacity" in _error(services.group_update, group=group, actor=None, capacity=1).fields
    assert services.group_update(group=group, actor=None, capacity=2).capacity == 2


def test_other_brand_store_or_overflow_is_not_found(brand, other_brand):
    foreign_group = factories.make_group(other_brand)
    assert _error(services.group_create, brand=brand, actor=None, name="X",
                  store=factories.make_store(other_brand)).status == 404
    assert _error(services.group_create, brand=brand, actor=None, name="X", overflow_group=foreign_group).status == 404


def test_rep_and_marketer_group_rights(brand):
    rep = factories.make_member(brand, Role.REP)
    assert _error(services.group_create, brand=brand, actor=rep, name="X").code == "forbidden"
    marketer = factories.make_member(brand, Role.MARKETER)
    assert services.group_create(brand=brand, actor=marketer, name="X").pk


def test_join_posts_system_and_welcome_messages_and_records_event(brand):
    group = factories.make_group(brand, "Glow Club", welcome_message="Say hi and read the pinned rules!")
    customer = factories.make_customer(brand, "Mei Lin")
    member = services.group_member_add(group=group, customer=customer)
    event = Event.objects.get(type="member.joined")
    assert event.payload["customer_id"] == customer.pk and event.relayed_at is not None
    bodies = list(Message.objects.filter(conversation__group=group).order_by("seq").values_list("sender_type", "body"))
    assert bodies == [("system", "Mei Lin joined the group."), ("bot", "@Mei Say hi and read the pinned rules!")]
    assert services.group_member_add(group=group, customer=customer).pk == member.pk  # twice: a no-op
    assert Message.objects.filter(conversation__group=group).count() == 2
    assert Event.objects.filter(type="member.joined").count() == 1


def test_join_notices_can_be_turned_off(brand):
    group = factories.make_group(brand, system_messages=False)
    member = services.group_member_add(group=group, customer=factories.make_customer(brand))
    services.group_member_leave(member=member)
    assert not Message.objects.filter(conversation__group=group).exists()
    assert Event.objects.filter(type__in=["member.joined", "member.left"]).count() == 2


def test_leave_frees_the_seat_and_says_so(brand):
    group = factories.make_group(brand, capacity=1)
    member = services.group_member_add(group=group, customer=factories.make_customer(brand, "Ann"))
    other = factories.make_customer(brand)
    assert _error(services.group_member_add, group=group, customer=other).code == "group_full"
    services.group_member_leave(member=member)
    group.refresh_from_db()
    assert group.member_count == 0
    assert Message.objects.filter(conversation__group=group).last().body == "Ann left the group."
    services.group_member_add(group=group, customer=other)
    services.group_member_leave(member=member)  # leaving twice changes nothing
    group.refresh_from_db()
    assert group.member_count == 1


def test_group_full_names_the_overflow_group(brand):
    overflow = factories.make_group(brand, "Overflow")
    group = factories.make_group(brand, capacity=1, overflow_group=overflow)
    services.group_member_add(group=group, customer=factories.make_customer(brand))
    error = _error(services.group_member_add, group=group, customer=factories.make_customer(brand))
    assert (error.code, error.status, error.fields) == ("group_full", 409, {"overflow_group": [overflow.pk]})


def test_join_follows_overflow_chain_and_numbers_the_series(brand):
    group = factories.make_group(brand, "Club", capacity=1)
    invite = factories.make_invite(brand, group=group)
    members = [services.invite_join(invite=invite, customer=factories.make_customer(brand)) for _ in range(3)]
    names = [m.group.name for m in members]
    assert names == ["Club", "Club #2", "Club #3"]
    assert all(VipGroup.objects.get(name=n).capacity == 1 for n in names)


def test_removed_member_is_gone_at_once_and_cannot_rejoin_by_link(brand):
    group = factories.make_group(brand)
    invite = factories.make_invite(brand, group=group)
    customer = factories.make_customer(brand, "Troll")
    member = services.invite_join(invite=invite, customer=customer)
    rep = factories.make_member(brand, Role.REP)
    services.group_member_remove(member=member, actor=rep)
    member.refresh_from_db()
    assert (member.left_at is not None, member.leave_reason, member.removed_by) == (True, "removed", rep)
    assert Message.objects.filter(conversation__group=group).last().body == "Troll was removed from the group."
    assert _error(services.invite_join, invite=invite, customer=customer).code == "forbidden"
    assert services.group_member_add(group=group, customer=customer).left_at is None  # staff can re-add


def test_moderators_mute_and_remove_members_but_not_moderators(brand):
    group = factories.make_group(brand)
    moderator = services.group_member_add(group=group, customer=factories.make_customer(brand))
    services.group_member_set_role(member=moderator, actor=None, role="moderator")
    member = services.group_member_add(group=group, customer=factories.make_customer(brand))
    other_mod = services.group_member_add(group=group, customer=factories.make_customer(brand))
    services.group_member_set_role(member=other_mod, actor=None, role="moderator")
    until = timezone.now() + timedelta(hours=1)
    assert services.group_member_mute(member=member, actor=moderator, until=until).is_muted()
    assert _error(services.group_member_remove, member=other_mod, actor=moderator).code == "forbidden"
    assert _error(services.group_member_mute, member=moderator, actor=member, until=until).code == "forbidden"
    assert _error(services.group_member_mute, member=member, actor=None, until=timezone.now() - timedelta(1)).code == "invalid"
    services.group_member_remove(member=member, actor=moderator)
    assert GroupMember.objects.get(pk=member.pk).leave_reason == "removed"


@pytest.mark.parametrize("change, code", [
    ({"revoked_at": timezone.now()}, "invite_revoked"),
    ({"expires_at": timezone.now() - timedelta(minutes=1)}, "invite_expired"),
    ({"max_uses": 1, "use_count": 1}, "invite_used_up"),
])
def test_unusable_invites_are_gone(brand, change, code):
    invite = factories.make_invite(brand)
    InviteLink.objects.filter(pk=invite.pk).update(**change)
    invite.refresh_from_db()
    error = _error(services.invite_join, invite=invite, customer=factories.make_customer(brand))
    assert (error.code, error.status) == (code, 410)
    assert not GroupMember.objects.exists()


def test_max_uses_counts_joins_not_repeats(brand):
    invite = factories.make_invite(brand, max_uses=2)
    first = factories.make_customer(brand)
    services.invite_join(invite=invite, customer=first)
    services.invite_join(invite=invite, customer=first)  # a repeat is a no-op and uses nothing
    services.invite_join(invite=invite, customer=factories.make_customer(brand))
    invite.refresh_from_db()
    assert invite.use_count == 2
    assert _error(services.invite_join, invite=invite, customer=factories.make_customer(brand)).code == "invite_used_up"


def test_rep_link_assigns_only_unassigned_customers(brand):
    rep = factories.make_member(brand, Role.REP)
    other_rep = factories.make_member(brand, Role.REP)
    invite = factories.make_invite(brand, rep=rep)
    fresh = factories.make_customer(brand)
    taken = factories.make_customer(brand, assigned_rep=other_rep)
    assert services.invite_join(invite=invite, customer=fresh).assigned_rep == rep
    assert services.invite_join(invite=invite, customer=taken).assigned_rep == other_rep
    assert Event.objects.filter(type="customer.reassigned").count() == 1
    assert invite.store == rep.store  # attribution defaults to the rep's store


def test_invite_create_bad_input(brand, other_brand):
    group = factories.make_group(brand)
    rep = factories.make_member(brand, Role.REP)
    assert _error(services.invite_link_create, brand=brand, actor=None).code == "invalid"
    assert _error(services.invite_link_create, brand=brand, actor=None, group=group, rep=rep).code == "invalid"
    assert _error(services.invite_link_create, brand=brand, actor=None, group=factories.make_group(other_brand)).status == 404
    assert _error(services.invite_link_create, brand=brand, actor=None, group=group,
                  expires_at=timezone.now() - timedelta(1)).fields == {"expires_at": ["In the past."]}
    assert _error(services.invite_link_create, brand=brand, actor=None, group=group, max_uses=0).code == "invalid"
    another_rep = factories.make_member(brand, Role.REP)
    assert _error(services.invite_link_create, brand=brand, actor=rep, rep=another_rep).code == "forbidden"
    assert not InviteLink.objects.exists()
    tokens = {services.invite_link_create(brand=brand, actor=None, group=group).token for _ in range(5)}
    assert len(tokens) == 5 and all(len(t) >= 20 for t in tokens)


def test_overflow_loops_are_refused_and_never_spin(brand):
    a = factories.make_group(brand, "A", capacity=1)
    b = factories.make_group(brand, "B", capacity=1, overflow_group=a)
    error = _error(services.group_update, group=a, actor=None, overflow_group=b)
    assert error.fields == {"overflow_group": ["This would make a loop."]}
    VipGroup.objects.filter(pk=a.pk).update(overflow_group=b)  # as if a loop slipped in
    for group in (a, b):
        services.group_member_add(group=group, customer=factories.make_customer(brand))
    error = _error(services.group_member_add, group=a, customer=factories.make_customer(brand), follow_overflow=True)
    assert error.code == "group_full"


def test_store_staff_act_only_on_their_store(brand):
    rep = factories.make_member(brand, Role.REP)
    other_store_group = factories.make_group(brand, store=factories.make_store(brand))
    member = services.group_member_add(group=other_store_group, customer=factories.make_customer(brand))
    assert _error(services.group_member_remove, member=member, actor=rep).status == 404
    assert _error(services.group_member_set_role, member=member, actor=rep, role="moderator").status == 404
    assert _error(services.invite_link_create, brand=brand, actor=rep, group=other_store_group).status == 404
    storeless = factories.make_group(brand)
    invite = services.invite_link_create(brand=brand, actor=rep, group=storeless)
    from communities.selectors import invite_list

    assert invite in invite_list(brand=brand, actor=rep)
    foreign_invite = factories.make_invite(brand, group=other_store_group)
    assert _error(services.invite_link_revoke, invite=foreign_invite, actor=rep).status == 404


def test_series_names_fit_the_column_and_store_managers_keep_groups_home(brand):
    group = factories.make_group(brand, "N" * 120, capacity=1)
    services.group_member_add(group=group, customer=factories.make_customer(brand))
    overflow = services.group_member_add(group=group, customer=factories.make_customer(brand), follow_overflow=True).group
    assert overflow.name.endswith(" #2") and len(overflow.name) <= 120
    manager = factories.make_member(brand, Role.STORE_MANAGER)
    own = factories.make_group(brand, store=manager.store)
    assert _error(services.group_update, group=own, actor=manager, store=None).code == "forbidden"
    assert _error(services.group_update, group=own, actor=manager, store=factories.make_store(brand)).code == "forbidden"
