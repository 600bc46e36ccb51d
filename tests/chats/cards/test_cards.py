"""Interactive cards: the endpoints chat.js reads and presses, for customers and staff, and the live
"card" frame. A test kind backed by stores stands in for the coupons, group-buys and events that register
themselves from campaigns."""

import pytest
from channels.db import database_sync_to_async

from chats.cards.registry import CardAction, CardKind, CardProgress, CardState, _kinds, card_kind_register
from chats.cards.services import card_refresh_on_commit
from chats.models import MessageKind
from chats.services import Sender, conversation_for_customer, message_send
from privtraffic.tenancy.actors import CustomerActor
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.models import Store
from privtraffic.tenancy.roles import Role
from tests import factories
from tests.chats.conftest import receive_until

pressed: list[tuple[str, int]] = []


def _state(*, actor, ref):
    store = Store.objects.get(brand_id=actor.brand_id, pk=ref)
    who = "customer" if isinstance(actor, CustomerActor) else "staff"
    return CardState(title=store.name, lines=[f"seen by {who}"], badge="Open",
                     progress=CardProgress(value=3, max=10, label="3 of 10"),
                     actions=[CardAction(verb="ping", label="Ping")])


def _ping(*, actor, ref):
    if not isinstance(actor, CustomerActor):
        raise ApplicationError.forbidden("Customers only.")
    pressed.append((actor.label, ref))
    state = _state(actor=actor, ref=ref)
    state.badge = "Pinged"
    return state


brand_lookups: list[int] = []


def _brand_of(ref):
    brand_lookups.append(ref)
    return Store.objects.filter(pk=ref).values_list("brand_id", flat=True).first()


@pytest.fixture(autouse=True)
def store_card():
    card_kind_register(CardKind(kind="storecard", state=_state, actions={"ping": _ping}, brand_of=_brand_of))
    pressed.clear()
    brand_lookups.clear()
    yield
    _kinds.pop("storecard", None)


@pytest.fixture
def world(db):
    brand = factories.make_brand("acme")
    store = factories.make_store(brand, "Jing'an")
    user = factories.make_user(password=None)
    customer = factories.make_customer(brand, "Mei Lin", email=user.email, user=user)
    return {"brand": brand, "store": store, "customer": customer, "user": user}


def test_a_customer_reads_the_card_as_themselves(client, world):
    client.force_login(world["user"])
    response = client.get(f"/chat/cards/storecard/{world['store'].pk}/")
    assert response.status_code == 200
    body = response.json()
    assert body["title"] == "Jing'an" and body["lines"] == ["seen by customer"]
    assert body["progress"] == {"value": 3, "max": 10, "label": "3 of 10"}
    assert body["actions"] == [{"verb": "ping", "label": "Ping", "primary": True}]


def test_a_card_read_looks_up_the_cards_brand_once(client, world):
    client.force_login(world["user"])
    assert client.get(f"/chat/cards/storecard/{world['store'].pk}/").status_code == 200
    assert brand_lookups == [world["store"].pk]


def test_a_customer_of_two_brands_reads_each_brands_card_as_that_brands_customer(client, world):
    other_brand = factories.make_brand("other")
    other_store = factories.make_store(other_brand, "Elsewhere")
    factories.make_customer(other_brand, "Mei at other", email=world["user"].email, user=world["user"])
    client.force_login(world["user"])
    assert client.get(f"/chat/cards/storecard/{world['store'].pk}/").json()["title"] == "Jing'an"
    assert client.get(f"/chat/cards/storecard/{other_store.pk}/").json()["title"] == "Elsewhere"
    client.post(f"/chat/cards/storecard/{other_store.pk}/ping/")
    assert pressed[0][0].startswith("customer:") and pressed[0][0] != f"customer:{world['customer'].pk}"


def test_pressing_a_button_acts_once_and_answers_the_new_state(client, world):
    client.force_login(world["user"])
    response = client.post(f"/chat/cards/storecard/{world['store'].pk}/ping/")
    assert response.status_code == 200 and response.json()["badge"] == "Pinged"
    assert pressed == [(f"customer:{world['customer'].pk}", world["store"].pk)]


@pytest.mark.parametrize("path,status", [
    ("/chat/cards/storecard/{other}/", 404),  # another brand's object: not found, never forbidden
    ("/chat/cards/nosuchkind/{mine}/", 404),
    ("/chat/cards/storecard/18446744073709551616/", 404),  # beyond 64 bits
    ("/chat/cards/storecard/0/", 404),
    ("/chat/cards/storecard/{mine}/ping/", 404),  # an action is pressed, never read
])
def test_bad_card_reads_are_clear_and_change_nothing(client, world, path, status):
    other = factories.make_store(factories.make_brand("other"), "Elsewhere")
    client.force_login(world["user"])
    response = client.get(path.format(mine=world["store"].pk, other=other.pk))
    assert response.status_code == status
    assert pressed == []


def test_bad_card_presses_are_json_errors(client, world):
    client.force_login(world["user"])
    unknown = client.post(f"/chat/cards/storecard/{world['store'].pk}/explode/")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"
    assert pressed == []


def test_cards_need_a_signed_in_customer_of_the_brand(client, world):
    assert client.get(f"/chat/cards/storecard/{world['store'].pk}/").status_code == 302  # to the login page
    stranger = factories.make_user(password=None)
    client.force_login(stranger)
    assert client.get(f"/chat/cards/storecard/{world['store'].pk}/").status_code == 404


def test_staff_read_the_card_in_the_inbox_and_the_action_decides_who_may_press(client, world):
    rep = factories.make_member(world["brand"], Role.REP, store=world["store"])
    client.force_login(rep.user)
    base = f"/b/acme/inbox/cards/storecard/{world['store'].pk}/"
    assert client.get(base).json()["lines"] == ["seen by staff"]
    refused = client.post(base + "ping/")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    other = factories.make_store(factories.make_brand("other"), "Elsewhere")
    assert client.get(f"/b/acme/inbox/cards/storecard/{other.pk}/").status_code == 404
    assert pressed == []


def test_a_card_message_must_name_an_object_of_the_conversations_brand(world):
    rep = factories.make_member(world["brand"], Role.REP, store=world["store"])
    customer = factories.make_customer(world["brand"], "Ann", assigned_rep=rep)
    conversation = conversation_for_customer(customer=customer)
    with pytest.raises(ApplicationError) as missing:
        message_send(conversation=conversation, sender=Sender.of_staff(rep), body="", kind=MessageKind.EVENT,
                     payload={"title": "Run club", "ref": 99999999})
    assert missing.value.status == 404 and missing.value.message == "No such event."
    with pytest.raises(ApplicationError) as wrong_type:
        message_send(conversation=conversation, sender=Sender.of_staff(rep), body="", kind=MessageKind.GROUP_BUY,
                     payload={"title": "Team buy", "ref": "1"})
    assert wrong_type.value.fields == {"payload.ref": ["Must be the id of the card's object."]}
    assert not conversation.messages.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_changed_card_reaches_open_chats_as_a_card_frame(connect):
    def setup():
        brand = factories.make_brand("acme")
        user = factories.make_user(password=None)
        customer = factories.make_customer(brand, "Mei Lin", email=user.email, user=user)
        return brand, user, conversation_for_customer(customer=customer)

    brand, user, conversation = await database_sync_to_async(setup)()
    socket = await connect(user=user)
    await receive_until(socket, "ready")

    def change():
        from django.db import transaction

        with transaction.atomic():
            card_refresh_on_commit(brand_id=brand.pk, conversation_ids=[conversation.pk], kind="group_buy", ref=7)

    await database_sync_to_async(change)()
    frame = await receive_until(socket, "card")
    assert frame == {"type": "card", "conversation": conversation.pk, "kind": "group_buy", "ref": 7}
