import pytest

from chats.inbox.services import quick_reply_render, quick_reply_save
from chats.models import QuickReply
from chats.services import conversation_for_customer
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.roles import Role
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


def test_quick_reply_variables(brand, system):
    rep = factories.make_member(brand, Role.REP)
    customer = factories.make_customer(brand, "Mei Lin", assigned_rep=rep)
    reply = quick_reply_save(brand=brand, actor=system, title="Hello", body="Hi {first_name}, I'm {rep_name} at {store_name}.")
    text = quick_reply_render(body=reply.body, conversation=conversation_for_customer(customer=customer), membership=rep)
    assert text == f"Hi Mei, I'm {rep.user.display_name} at {rep.store.name}."
    with pytest.raises(ApplicationError) as bad:
        quick_reply_save(brand=brand, actor=system, title="Bad", body="Hi {firstname} {coupon}")
    assert "coupon" in bad.value.message and "firstname" in bad.value.message
    with pytest.raises(ApplicationError) as duplicate:
        quick_reply_save(brand=brand, actor=system, title="Hello", body="again")
    assert duplicate.value.code == "duplicate"
    with pytest.raises(ApplicationError):
        quick_reply_save(brand=brand, actor=rep, title="Rep's own", body="x")
    assert QuickReply.objects.count() == 1


def test_quick_replies_are_written_by_campaign_managers_and_store_managers_only(brand, manager, marketer, rep):
    from chats.inbox.services import quick_reply_delete, quick_reply_may_manage

    saved = quick_reply_save(brand=brand, actor=manager, title="Store", body="Hi from {store_name}")
    assert saved.created_by == manager.user
    reply = quick_reply_save(brand=brand, actor=marketer, title="Brand", body="Hi {first_name}")
    assert quick_reply_may_manage(factories.api_actor(brand)) and not quick_reply_may_manage(rep)
    with pytest.raises(ApplicationError) as refused:
        quick_reply_delete(quick_reply=reply, actor=rep)
    assert refused.value.status == 403
    with pytest.raises(ApplicationError) as foreign:
        quick_reply_delete(quick_reply=reply, actor=factories.owner_of(factories.make_brand()))
    assert foreign.value.status == 404
    with pytest.raises(TypeError):
        quick_reply_save(brand=brand, actor=None, title="Nobody", body="x")  # no actor is not "skip the checks"
    quick_reply_delete(quick_reply=reply, actor=manager)
    assert list(QuickReply.objects.values_list("title", flat=True)) == ["Store"]


def test_quick_replies_page(client, brand):
    client.force_login(factories.owner_of(brand).user)
    url = f"/b/{brand.slug}/quick-replies/"
    assert client.post(url, {"title": "Hi", "body": "Hello {first_name}!"}).status_code == 302
    response = client.post(url, {"title": "Bad", "body": "Hello {nickname}"})
    assert response.status_code == 400 and "Unknown variable" in response.content.decode()
    assert list(QuickReply.objects.values_list("title", flat=True)) == ["Hi"]
