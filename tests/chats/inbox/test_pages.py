"""The rep inbox pages: /b/<slug>/inbox/ and /b/<slug>/inbox/<conversation_id>/."""

import datetime
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chats.models import Message
from chats.services import Sender, conversation_for_customer, conversation_for_group, message_send
from communities.groups.services import group_member_add, group_member_set_role
from communities.models import GroupMember
from crm.consent.services import opt_out_url
from crm.models import ContactPolicy
from privtraffic.tenancy.roles import Role
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


def _say(conversation, customer, body, n=1):
    for i in range(n):
        message_send(conversation=conversation, sender=Sender.of_customer(customer), body=body,
                     client_msg_id=f"{customer.pk}-{body}-{i}")


def _inbox(client, brand, query=""):
    response = client.get(f"/b/{brand.slug}/inbox/{query}")
    assert response.status_code == 200
    return response.content.decode()


def _unread_of(html, conversation_id):
    """The unread badge text of one row of the list."""
    row = html.split(f'data-inbox-item="{conversation_id}"', 1)[1].split("</li>", 1)[0]
    badge = row.split('class="unread-badge badge"', 1)[1]
    hidden = badge.lstrip().startswith("hidden")
    return 0 if hidden else int(badge.split(">", 1)[1].split("<", 1)[0])


def test_inbox_lists_visible_conversations_with_unread_counts_and_filters(client, brand, store, rep):
    alice = factories.make_customer(brand, "Alice Able", assigned_rep=rep)
    nobody = factories.make_customer(brand, "Nora Unassigned")
    group = factories.make_group(brand, "Jing'an VIPs", store=store)
    fan = factories.make_customer(brand, "Fan Fan")
    group_member_add(group=group, actor=factories.system(group.brand_id), customer=fan)
    direct = conversation_for_customer(customer=alice)
    _say(direct, alice, "hello there", n=3)
    group_conversation = conversation_for_group(group=group)
    _say(group_conversation, fan, "group hi")
    _say(conversation_for_customer(customer=nobody), nobody, "anyone?")

    client.force_login(rep.user)
    html = _inbox(client, brand)
    assert "Alice Able" in html and "Jing&#x27;an VIPs" in html
    assert "Nora Unassigned" not in html  # an unassigned 1:1 is not a rep's
    assert _unread_of(html, direct.pk) == 3
    assert _unread_of(html, group_conversation.pk) == group_conversation.last_seq  # join notice + message
    # The newest activity is on top.
    assert html.index(f'data-inbox-item="{group_conversation.pk}"') < html.index(f'data-inbox-item="{direct.pk}"')

    mine = _inbox(client, brand, "?filter=mine")
    assert "Alice Able" in mine and "Jing&#x27;an VIPs" not in mine
    groups = _inbox(client, brand, "?filter=groups")
    assert "Alice Able" not in groups and "Jing&#x27;an VIPs" in groups
    found = _inbox(client, brand, "?q=hello")
    assert "Alice Able" in found and "Jing&#x27;an VIPs" not in found
    assert "Alice Able" in _inbox(client, brand, "?q=alice")

    # Reading moves the count: once read up to the last seq, the badge is hidden.
    from chats.services import conversation_mark_read

    conversation_mark_read(conversation=direct, participant_key=f"user:{rep.user_id}", reader_name="Rita", seq=2)
    assert _unread_of(_inbox(client, brand), direct.pk) == 1

    owner = factories.owner_of(brand)
    client.force_login(owner.user)
    unassigned = _inbox(client, brand, "?filter=unassigned")
    assert "Nora Unassigned" in unassigned and "Alice Able" not in unassigned
    assert _unread_of(_inbox(client, brand), direct.pk) == 3  # read state is per person


def test_rep_does_not_see_another_reps_direct_chat(client, brand, rep, other_rep, other_brand):
    alice = factories.make_customer(brand, "Alice Able", assigned_rep=rep)
    direct = conversation_for_customer(customer=alice)
    _say(direct, alice, "secret grill question")
    foreign = conversation_for_customer(customer=factories.make_customer(other_brand, "Globex Guy"))

    client.force_login(other_rep.user)
    assert "Alice Able" not in _inbox(client, brand)
    assert "Alice Able" not in _inbox(client, brand, "?q=grill")
    assert "Alice Able" not in _inbox(client, brand, "?q=Alice")
    assert client.get(f"/b/{brand.slug}/inbox/{direct.pk}/").status_code == 404
    assert client.post(f"/b/{brand.slug}/inbox/{direct.pk}/", {"action": "send", "body": "hi"}).status_code == 404

    client.force_login(rep.user)
    page = client.get(f"/b/{brand.slug}/inbox/{direct.pk}/")
    assert page.status_code == 200 and "secret grill question" in page.content.decode()
    # Another brand's conversation id is a 404, never a 403.
    assert client.get(f"/b/{brand.slug}/inbox/{foreign.pk}/").status_code == 404
    assert client.post(f"/b/{brand.slug}/inbox/{foreign.pk}/", {"action": "send", "body": "x"}).status_code == 404
    # Not a member of the other brand at all.
    assert client.get(f"/b/{other_brand.slug}/inbox/{foreign.pk}/").status_code == 404
    assert not Message.objects.filter(conversation=foreign).exists()


def test_direct_conversation_shows_customer_profile_and_live_pane(client, brand, store, rep):
    alice = factories.make_customer(brand, "Alice <b>Able</b>", assigned_rep=rep, phone="+8613800138000",
                                    home_store=store, consent_chat=True)
    group = factories.make_group(brand, "Weekend Grillers", store=store)
    group_member_add(group=group, actor=factories.system(group.brand_id), customer=alice)
    direct = conversation_for_customer(customer=alice)
    _say(direct, alice, "<img src=x onerror=alert(1)>")

    client.force_login(rep.user)
    html = client.get(f"/b/{brand.slug}/inbox/{direct.pk}/").content.decode()
    assert "Alice &lt;b&gt;Able&lt;/b&gt;" in html and "<b>Able</b>" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "<img src=x" not in html
    assert "+8613800138000" in html and alice.email in html and "Rita Rep" in html
    assert "Jing&#x27;an" in html and "Weekend Grillers" in html
    assert 'data-chat-root' in html and f'data-conversation="{direct.pk}"' in html
    assert f'data-me="user:{rep.user_id}"' in html and "js/chat.js" in html
    assert 'id="connection-status"' in html and 'class="typing-indicator' in html


def test_group_conversation_shows_group_panel(client, brand, store, rep):
    group = factories.make_group(brand, "Jing'an VIPs", store=store, capacity=50)
    mod = group_member_add(group=group, actor=factories.system(group.brand_id), customer=factories.make_customer(brand, "Molly Moderator"))
    group_member_set_role(member=mod, actor=factories.system(mod.brand_id), role="moderator")
    group_member_add(group=group, actor=factories.system(group.brand_id), customer=factories.make_customer(brand, "Fan Fan"))
    conversation = conversation_for_group(group=group)
    message_send(conversation=conversation, sender=Sender.of_staff(rep), body="Welcome all")

    client.force_login(rep.user)
    html = client.get(f"/b/{brand.slug}/inbox/{conversation.pk}/").content.decode()
    panel = html.split('class="inbox-panel', 1)[1]
    assert "2 / 50" in panel
    assert "Molly Moderator" in panel.split("panel-list moderators", 1)[1].split("</ul>", 1)[0]
    staff = panel.split("panel-list staff", 1)[1].split("</ul>", 1)[0]
    assert "Rita Rep" in staff and "Rep" in staff


def test_staff_sends_without_javascript(client, brand, rep):
    alice = factories.make_customer(brand, "Alice Able", assigned_rep=rep)
    direct = conversation_for_customer(customer=alice)
    client.force_login(rep.user)
    url = f"/b/{brand.slug}/inbox/{direct.pk}/"
    assert client.post(url, {"action": "send", "body": "In stock!", "client_msg_id": "r1"}).status_code == 302
    assert client.post(url, {"action": "send", "body": "In stock!", "client_msg_id": "r1"}).status_code == 302
    sent = Message.objects.get(conversation=direct, sender_type="rep")
    assert sent.body == "In stock!" and sent.sender_name == "Rita Rep"
    assert client.post(url, {"action": "send", "body": "   "}).status_code == 400
    assert client.post(url, {"action": "explode"}).status_code == 400
    assert Message.objects.filter(conversation=direct).count() == 1


def test_delete_action_hides_the_message(client, brand, rep, other_brand):
    alice = factories.make_customer(brand, "Alice Able", assigned_rep=rep)
    direct = conversation_for_customer(customer=alice)
    _say(direct, alice, "rude words")
    message = Message.objects.get(conversation=direct)
    client.force_login(rep.user)
    url = f"/b/{brand.slug}/inbox/{direct.pk}/"
    response = client.post(url, {"action": "delete", "message_id": message.pk})
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.deleted_at is not None and message.deleted_by == rep.user
    html = client.get(url).content.decode()
    assert "rude words" not in html and "This message was deleted." in html

    # A message of another conversation (here: another brand's) cannot be reached through this one.
    foreign_customer = factories.make_customer(other_brand, "Globex Guy")
    foreign = conversation_for_customer(customer=foreign_customer)
    _say(foreign, foreign_customer, "keep me")
    foreign_message = Message.objects.get(conversation=foreign)
    assert client.post(url, {"action": "delete", "message_id": foreign_message.pk}).status_code == 404
    foreign_message.refresh_from_db()
    assert foreign_message.deleted_at is None


def test_mute_and_remove_a_group_member_from_their_message(client, brand, store, rep):
    group = factories.make_group(brand, "Jing'an VIPs", store=store)
    troll = factories.make_customer(brand, "Troll Tom")
    member = group_member_add(group=group, actor=factories.system(group.brand_id), customer=troll)
    conversation = conversation_for_group(group=group)
    _say(conversation, troll, "spam spam")
    message = Message.objects.get(conversation=conversation, sender_type="customer")
    client.force_login(rep.user)
    url = f"/b/{brand.slug}/inbox/{conversation.pk}/"

    assert client.post(url, {"action": "mute", "message_id": message.pk}).status_code == 400  # no duration
    before = timezone.now()
    assert client.post(url, {"action": "mute", "duration": "24h", "message_id": message.pk}).status_code == 302
    member.refresh_from_db()
    assert before + timedelta(hours=23) < member.muted_until <= timezone.now() + timedelta(hours=24)

    assert client.post(url, {"action": "mute", "duration": "1h", "message_id": message.pk}).status_code == 302
    member.refresh_from_db()
    assert member.muted_until <= timezone.now() + timedelta(hours=1)

    assert client.post(url, {"action": "remove", "message_id": message.pk}).status_code == 302
    member.refresh_from_db()
    assert member.left_at is not None and member.leave_reason == "removed" and member.removed_by == rep
    assert GroupMember.objects.get(pk=member.pk).group.member_count == 0

    # Staff messages and 1:1 chats have nobody to mute.
    own = message_send(conversation=conversation, sender=Sender.of_staff(rep), body="Rules: be kind")
    assert client.post(url, {"action": "mute", "duration": "1h", "message_id": own.pk}).status_code == 400
    alice = factories.make_customer(brand, "Alice Able", assigned_rep=rep)
    direct = conversation_for_customer(customer=alice)
    _say(direct, alice, "hi")
    direct_message = Message.objects.get(conversation=direct)
    response = client.post(f"/b/{brand.slug}/inbox/{direct.pk}/",
                           {"action": "remove", "message_id": direct_message.pk})
    assert response.status_code == 400


def test_inbox_list_query_count_does_not_grow_with_conversations(client, brand):
    owner = factories.owner_of(brand)
    store = factories.make_store(brand)
    rep = factories.make_member(brand, Role.REP, store=store)

    def add_conversations(n):
        for _i in range(n):
            customer = factories.make_customer(brand, assigned_rep=rep, home_store=store)
            _say(conversation_for_customer(customer=customer), customer, "hello")
            group = factories.make_group(brand, store=store)
            fan = factories.make_customer(brand)
            group_member_add(group=group, actor=factories.system(group.brand_id), customer=fan)
            _say(conversation_for_group(group=group), fan, "hey")

    client.force_login(owner.user)
    add_conversations(1)
    _inbox(client, brand)  # warm up (session, content types)
    with CaptureQueriesContext(connection) as one:
        _inbox(client, brand)
    add_conversations(9)
    with CaptureQueriesContext(connection) as ten:
        html = _inbox(client, brand)
    assert html.count("data-inbox-item=") == 20
    assert len(ten) == len(one), [q["sql"] for q in ten.captured_queries]


def test_inbox_quick_replies_and_cards(client, brand, system):
    from chats.inbox.services import quick_reply_save

    rep = factories.make_member(brand, Role.REP)
    customer = factories.make_customer(brand, "Mei Lin", assigned_rep=rep, consent_chat=True, consent_promotions=True)
    # Cards in a 1:1 chat are promotions (tests/crm/test_reach.py): open the quiet hours for this test.
    ContactPolicy.objects.create(brand=brand, quiet_hours_start=datetime.time(0), quiet_hours_end=datetime.time(0))
    conversation = conversation_for_customer(customer=customer)
    quick_reply_save(brand=brand, actor=system, title="Greeting", body="Hi {first_name}, this is {rep_name}.")
    client.force_login(rep.user)
    url = f"/b/{brand.slug}/inbox/{conversation.pk}/"
    page = client.get(url).content.decode()
    assert f"Hi Mei, this is {rep.user.display_name}." in page
    # Product cards are picked from the catalogue (issue 11): the card carries a copy of the product and its id.
    bbq = factories.make_product(brand, "BBQ-1", name="BBQ set", price="899.00", currency="CNY",
                                 url="https://acme.example/bbq", image_url="https://cdn.acme.example/bbq.jpg")
    page = client.get(url).content.decode()
    assert "BBQ set" in page and f'name="product_id" value="{bbq.pk}"' in page
    response = client.post(url, {"action": "product", "product_id": str(bbq.pk)})
    assert response.status_code == 302
    card = Message.objects.get(conversation=conversation, kind="product")
    assert card.payload == {"product_id": bbq.pk, "name": "BBQ set", "price": "899.00", "currency": "CNY",
                            "url": "https://acme.example/bbq", "image_url": "https://cdn.acme.example/bbq.jpg",
                            "opt_out_url": opt_out_url(customer)}
    assert client.post(url, {"action": "product"}).status_code == 400
    assert client.post(url, {"action": "product", "product_id": "١"}).status_code == 400
    theirs = factories.make_product(factories.make_brand(), "BBQ-1")
    assert client.post(url, {"action": "product", "product_id": str(theirs.pk)}).status_code == 404
    retired = factories.make_product(brand, "OLD", active=False)
    assert client.post(url, {"action": "product", "product_id": str(retired.pk)}).status_code == 409
    assert Message.objects.filter(conversation=conversation, kind="product").count() == 1
    # A coupon card is picked from the brand's live coupons (campaigns.coupons), not typed by hand.
    coupon = factories.make_coupon(brand, code="SPRING-10", title="10% off")
    assert "10% off" in client.get(url).content.decode()  # offered in the picker
    client.post(url, {"action": "coupon", "coupon_ref": str(coupon.pk), "coupon_title": ""})
    payload = Message.objects.get(conversation=conversation, kind="coupon").payload
    assert (payload["title"], payload["ref"]) == ("10% off", coupon.pk)
    assert f'data-card="coupon:{coupon.pk}"' in client.get(url).content.decode()
