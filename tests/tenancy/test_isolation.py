from pathlib import Path

import pytest

from tests import factories
from tests.isolation import (
    CLIENT_FRAMES,
    INVISIBLE_CONVERSATION_CODE,
    assert_api_isolated,
    assert_customer_pages_isolated,
    assert_customer_tokens_refuse_garbage,
    assert_dashboard_isolated,
    brand_routes,
    brand_row_counts,
    contract_client_frames,
    customer_id_routes,
    customer_token_routes,
)

pytestmark = pytest.mark.django_db


def test_every_api_route_hides_other_brands(brand, other_brand, api):
    checked = assert_api_isolated(api, brand, other_brand)
    assert checked >= len(brand_routes("/api/v1/"))


def test_every_dashboard_route_hides_other_brands(brand, other_brand, client):
    client.force_login(factories.owner_of(brand).user)
    checked = assert_dashboard_isolated(client, brand, other_brand)
    assert checked >= len([r for r in brand_routes("/b/") if "slug" in r.params])


def test_matrix_covers_the_routes_that_exist():
    templates = {r.template for r in brand_routes("/api/v1/")}
    assert {"/api/v1/stores/", "/api/v1/stores/<int:store_id>/", "/api/v1/reps/", "/api/v1/reps/<int:rep_id>/"} <= templates


# --- customer pages: a customer of brand A against brand B's ids and tokens ---


@pytest.fixture
def customer_of_brand(brand):
    """A signed-in person who is a customer of `brand` only: a member of its group, with a 1:1 chat."""
    from communities.groups.services import group_member_add

    user = factories.make_user("ann@example.test", password=None)
    customer = factories.make_customer(brand, "Ann of Acme", email=user.email, user=user)
    group_member_add(group=factories.make_group(brand, "Acme Club"), customer=customer,
                     actor=factories.system(brand))
    return customer


def test_every_customer_page_hides_other_brands(client, brand, other_brand, customer_of_brand):
    client.force_login(customer_of_brand.user)
    # The customer's own pages open: the 404s below are about the brand, not a page that never answers.
    from communities.models import GroupMember

    own_group_id = GroupMember.objects.get(customer=customer_of_brand).group_id
    assert client.get(f"/chat/group/{own_group_id}/").status_code == 200
    assert client.get(f"/chat/direct/{customer_of_brand.pk}/").status_code == 200

    checked = assert_customer_pages_isolated(client, other_brand)
    assert checked >= sum(len(r.methods) for r in customer_id_routes())
    templates = {r.template for r in customer_id_routes()}
    assert {"/chat/group/<int:group_id>/", "/chat/direct/<int:customer_id>/", "/s/<int:survey_id>/"} <= templates


def test_every_customer_token_route_refuses_garbage(client, customer_of_brand):
    client.force_login(customer_of_brand.user)
    assert assert_customer_tokens_refuse_garbage(client) >= len(customer_token_routes())
    assert {"/o/<str:token>/", "/join/<str:token>/"} <= {r.template for r in customer_token_routes()}


def test_another_brands_opt_out_link_changes_only_its_own_customer(client, other_brand, customer_of_brand):
    from crm.consent.services import opt_out_url

    customer_of_brand.consent_promotions = True
    customer_of_brand.save(update_fields=["consent_promotions"])
    theirs = factories.make_customer(other_brand, "Bo of Globex", consent_promotions=True)
    client.force_login(customer_of_brand.user)
    page = client.get(opt_out_url(theirs))
    assert page.status_code == 200 and "Ann of Acme" not in page.content.decode()
    assert client.post(opt_out_url(theirs)).status_code == 200
    customer_of_brand.refresh_from_db()
    theirs.refresh_from_db()
    assert customer_of_brand.consent_promotions is True  # the signed-in person is not who the link names
    assert theirs.consent_promotions is False


def test_another_brands_invite_shows_and_changes_nothing_of_the_customer(client, brand, other_brand,
                                                                         customer_of_brand):
    from crm.models import Customer

    invite = factories.make_invite(other_brand, group=factories.make_group(other_brand, "Globex Club"))
    client.force_login(customer_of_brand.user)
    stranger = factories.make_customer(other_brand, "Bo of Globex")
    before = brand_row_counts(brand), brand_row_counts(other_brand)
    for url in (f"/join/{invite.token}/", f"/join/{invite.token}/qr.svg", f"/join/{invite.token}/qr.png"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert b"Ann of Acme" not in response.content, url
    # The "use your chat on another device" step of another brand's customer (or anyone else's) is a 404.
    for url in (f"/join/secure/{stranger.pk}/", f"/join/secure/{stranger.pk}/code/"):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"email": "bo@example.test"}).status_code == 404, url
    after = brand_row_counts(brand), brand_row_counts(other_brand)
    # Opening the join page is counted for the other brand's invite funnel (one anonymous count, nothing of
    # the customer); every other row of both brands is as it was.
    assert after[1].pop("communities.InviteOpen") == before[1].pop("communities.InviteOpen") + 1
    assert after == before
    assert list(Customer.objects.filter(user=customer_of_brand.user)) == [customer_of_brand]


# --- socket frames: every client frame naming another brand's conversation ---


def _socket_world():
    from chats.realtime.tokens import chat_token_issue
    from chats.services import Sender, conversation_for_customer, conversation_for_group, message_send
    from communities.groups.services import group_member_add

    brand, other = factories.make_brand("acme"), factories.make_brand("globex")
    people = {}
    for b, name in ((brand, "Ann"), (other, "Bo")):
        user = factories.make_user(f"{name.lower()}@example.test", password=None)
        customer = factories.make_customer(b, name, email=user.email, user=user)
        group = factories.make_group(b, f"{name}'s club")
        group_member_add(group=group, customer=customer, actor=factories.system(b))
        direct, group_conv = conversation_for_customer(customer=customer), conversation_for_group(group=group)
        for conversation in (direct, group_conv):
            message_send(conversation=conversation, sender=Sender.of_customer(customer), body="hi",
                         client_msg_id=f"{name}-{conversation.pk}")
        people[name] = {"customer": customer, "direct": direct.pk, "group": group_conv.pk}
    identities = {
        "staff": {"user": factories.owner_of(brand).user},
        "customer": {"user": people["Ann"]["customer"].user},
        # An app's socket: the token goes in the first frame (tests/chats/conftest.py communicator).
        "customer_token": {"token": chat_token_issue(customer=people["Ann"]["customer"], actor=factories.system(brand))[0]},
    }
    return {"brand": brand, "other": other, "identities": identities, "own": people["Ann"]["direct"],
            "foreign": [people["Bo"]["direct"], people["Bo"]["group"]], "listener": people["Bo"]["customer"].user}


def _written_in(brand) -> tuple:
    from chats.models import Conversation, Message, ReadState

    return (Message.objects.filter(brand=brand).count(), ReadState.objects.filter(brand=brand).count(),
            sorted(Conversation.objects.filter(brand=brand).values_list("pk", "last_seq")))


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("frame_type", sorted(CLIENT_FRAMES))
@pytest.mark.parametrize("identity", ["staff", "customer", "customer_token"])
async def test_every_socket_frame_hides_other_brands(identity, frame_type):
    from channels.db import database_sync_to_async

    from tests.chats.conftest import communicator, receive_until

    world = await database_sync_to_async(_socket_world)()
    listener = await communicator(user=world["listener"])  # brand B's own customer, in both B chats
    assert (await listener.connect())[0]
    await receive_until(listener, "ready")
    comm = await communicator(**world["identities"][identity])
    try:
        assert (await comm.connect())[0]
        ready = await receive_until(comm, "ready")
        assert world["own"] in ready["conversations"]
        assert not set(world["foreign"]) & set(ready["conversations"])
        before = await database_sync_to_async(_written_in)(world["other"])

        for conversation in world["foreign"]:
            await comm.send_json_to(CLIENT_FRAMES[frame_type](conversation))
            frame = await comm.receive_json_from(timeout=3)
            assert frame["type"] == "error", frame
            assert frame["code"] == INVISIBLE_CONVERSATION_CODE, frame

        # The socket stays open and still serves the identity's own conversation.
        await comm.send_json_to({"type": "sync", "conversation": world["own"], "after_seq": 0})
        frame = await receive_until(comm, "sync")
        assert frame["conversation"] == world["own"]
        # Nothing was written in brand B, and nobody there heard a thing.
        assert await database_sync_to_async(_written_in)(world["other"]) == before
        assert await listener.receive_nothing(timeout=0.3)
    finally:
        await comm.disconnect()
        await listener.disconnect()


def test_the_socket_matrix_covers_every_client_frame():
    """Every frame type the consumer handles is walked by the matrix above; in a checkout beside the shared
    docs, CONTRACT.md names exactly those frames too."""
    from chats.realtime.consumers import ChatConsumer

    assert set(ChatConsumer.FRAME_HANDLERS) == set(CLIENT_FRAMES)
    contract = next((p / "shared" / "CONTRACT.md" for p in Path(__file__).resolve().parents
                     if (p / "shared" / "CONTRACT.md").is_file()), None)
    if contract is not None:
        assert contract_client_frames(contract.read_text(encoding="utf-8")) == set(CLIENT_FRAMES)
