import pytest

from chats.models import GroupRule, Message, MessageReport
from chats.services import Sender, conversation_for_group, message_send
from communities.groups.services import group_member_add
from privtraffic.tenancy.roles import Role
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def scene(brand):
    group = factories.make_group(brand, "Club", system_messages=False)
    troll_user = factories.make_user(password=None)
    fan_user = factories.make_user(password=None)
    troll = group_member_add(group=group, actor=factories.system(group.brand_id), customer=factories.make_customer(brand, "Troll", email=troll_user.email,
                                                                          user=troll_user))
    fan = group_member_add(group=group, actor=factories.system(group.brand_id), customer=factories.make_customer(brand, "Fan", email=fan_user.email, user=fan_user))
    conversation = conversation_for_group(group=group)
    message = message_send(conversation=conversation, sender=Sender.of_customer(troll.customer), body="rude words")
    return {"group": group, "troll": troll, "fan": fan, "conversation": conversation, "message": message}


def test_customer_reports_and_moderator_deletes(client, brand, scene):
    client.force_login(scene["fan"].customer.user)
    response = client.post(f"/chat/messages/{scene['message'].pk}/report/",
                           {"reason": "rude", "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == "/chat/"  # no open redirect
    assert MessageReport.objects.get().reason == "rude"
    client.force_login(factories.owner_of(brand).user)
    page = client.get(f"/b/{brand.slug}/reports/").content.decode()
    assert "rude words" in page and "Fan" in page
    client.post(f"/b/{brand.slug}/reports/{MessageReport.objects.get().pk}/delete-message/")
    assert Message.objects.get(pk=scene["message"].pk).deleted_at is not None
    assert MessageReport.objects.get().resolved_at is not None


def test_outsider_cannot_report(client, brand, scene):
    client.force_login(factories.make_user())
    assert client.post(f"/chat/messages/{scene['message'].pk}/report/").status_code == 404
    assert not MessageReport.objects.exists()


def test_group_rules_page_saves_and_shows_log(client, brand, scene):
    client.force_login(factories.owner_of(brand).user)
    url = f"/b/{brand.slug}/groups/{scene['group'].pk}/rules/"
    response = client.post(url, {"blocked_words": "spam", "block_links": "on", "flood_limit": 0, "action": "mute",
                                 "mute_minutes": 15})
    assert response.status_code == 302
    rule = GroupRule.objects.get(group=scene["group"])
    assert (rule.words, rule.block_links, rule.action, rule.mute_minutes) == (["spam"], True, "mute", 15)
    message_send(conversation=scene["conversation"], sender=Sender.of_customer(scene["fan"].customer), body="SPAM!")
    assert "SPAM!" in client.get(url).content.decode()
    assert client.post(url, {"action": "explode", "flood_limit": -1, "mute_minutes": 1}).status_code == 400


def test_rep_cannot_edit_rules_but_can_use_quick_replies(client, brand, scene):
    rep = factories.make_member(brand, Role.REP)
    client.force_login(rep.user)
    assert client.get(f"/b/{brand.slug}/groups/{scene['group'].pk}/rules/").status_code == 403
    assert client.post(f"/b/{brand.slug}/quick-replies/", {"title": "x", "body": "y"}).status_code == 403
    assert client.get(f"/b/{brand.slug}/quick-replies/").status_code == 200


def test_non_numeric_ids_are_404_not_500(client, brand, scene):
    client.force_login(factories.owner_of(brand).user)
    assert client.post(f"/b/{brand.slug}/reports/abc/dismiss/").status_code == 404
    assert client.post(f"/b/{brand.slug}/reports/", {"report_id": "1"}).status_code == 405  # one route per command
    assert client.post(f"/b/{brand.slug}/quick-replies/", {"action": "delete", "reply_id": "x"}).status_code == 404
