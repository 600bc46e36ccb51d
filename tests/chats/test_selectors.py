"""Who sees which conversation: one rule per entity (crm's customers, communities' groups), per role."""

import pytest

from chats.selectors import (
    ChatIdentity,
    brand_conversation_list,
    chat_identity_for_customer,
    conversation_ids_visible,
)
from chats.services import conversation_for_customer, conversation_for_group
from communities.groups.services import group_member_add
from privtraffic.tenancy.roles import Role
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(brand, other_brand, store, rep, other_rep):
    """Store A (`store`) with two reps, store B with its own rep; customers and groups of each kind."""
    store_b = factories.make_store(brand, "Store B")
    rep_b = factories.make_member(brand, Role.REP, store=store_b)
    customers = {
        "mine": factories.make_customer(brand, "Mine", assigned_rep=rep),
        "colleague": factories.make_customer(brand, "Colleague's", assigned_rep=other_rep),
        "home_a": factories.make_customer(brand, "Home A", home_store=store),
        "store_b": factories.make_customer(brand, "Store B's", assigned_rep=rep_b),
        "home_b_rep_a": factories.make_customer(brand, "Home B, rep A", home_store=store_b, assigned_rep=other_rep),
        "nobody": factories.make_customer(brand, "Nobody's"),
    }
    groups = {
        "group_a": factories.make_group(brand, "A VIPs", store=store),
        "group_b": factories.make_group(brand, "B VIPs", store=store_b),
        "group_all": factories.make_group(brand, "Everyone"),
    }
    ids = {key: conversation_for_customer(customer=c).pk for key, c in customers.items()}
    ids |= {key: conversation_for_group(group=g).pk for key, g in groups.items()}
    foreign = conversation_for_customer(customer=factories.make_customer(other_brand)).pk
    conversation_for_group(group=factories.make_group(other_brand))
    return {"ids": ids, "customers": customers, "groups": groups, "foreign": foreign}


def _seen(membership, scene) -> set[str]:
    visible = set(conversation_ids_visible(identity=ChatIdentity(user=membership.user, memberships=[membership])))
    assert scene["foreign"] not in visible
    return {key for key, pk in scene["ids"].items() if pk in visible}


EVERYTHING = {"mine", "colleague", "home_a", "store_b", "home_b_rep_a", "nobody", "group_a", "group_b", "group_all"}


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN, Role.MARKETER])
def test_brand_wide_roles_see_every_conversation_of_the_brand(brand, scene, role):
    member = factories.owner_of(brand) if role == Role.OWNER else factories.make_member(brand, role)
    assert _seen(member, scene) == EVERYTHING


def test_store_manager_sees_their_stores_customers_and_groups(manager, scene):
    # A customer is the store's by home store or by their rep's store; groups of the store and brand-wide ones.
    assert _seen(manager, scene) == {"mine", "colleague", "home_a", "home_b_rep_a", "group_a", "group_all"}


def test_rep_sees_their_own_customers_and_their_stores_groups(rep, scene):
    assert _seen(rep, scene) == {"mine", "group_a", "group_all"}


def test_customer_sees_their_own_chat_and_the_groups_they_are_in(brand, scene):
    customer = scene["customers"]["nobody"]
    group_member_add(group=scene["groups"]["group_b"], customer=customer, actor=factories.system(customer.brand_id))
    visible = set(conversation_ids_visible(identity=chat_identity_for_customer(customer=customer)))
    assert visible == {scene["ids"]["nobody"], scene["ids"]["group_b"]}


def test_api_key_sees_every_conversation_of_its_brand_only(brand, scene):
    visible = set(brand_conversation_list(brand=brand, actor=factories.api_actor(brand)).values_list("pk", flat=True))
    assert visible == set(scene["ids"].values())


def test_inactive_staff_see_nothing(rep, scene):
    from chats.selectors import chat_identity_for_user

    rep.is_active = False
    rep.save(update_fields=["is_active"])
    assert conversation_ids_visible(identity=chat_identity_for_user(user=rep.user)) == []
