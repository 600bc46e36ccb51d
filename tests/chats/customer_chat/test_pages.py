import pytest

from chats.models import Message
from chats.services import Sender, message_send
from communities.groups.services import group_member_add, group_member_set_role, group_update
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def member(brand):
    user = factories.make_user("fan@example.test", password=None)
    customer = factories.make_customer(brand, "Fan One", email=user.email, user=user)
    return group_member_add(group=factories.make_group(brand, "Club"), customer=customer, actor=factories.system(brand))


def test_customer_sends_a_message_and_sees_it(client, member):
    client.force_login(member.customer.user)
    url = f"/chat/group/{member.group_id}/"
    response = client.post(url, {"body": "Hello <script>alert(1)</script>", "client_msg_id": "m1"})
    assert response.status_code == 302
    client.post(url, {"body": "Hello <script>alert(1)</script>", "client_msg_id": "m1"})  # a retried send
    messages = Message.objects.filter(sender_type="customer")
    assert messages.count() == 1 and messages.get().sender_name == "Fan One"
    html = client.get(url).content.decode()
    assert "Hello &lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html


def test_empty_or_overlong_message_is_refused(client, member):
    client.force_login(member.customer.user)
    url = f"/chat/group/{member.group_id}/"
    assert client.post(url, {"body": "   "}).status_code == 400
    assert client.post(url, {"body": "x" * 4001}).status_code == 400
    assert not Message.objects.filter(sender_type="customer").exists()


def test_muted_and_announce_only(client, member, brand):
    from datetime import timedelta

    from django.utils import timezone

    from communities.groups.services import group_member_mute

    client.force_login(member.customer.user)
    url = f"/chat/group/{member.group_id}/"
    group_member_mute(member=member, actor=factories.system(member.brand_id), until=timezone.now() + timedelta(hours=1))
    response = client.post(url, {"body": "hi"})
    assert response.status_code == 403 and "muted" in response.content.decode()
    group_member_mute(member=member, actor=factories.system(member.brand_id), until=None)
    group_update(group=member.group, actor=factories.system(member.group.brand_id), announce_only=True)
    assert client.post(url, {"body": "hi"}).status_code == 403
    assert not Message.objects.filter(sender_type="customer").exists()


def test_other_people_cannot_open_the_group(client, member, brand, other_brand):
    outsider = factories.make_user()
    client.force_login(outsider)
    assert client.get(f"/chat/group/{member.group_id}/").status_code == 404
    assert client.post(f"/chat/group/{member.group_id}/", {"body": "spam"}).status_code == 404
    assert client.get(f"/chat/direct/{member.customer_id}/").status_code == 404
    client.logout()
    assert client.get(f"/chat/group/{member.group_id}/").status_code == 302


def test_chat_home_lists_groups(client, member):
    group_member_set_role(member=member, actor=factories.system(member.brand_id), role="moderator")
    client.force_login(member.customer.user)
    html = client.get("/chat/").content.decode()
    assert "Club" in html and f"/chat/group/{member.group_id}/" in html


def test_chat_home_shows_unread_counts_and_rep_chat(client, brand):
    rep = factories.make_member(brand, "rep")
    user = factories.make_user("solo@example.test", password=None)
    customer = factories.make_customer(brand, "Solo", email=user.email, user=user, assigned_rep=rep)
    from chats.services import conversation_for_customer

    conversation = conversation_for_customer(customer=customer)
    for text in ("Hi!", "New arrivals today"):
        message_send(conversation=conversation, sender=Sender.of_staff(rep), body=text)
    client.force_login(user)
    html = client.get("/chat/").content.decode()
    assert rep.user.display_name in html and "2 unread messages" in html
    assert f'data-reads="{{&quot;user:{rep.user_id}&quot;: 2}}"' in client.get(f"/chat/direct/{customer.pk}/").content.decode()
