from datetime import timedelta

import pytest
from django.utils import timezone

from chats.models import Message
from communities.groups.services import (
    group_create,
    group_member_add,
    group_member_leave,
    group_member_mute,
    group_member_remove,
    group_member_set_role,
    group_update,
)
from communities.invites.services import invite_link_create, invite_link_revoke
from communities.models import GroupMember, VipGroup
from privtraffic.events.models import Event
from privtraffic.tenancy.actors import CustomerActor
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
    error = _error(group_create, brand=brand, actor=factories.system(brand), name="VIP", capacity=capacity)
    assert error.code == "invalid" and "capacity" in error.fields
    assert not VipGroup.objects.exists()


def test_group_defaults_and_name_required(brand):
    group = group_create(brand=brand, actor=factories.system(brand), name="  VIP  ")
    assert (group.name, group.capacity, group.member_count, group.is_full) == ("VIP", 500, 0, False)
    assert "name" in _error(group_create, brand=brand, actor=factories.system(brand), name=" ").fields


def test_capacity_cannot_drop_below_members(brand):
    group = factories.make_group(brand, capacity=3)
    for _ in range(2):
        group_member_add(group=group, actor=factories.system(group.brand_id), customer=factories.make_customer(brand))
    assert "capacity" in _error(group_update, group=group, actor=factories.system(brand), capacity=1).fields
    assert group_update(group=group, actor=factories.system(group.brand_id), capacity=2).capacity == 2


def test_other_brand_store_or_overflow_is_not_found(brand, other_brand):
    foreign_group = factories.make_group(other_brand)
    assert _error(group_create, brand=brand, actor=factories.system(brand), name="X",
                  store=factories.make_store(other_brand)).status == 404
    assert _error(group_create, brand=brand, actor=factories.system(brand), name="X", overflow_group=foreign_group).status == 404


def test_rep_and_marketer_group_rights(brand):
    rep = factories.make_member(brand, Role.REP)
    assert _error(group_create, brand=brand, actor=rep, name="X").code == "forbidden"
    marketer = factories.make_member(brand, Role.MARKETER)
    assert group_create(brand=brand, actor=marketer, name="X").pk


def test_join_posts_system_and_welcome_messages_and_records_event(brand):
    group = factories.make_group(brand, "Glow Club", welcome_message="Say hi and read the pinned rules!")
    customer = factories.make_customer(brand, "Mei Lin")
    member = group_member_add(group=group, actor=factories.system(group.brand_id), customer=customer)
    event = Event.objects.get(type="member.joined")
    assert event.payload["customer_id"] == customer.pk and event.relayed_at is not None
    bodies = list(Message.objects.filter(conversation__group=group).order_by("seq").values_list("sender_type", "body"))
    assert bodies == [("system", "Mei Lin joined the group."), ("bot", "@Mei Say hi and read the pinned rules!")]
    assert group_member_add(group=group, actor=factories.system(group.brand_id), customer=customer).pk == member.pk  # twice: a no-op
    assert Message.objects.filter(conversation__group=group).count() == 2
    assert Event.objects.filter(type="member.joined").count() == 1


def test_join_notices_can_be_turned_off(brand):
    group = factories.make_group(brand, system_messages=False)
    member = group_member_add(group=group, actor=factories.system(group.brand_id), customer=factories.make_customer(brand))
    group_member_leave(member=member)
    assert not Message.objects.filter(conversation__group=group).exists()
    assert Event.objects.filter(type__in=["member.joined", "member.left"]).count() == 2


def test_leave_frees_the_seat_and_says_so(brand):
    group = factories.make_group(brand, capacity=1)
    member = group_member_add(group=group, actor=factories.system(group.brand_id), customer=factories.make_customer(brand, "Ann"))
    other = factories.make_customer(brand)
    assert _error(group_member_add, group=group, actor=factories.system(brand), customer=other).code == "group_full"
    group_member_leave(member=member)
    group.refresh_from_db()
    assert group.member_count == 0
    assert Message.objects.filter(conversation__group=group).last().body == "Ann left the group."
    group_member_add(group=group, actor=factories.system(group.brand_id), customer=other)
    group_member_leave(member=member)  # leaving twice changes nothing
    group.refresh_from_db()
    assert group.member_count == 1


def test_group_full_names_the_overflow_group(brand):
    overflow = factories.make_group(brand, "Overflow")
    group = factories.make_group(brand, capacity=1, overflow_group=overflow)
    group_member_add(group=group, actor=factories.system(group.brand_id), customer=factories.make_customer(brand))
    error = _error(group_member_add, group=group, actor=factories.system(brand), customer=factories.make_customer(brand))
    assert (error.code, error.status, error.fields) == ("group_full", 409, {"overflow_group": [overflow.pk]})


def test_moderators_mute_and_remove_members_but_not_moderators(brand):
    group = factories.make_group(brand)
    moderator = group_member_add(group=group, actor=factories.system(group.brand_id), customer=factories.make_customer(brand))
    group_member_set_role(member=moderator, actor=factories.system(moderator.brand_id), role="moderator")
    member = group_member_add(group=group, actor=factories.system(group.brand_id), customer=factories.make_customer(brand))
    other_mod = group_member_add(group=group, actor=factories.system(group.brand_id), customer=factories.make_customer(brand))
    group_member_set_role(member=other_mod, actor=factories.system(other_mod.brand_id), role="moderator")
    until = timezone.now() + timedelta(hours=1)
    as_moderator, as_member = CustomerActor(customer=moderator.customer), CustomerActor(customer=member.customer)
    assert group_member_mute(member=member, actor=as_moderator, until=until).is_muted()
    assert _error(group_member_remove, member=other_mod, actor=as_moderator).code == "forbidden"
    assert _error(group_member_mute, member=moderator, actor=as_member, until=until).code == "forbidden"
    assert _error(group_member_mute, member=member, actor=factories.system(brand), until=timezone.now() - timedelta(1)).code == "invalid"
    group_member_remove(member=member, actor=as_moderator)
    assert GroupMember.objects.get(pk=member.pk).leave_reason == "removed"


def test_overflow_loops_are_refused_and_never_spin(brand):
    a = factories.make_group(brand, "A", capacity=1)
    b = factories.make_group(brand, "B", capacity=1, overflow_group=a)
    error = _error(group_update, group=a, actor=factories.system(brand), overflow_group=b)
    assert error.fields == {"overflow_group": ["This would make a loop."]}
    VipGroup.objects.filter(pk=a.pk).update(overflow_group=b)  # as if a loop slipped in
    for group in (a, b):
        group_member_add(group=group, actor=factories.system(group.brand_id), customer=factories.make_customer(brand))
    error = _error(group_member_add, group=a, actor=factories.system(brand), customer=factories.make_customer(brand), follow_overflow=True)
    assert error.code == "group_full"


def test_store_staff_act_only_on_their_store(brand):
    rep = factories.make_member(brand, Role.REP)
    other_store_group = factories.make_group(brand, store=factories.make_store(brand))
    member = group_member_add(group=other_store_group, actor=factories.system(other_store_group.brand_id), customer=factories.make_customer(brand))
    assert _error(group_member_remove, member=member, actor=rep).status == 404
    assert _error(group_member_set_role, member=member, actor=rep, role="moderator").status == 404
    assert _error(invite_link_create, brand=brand, actor=rep, group=other_store_group).status == 404
    storeless = factories.make_group(brand)
    invite = invite_link_create(brand=brand, actor=rep, group=storeless)
    from communities.invites.selectors import invite_list

    assert invite in invite_list(brand=brand, actor=rep)
    foreign_invite = factories.make_invite(brand, group=other_store_group)
    assert _error(invite_link_revoke, invite=foreign_invite, actor=rep).status == 404


def test_series_names_fit_the_column_and_store_managers_keep_groups_home(brand):
    group = factories.make_group(brand, "N" * 120, capacity=1)
    group_member_add(group=group, actor=factories.system(group.brand_id), customer=factories.make_customer(brand))
    overflow = group_member_add(group=group, actor=factories.system(group.brand_id), customer=factories.make_customer(brand), follow_overflow=True).group
    assert overflow.name.endswith(" #2") and len(overflow.name) <= 120
    manager = factories.make_member(brand, Role.STORE_MANAGER)
    own = factories.make_group(brand, store=manager.store)
    assert _error(group_update, group=own, actor=manager, store=None).code == "forbidden"
    assert _error(group_update, group=own, actor=manager, store=factories.make_store(brand)).code == "forbidden"


def test_services_refuse_a_missing_or_wrong_actor(brand, other_brand):
    group = factories.make_group(brand, "VIP")
    member = group_member_add(group=group, customer=factories.make_customer(brand), actor=factories.system(brand))
    # No actor is a TypeError, never "nobody is checking".
    with pytest.raises(TypeError):
        group_create(brand=brand, name="X")
    for call, kwargs in ((group_update, {"group": group, "name": "Y"}), (group_member_remove, {"member": member}),
                         (group_member_mute, {"member": member, "until": None}),
                         (group_member_set_role, {"member": member, "role": "moderator"}),
                         (group_member_add, {"group": group, "customer": member.customer}),
                         (invite_link_create, {"brand": brand, "group": group})):
        with pytest.raises(TypeError):
            call(actor=None, **kwargs)
    # Another brand's staff or machinery: not found, never forbidden.
    assert _error(group_update, group=group, actor=factories.owner_of(other_brand), name="Y").status == 404
    assert _error(group_member_mute, member=member, actor=factories.system(other_brand), until=None).status == 404
    # A customer manages nothing and joins only themselves.
    as_customer = CustomerActor(customer=member.customer)
    assert _error(group_update, group=group, actor=as_customer, name="Y").code == "forbidden"
    assert _error(group_member_set_role, member=member, actor=as_customer, role="moderator").code == "forbidden"
    assert _error(group_member_add, group=group, customer=factories.make_customer(brand), actor=as_customer).code == "forbidden"
    assert _error(invite_link_create, brand=brand, actor=as_customer, group=group).code == "forbidden"
    # A deactivated membership acts no more.
    marketer = factories.make_member(brand, Role.MARKETER)
    marketer.is_active = False
    marketer.save()
    assert _error(group_update, group=group, actor=marketer, name="Y").code == "forbidden"
    group.refresh_from_db()
    member.refresh_from_db()
    assert (group.name, member.role, member.left_at) == ("VIP", "member", None)


def test_store_managers_create_groups_only_for_their_store(brand):
    manager = factories.make_member(brand, Role.STORE_MANAGER)
    assert _error(group_create, brand=brand, actor=manager, name="X", store=factories.make_store(brand)).code == "forbidden"
    assert group_create(brand=brand, actor=manager, name="Own", store=manager.store).store == manager.store
    assert group_create(brand=brand, actor=manager, name="Brand-wide").store is None
