import pytest

from chats.models import Message
from chats.realtime.tokens import chat_token_customer
from chats.services import Sender, conversation_for_customer, conversation_for_group, message_send
from communities.groups.services import group_member_add
from tests import factories
from tests.helpers import api_error

pytestmark = pytest.mark.django_db




def test_conversations_filter_by_group_and_customer(brand, api):
    customer = factories.make_customer(brand)
    group = factories.make_group(brand)
    group_member_add(group=group, actor=factories.system(group.brand_id), customer=customer)
    direct = conversation_for_customer(customer=customer)
    group_conv = conversation_for_group(group=group)
    assert [c["id"] for c in api.get(f"/api/v1/conversations/?group={group.pk}").json()["results"]] == [group_conv.pk]
    assert [c["id"] for c in api.get(f"/api/v1/conversations/?customer={customer.pk}").json()["results"]] == [direct.pk]
    api_error(api.get("/api/v1/conversations/?group=abc"), 400, "invalid")


def test_post_message_is_idempotent_by_client_msg_id(brand, api):
    conversation = conversation_for_customer(customer=factories.make_customer(brand))
    url = f"/api/v1/conversations/{conversation.pk}/messages/"
    first = api.post(url, {"body": "Your order has shipped", "client_msg_id": "ship-1"}, format="json")
    assert first.status_code == 201
    body = first.json()
    assert (body["seq"], body["sender_type"], body["sender_name"]) == (1, "bot", brand.name)
    again = api.post(url, {"body": "Your order has shipped", "client_msg_id": "ship-1"}, format="json")
    assert again.json()["id"] == body["id"]
    assert Message.objects.filter(conversation=conversation).count() == 1


@pytest.mark.parametrize("body, field", [({"body": ""}, "body"), ({"body": "x" * 4001}, "body"),
                                         ({"body": "hi", "kind": "video"}, "kind")])
def test_post_message_bad_input(brand, api, body, field):
    conversation = conversation_for_customer(customer=factories.make_customer(brand))
    error = api_error(api.post(f"/api/v1/conversations/{conversation.pk}/messages/", body, format="json"), 400, "invalid")
    assert field in error["fields"]
    assert not Message.objects.exists()


def test_messages_after_seq_pages_in_order(brand, api):
    conversation = conversation_for_customer(customer=factories.make_customer(brand))
    for i in range(7):
        message_send(conversation=conversation, sender=Sender.bot("Brand", key="test"), body=f"m{i}")
    page = api.get(f"/api/v1/conversations/{conversation.pk}/messages/?after_seq=2&limit=3").json()
    assert [m["seq"] for m in page["results"]] == [3, 4, 5] and page["next"]
    rest = api.get(page["next"]).json()
    assert [m["seq"] for m in rest["results"]] == [6, 7] and rest["next"] is None


def test_chat_token_opens_chat_for_that_customer_only(brand, other_brand, api):
    customer = factories.make_customer(brand)
    response = api.post(f"/api/v1/customers/{customer.pk}/chat-token/")
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"token", "expires_at", "ws_url"}
    # The token travels in the socket's first frame, never in the URL (access logs keep URLs).
    assert body["ws_url"] == "ws://testserver/ws/chat/"
    assert body["token"] not in body["ws_url"]
    assert chat_token_customer(body["token"]) == customer
    assert chat_token_customer(body["token"] + "x") is None
    api_error(api.post(f"/api/v1/customers/{factories.make_customer(other_brand).pk}/chat-token/"), 404, "not_found")


def test_chat_token_delete_revokes_every_token_of_that_customer(brand, other_brand, api):
    customer, neighbour = factories.make_customer(brand), factories.make_customer(brand)
    tokens = [api.post(f"/api/v1/customers/{customer.pk}/chat-token/").json()["token"] for _ in range(2)]
    kept = api.post(f"/api/v1/customers/{neighbour.pk}/chat-token/").json()["token"]
    response = api.delete(f"/api/v1/customers/{customer.pk}/chat-token/")
    assert response.status_code == 204
    assert [chat_token_customer(t) for t in tokens] == [None, None]
    assert chat_token_customer(kept) == neighbour
    assert api.delete(f"/api/v1/customers/{customer.pk}/chat-token/").status_code == 204  # again: nothing changes
    # A new token after a revoke works again.
    fresh = api.post(f"/api/v1/customers/{customer.pk}/chat-token/").json()["token"]
    assert chat_token_customer(fresh) == customer
    api_error(api.delete(f"/api/v1/customers/{factories.make_customer(other_brand).pk}/chat-token/"), 404, "not_found")


def test_an_erased_customer_gets_no_token_and_loses_theirs(brand, api):
    customer = factories.make_customer(brand)
    token = api.post(f"/api/v1/customers/{customer.pk}/chat-token/").json()["token"]
    assert api.post(f"/api/v1/customers/{customer.pk}/erase/").status_code == 200
    assert chat_token_customer(token) is None
    api_error(api.post(f"/api/v1/customers/{customer.pk}/chat-token/"), 409, "customer_erased")


def test_old_chat_tokens_are_pruned_and_live_ones_kept(brand, api):
    from datetime import timedelta

    from django.utils import timezone

    from chats.models import ChatToken
    from chats.tasks import prune_chat_tokens

    customer = factories.make_customer(brand)
    old, revoked, live = (api.post(f"/api/v1/customers/{customer.pk}/chat-token/").json()["token"] for _ in range(3))
    rows = list(ChatToken.objects.order_by("pk"))
    long_ago = timezone.now() - timedelta(days=2)
    ChatToken.objects.filter(pk=rows[0].pk).update(expires_at=long_ago)
    ChatToken.objects.filter(pk=rows[1].pk).update(revoked_at=long_ago)
    assert prune_chat_tokens() == 2
    assert list(ChatToken.objects.all()) == [rows[2]]
    assert chat_token_customer(live) == customer


def test_post_message_statements_with_a_key_in_use(brand, api, django_assert_num_queries):
    """An integrator's steady sending: the key is not looked up again, the send is one read of the conversation
    and its write (seq, message, outbox event; the savepoint is the test's transaction), and a retry adds only
    the lookup of the first message."""
    conversation = conversation_for_customer(customer=factories.make_customer(brand))
    url = f"/api/v1/conversations/{conversation.pk}/messages/"
    assert api.post(url, {"body": "warm up", "client_msg_id": "w"}, format="json").status_code == 201
    with django_assert_num_queries(6):
        first = api.post(url, {"body": "Your order has shipped", "client_msg_id": "s-1"}, format="json")
    assert first.status_code == 201
    with django_assert_num_queries(7):
        again = api.post(url, {"body": "Your order has shipped", "client_msg_id": "s-1"}, format="json")
    assert again.json()["id"] == first.json()["id"]
