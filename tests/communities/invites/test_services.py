from datetime import timedelta

import pytest
from django.utils import timezone

from chats.models import Message
from communities.groups.services import group_member_add, group_member_remove
from communities.invites.services import invite_join, invite_link_create
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


def test_join_follows_overflow_chain_and_numbers_the_series(brand):
    group = factories.make_group(brand, "Club", capacity=1)
    invite = factories.make_invite(brand, group=group)
    members = [invite_join(invite=invite, customer=factories.make_customer(brand)) for _ in range(3)]
    names = [m.group.name for m in members]
    assert names == ["Club", "Club #2", "Club #3"]
    assert all(VipGroup.objects.get(name=n).capacity == 1 for n in names)


def test_removed_member_is_gone_at_once_and_cannot_rejoin_by_link(brand):
    group = factories.make_group(brand)
    invite = factories.make_invite(brand, group=group)
    customer = factories.make_customer(brand, "Troll")
    member = invite_join(invite=invite, customer=customer)
    rep = factories.make_member(brand, Role.REP)
    group_member_remove(member=member, actor=rep)
    member.refresh_from_db()
    assert (member.left_at is not None, member.leave_reason, member.removed_by) == (True, "removed", rep)
    assert Message.objects.filter(conversation__group=group).last().body == "Troll was removed from the group."
    assert _error(invite_join, invite=invite, customer=customer).code == "forbidden"
    assert group_member_add(group=group, actor=factories.system(group.brand_id), customer=customer).left_at is None  # staff can re-add


@pytest.mark.parametrize("change, code", [
    ({"revoked_at": timezone.now()}, "invite_revoked"),
    ({"expires_at": timezone.now() - timedelta(minutes=1)}, "invite_expired"),
    ({"max_uses": 1, "use_count": 1}, "invite_used_up"),
])
def test_unusable_invites_are_gone(brand, change, code):
    invite = factories.make_invite(brand)
    InviteLink.objects.filter(pk=invite.pk).update(**change)
    invite.refresh_from_db()
    error = _error(invite_join, invite=invite, customer=factories.make_customer(brand))
    assert (error.code, error.status) == (code, 410)
    assert not GroupMember.objects.exists()


def test_max_uses_counts_joins_not_repeats(brand):
    invite = factories.make_invite(brand, max_uses=2)
    first = factories.make_customer(brand)
    invite_join(invite=invite, customer=first)
    invite_join(invite=invite, customer=first)  # a repeat is a no-op and uses nothing
    invite_join(invite=invite, customer=factories.make_customer(brand))
    invite.refresh_from_db()
    assert invite.use_count == 2
    assert _error(invite_join, invite=invite, customer=factories.make_customer(brand)).code == "invite_used_up"


def test_rep_link_assigns_only_unassigned_customers(brand):
    rep = factories.make_member(brand, Role.REP)
    other_rep = factories.make_member(brand, Role.REP)
    invite = factories.make_invite(brand, rep=rep)
    fresh = factories.make_customer(brand)
    taken = factories.make_customer(brand, assigned_rep=other_rep)
    assert invite_join(invite=invite, customer=fresh).assigned_rep == rep
    assert invite_join(invite=invite, customer=taken).assigned_rep == other_rep
    assert Event.objects.filter(type="customer.reassigned").count() == 1
    assert invite.store == rep.store  # attribution defaults to the rep's store


def test_invite_create_bad_input(brand, other_brand):
    group = factories.make_group(brand)
    rep = factories.make_member(brand, Role.REP)
    assert _error(invite_link_create, brand=brand, actor=factories.system(brand)).code == "invalid"
    assert _error(invite_link_create, brand=brand, actor=factories.system(brand), group=group, rep=rep).code == "invalid"
    assert _error(invite_link_create, brand=brand, actor=factories.system(brand), group=factories.make_group(other_brand)).status == 404
    assert _error(invite_link_create, brand=brand, actor=factories.system(brand), group=group,
                  expires_at=timezone.now() - timedelta(1)).fields == {"expires_at": ["In the past."]}
    assert _error(invite_link_create, brand=brand, actor=factories.system(brand), group=group, max_uses=0).code == "invalid"
    another_rep = factories.make_member(brand, Role.REP)
    assert _error(invite_link_create, brand=brand, actor=rep, rep=another_rep).code == "forbidden"
    assert not InviteLink.objects.exists()
    tokens = {invite_link_create(brand=brand, actor=factories.system(brand), group=group).token for _ in range(5)}
    assert len(tokens) == 5 and all(len(t) >= 20 for t in tokens)
