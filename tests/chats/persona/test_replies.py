"""Replying as the brand persona: customers see the persona; staff see who really sent it."""

import pytest
from channels.db import database_sync_to_async
from django.core.files.uploadedfile import SimpleUploadedFile

from chats.models import Message
from chats.persona.services import persona_save
from chats.selectors import message_list
from chats.serialization import message_to_dict
from chats.services import Sender, conversation_for_customer, message_send
from communities.groups.services import group_member_add
from privtraffic.tenancy.roles import Role
from tests import factories
from tests.chats.conftest import receive_until
from tests.chats.persona.test_services import PNG

pytestmark = pytest.mark.django_db(transaction=True)


def _setup():
    brand = factories.make_brand("acme")
    store = factories.make_store(brand, "Jing'an")
    rep = factories.make_member(brand, Role.REP, store=store, user=factories.make_user(name="Mei Chen"))
    other = factories.make_member(brand, Role.REP, store=store, user=factories.make_user(name="Omar Rep"))
    user = factories.make_user(password=None)
    customer = factories.make_customer(brand, "Lin Customer", email=user.email, user=user, assigned_rep=rep)
    group = factories.make_group(brand, "Club", store=store)
    group_member_add(group=group, actor=factories.system(brand.pk), customer=customer)
    persona = persona_save(brand=brand, actor=factories.owner_of(brand), name="Lumi", bio="Skincare guide",
                           avatar=SimpleUploadedFile("l.png", PNG, content_type="image/png"))
    return {"brand": brand, "rep": rep, "other": other, "customer": customer, "persona": persona,
            "direct": conversation_for_customer(customer=customer)}


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.mark.asyncio
async def test_socket_reply_as_persona_hides_the_real_sender_from_the_customer(connect, media):
    world = await database_sync_to_async(_setup)()
    customer = await connect(user=world["customer"].user)
    rep = await connect(user=world["rep"].user)
    colleague = await connect(user=world["other"].user)  # sees the store's group only: not this 1:1 chat
    for socket in (customer, rep, colleague):
        await receive_until(socket, "ready")
    conv = world["direct"].pk
    await rep.send_json_to({"type": "typing", "conversation": conv, "as": "persona"})
    typing = await receive_until(customer, "typing")
    assert typing["who"] == {"key": f"persona:{world['persona'].pk}", "name": "Lumi"}
    await rep.send_json_to({"type": "send", "conversation": conv, "client_msg_id": "p-1", "body": "Hi from Lumi",
                            "as": "persona"})
    ack = (await receive_until(rep, "ack"))["message"]
    assert ack["sender_name"] == "Lumi" and ack["sender_key"] == f"user:{world['rep'].user_id}"
    assert ack["sent_by"] == {"key": f"user:{world['rep'].user_id}", "name": "Mei Chen"}
    seen = (await receive_until(customer, "message"))["message"]
    assert seen["sender_name"] == "Lumi" and seen["sender_key"] == f"persona:{world['persona'].pk}"
    assert seen["persona"]["name"] == "Lumi" and seen["persona"]["avatar_url"].startswith(
        f"/chat/persona/{world['persona'].pk}/avatar/")
    assert "sent_by" not in seen and seen["client_msg_id"] is None
    assert "Mei" not in str(seen) and f"user:{world['rep'].user_id}" not in str(seen)
    # The customer's sync shows the same public view; the rep's sync the staff view.
    await customer.send_json_to({"type": "sync", "conversation": conv, "after_seq": 0})
    synced = (await receive_until(customer, "sync"))["messages"]
    assert "Mei" not in str(synced) and synced[-1]["sender_key"].startswith("persona:")
    await rep.send_json_to({"type": "sync", "conversation": conv, "after_seq": 0})
    assert (await receive_until(rep, "sync"))["messages"][-1]["sent_by"]["name"] == "Mei Chen"
    stored = await database_sync_to_async(Message.objects.get)(client_msg_id="p-1")
    assert stored.persona_id == world["persona"].pk and stored.sender_user_id == world["rep"].user_id


@pytest.mark.asyncio
async def test_customers_may_not_speak_as_the_persona_and_bad_as_is_refused(connect, media):
    world = await database_sync_to_async(_setup)()
    customer = await connect(user=world["customer"].user)
    await receive_until(customer, "ready")
    conv = world["direct"].pk
    await customer.send_json_to({"type": "send", "conversation": conv, "client_msg_id": "x", "body": "hi", "as": "persona"})
    assert (await receive_until(customer, "error"))["code"] == "forbidden"
    rep = await connect(user=world["rep"].user)
    await receive_until(rep, "ready")
    for bad in ("brand", 1, ["persona"], {"a": 1}):
        await rep.send_json_to({"type": "send", "conversation": conv, "client_msg_id": "y", "body": "hi", "as": bad})
        error = await receive_until(rep, "error")
        assert error["code"] == "invalid" and error["ref"] == "y"
    assert not await database_sync_to_async(Message.objects.filter(client_msg_id__in=["x", "y"]).exists)()


def test_without_a_persona_replying_as_it_is_a_clear_409(client, brand, store, rep):
    customer = factories.make_customer(brand, "Lin", assigned_rep=rep)
    conversation = conversation_for_customer(customer=customer)
    client.force_login(rep.user)
    response = client.post(f"/b/{brand.slug}/inbox/{conversation.pk}/",
                           {"action": "send", "body": "hello", "reply_as": "persona", "client_msg_id": "n-1"})
    assert response.status_code == 409 and "no persona" in response.content.decode()
    assert not Message.objects.filter(conversation=conversation).exists()


def test_inbox_post_fallback_and_pages_show_each_side_its_view(client, media):
    world = _setup()
    conversation = world["direct"]
    client.force_login(world["rep"].user)
    inbox = f"/b/acme/inbox/{conversation.pk}/"
    assert 'name="reply_as" value="persona"' in client.get(inbox).content.decode()
    response = client.post(inbox, {"action": "send", "body": "Lumi here", "reply_as": "persona", "client_msg_id": "f-1"})
    assert response.status_code == 302
    message = Message.objects.get(client_msg_id="f-1")
    assert (message.persona_id, message.sender_name, message.sender_user_id) == (
        world["persona"].pk, "Lumi", world["rep"].user_id)
    assert "Mei Chen (as Lumi)" in client.get(inbox).content.decode()
    client.force_login(world["customer"].user)
    page = client.get(f"/chat/direct/{world['customer'].pk}/").content.decode()
    # The chat's heading names the customer's own rep; the message itself names only the persona.
    messages = page.split('class="messages-list"', 1)[1].split("</ol>", 1)[0]
    assert "Lumi here" in messages and '<span class="sender">Lumi</span>' in messages and "Mei" not in messages
    assert f'data-sender="persona:{world["persona"].pk}"' in messages and f"user:{world['rep'].user_id}" not in messages
    assert f"/chat/persona/{world['persona'].pk}/avatar/" in page
    avatar = client.get(f"/chat/persona/{world['persona'].pk}/avatar/")
    assert avatar.status_code == 200 and avatar["Content-Type"] == "image/png"
    assert b"".join(avatar.streaming_content) == PNG
    assert client.get("/chat/persona/999999/avatar/").status_code == 404
    # Only the brand's own customers and staff fetch it: another brand's owner and anonymous visitors get 404.
    client.force_login(factories.owner_of(factories.make_brand("globex")).user)
    assert client.get(f"/chat/persona/{world['persona'].pk}/avatar/").status_code == 404
    client.force_login(world["rep"].user)
    assert client.get(f"/chat/persona/{world['persona'].pk}/avatar/").status_code == 200
    client.logout()
    assert client.get(f"/chat/persona/{world['persona'].pk}/avatar/").status_code == 302  # to the sign-in page


def test_message_lists_read_persona_and_sender_in_one_query(django_assert_num_queries, media):
    world = _setup()
    conversation = world["direct"]
    for i in range(5):
        message_send(conversation=conversation, sender=Sender.of_persona(world["persona"], world["rep"]),
                     body=f"hi {i}", client_msg_id=f"n+1-{i}")
    with django_assert_num_queries(1):
        page = message_list(conversation=conversation)
        dicts = [message_to_dict(m, staff=True) for m in page]
    assert {d["sent_by"]["name"] for d in dicts} == {"Mei Chen"}
