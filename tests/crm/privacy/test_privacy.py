"""Export and erasure of a customer's personal data: API, dashboard and the chats subscriber."""

import json

import pytest

from chats.models import Message
from chats.services import Sender, conversation_for_customer, conversation_for_group, message_send
from chats.subscribers import forget_erased_customer
from communities.groups.services import group_member_add
from communities.models import GroupMember, LeaveReason
from crm.models import AuditLog, Customer, CustomerSource
from crm.privacy.services import ERASED_NAME, customer_erase, customer_export
from privtraffic.events.models import Event
from privtraffic.tenancy.models import ApiKey
from tests import factories
from tests.helpers import api_error

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def alice(brand, store, rep):
    user = factories.make_user("alice@example.test", name="Alice Able")
    return factories.make_customer(brand, "Alice Able", email="alice@example.test", phone="+8613800138000",
                                   user=user, home_store=store, assigned_rep=rep, consent_chat=True,
                                   consent_promotions=True, source=CustomerSource.INVITE_LINK,
                                   source_ref="tok-123")


@pytest.fixture
def group(brand, store):
    return factories.make_group(brand, "Jing'an VIPs", store=store)


@pytest.fixture
def chatty_alice(alice, group):
    """Alice in a group, having said something there and in her 1:1 chat."""
    group_member_add(group=group, actor=factories.system(group.brand_id), customer=alice)
    message_send(conversation=conversation_for_group(group=group), sender=Sender.of_customer(alice),
                 body="Any news on the spring set?", client_msg_id="g1")
    message_send(conversation=conversation_for_customer(customer=alice), sender=Sender.of_customer(alice),
                 body="Is my order ready?", client_msg_id="d1")
    return alice


def _key_prefix(brand) -> str:
    return ApiKey.objects.filter(brand=brand).values_list("prefix", flat=True).get()


# --- export -----------------------------------------------------------------------------------


def test_export_holds_everything_about_the_person(brand, api, rep, store, group, chatty_alice):
    response = api.get(f"/api/v1/customers/{chatty_alice.pk}/export/")
    assert response.status_code == 200, response.content
    data = response.json()
    profile = data["customer"]
    assert (profile["name"], profile["email"], profile["phone"]) == ("Alice Able", "alice@example.test",
                                                                    "+8613800138000")
    assert profile["login"]["email"] == "alice@example.test"
    assert (profile["source"], profile["source_ref"]) == ("invite_link", "tok-123")
    assert profile["assigned_rep"] == {"id": rep.pk, "name": "Rita Rep", "store": store.pk}
    assert profile["home_store"] == {"id": store.pk, "name": "Jing'an"}
    assert data["consents"]["chat"]["given"] is True and data["consents"]["chat"]["changed_at"]
    assert data["consents"]["promotions"]["given"] is True and data["consents"]["promotions"]["changed_at"]
    assert [(m["group"]["name"], m["left_at"]) for m in data["group_memberships"]] == [("Jing'an VIPs", None)]
    assert {m["body"] for m in data["messages"]} == {"Any news on the spring set?", "Is my order ready?"}
    assert {m["conversation"]["kind"] for m in data["messages"]} == {"group", "direct"}
    # The export is audited, and shows up in the export itself.
    label = f"api_key:{_key_prefix(brand)}"
    assert [(e["action"], e["actor"]) for e in data["audit_log"]] == [("customer.exported", label)]
    entry = AuditLog.objects.get(customer=chatty_alice)
    assert (entry.action, entry.actor_label, entry.brand_id) == ("customer.exported", label, brand.pk)


def test_export_holds_only_this_persons_messages(brand, api, group, chatty_alice):
    bob = factories.make_customer(brand, "Bob Other")
    group_member_add(group=group, actor=factories.system(group.brand_id), customer=bob)
    message_send(conversation=conversation_for_group(group=group), sender=Sender.of_customer(bob), body="mine")
    bodies = {m["body"] for m in api.get(f"/api/v1/customers/{chatty_alice.pk}/export/").json()["messages"]}
    assert "mine" not in bodies and len(bodies) == 2


# --- erase ------------------------------------------------------------------------------------


def test_erase_removes_personal_data_and_keeps_the_row(brand, api, group, chatty_alice):
    response = api.post(f"/api/v1/customers/{chatty_alice.pk}/erase/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["id"], body["name"], body["email"], body["phone"]) == (chatty_alice.pk, ERASED_NAME, "", "")
    assert body["consent_chat"] is False and body["consent_promotions"] is False and body["erased_at"]

    customer = Customer.objects.get(pk=chatty_alice.pk)
    assert customer.user_id is None and customer.source_ref == "" and customer.erased_at is not None
    assert customer.consent_chat_at is None and customer.consent_promotions_at is None
    assert customer.assigned_rep_id is not None  # not personal data: the row keeps its shape

    erased = AuditLog.objects.get(customer=customer, action="customer.erased")
    assert erased.actor_label == f"api_key:{_key_prefix(brand)}"
    assert "alice" not in json.dumps(erased.detail).lower()
    event = Event.objects.get(type="customer.erased")
    assert event.payload["customer_id"] == customer.pk and event.brand_id == brand.pk
    assert event.relayed_at is not None  # chats handled it on commit


def test_erased_customers_messages_show_as_former_member(client, brand, api, group, chatty_alice):
    before = set(Message.objects.filter(sender_customer=chatty_alice).values_list("body", flat=True))
    api.post(f"/api/v1/customers/{chatty_alice.pk}/erase/")

    theirs = Message.objects.filter(sender_customer=chatty_alice)
    assert {m.sender_name for m in theirs} == {ERASED_NAME}
    assert {m.body for m in theirs} == before  # bodies are kept

    group_conversation = conversation_for_group(group=group)
    listed = api.get(f"/api/v1/conversations/{group_conversation.pk}/messages/").json()["results"]
    assert [m["sender_name"] for m in listed if m["sender_type"] == "customer"] == [ERASED_NAME]
    direct = conversation_for_customer(customer=chatty_alice)
    listed = api.get(f"/api/v1/conversations/{direct.pk}/messages/").json()["results"]
    assert [m["sender_name"] for m in listed if m["sender_type"] == "customer"] == [ERASED_NAME]

    client.force_login(factories.owner_of(brand).user)
    html = client.get(f"/b/{brand.slug}/inbox/{group_conversation.pk}/").content.decode()
    assert f'<span class="sender">{ERASED_NAME}</span>' in html
    assert '<span class="sender">Alice Able</span>' not in html


def test_erase_takes_them_out_of_their_groups(brand, api, group, chatty_alice):
    api.post(f"/api/v1/customers/{chatty_alice.pk}/erase/")
    member = GroupMember.objects.get(group=group, customer=chatty_alice)
    assert member.left_at is not None and member.leave_reason == LeaveReason.REMOVED
    group.refresh_from_db()
    assert group.member_count == 0
    notice = Message.objects.filter(conversation__group=group, payload__event="member.left").get()
    assert ERASED_NAME in notice.body


def test_erasing_twice_changes_nothing(brand, api, chatty_alice):
    first = api.post(f"/api/v1/customers/{chatty_alice.pk}/erase/").json()
    second = api.post(f"/api/v1/customers/{chatty_alice.pk}/erase/")
    assert second.status_code == 200 and second.json() == first
    assert AuditLog.objects.filter(action="customer.erased").count() == 1
    assert Event.objects.filter(type="customer.erased").count() == 1
    assert Event.objects.filter(type="member.left").count() == 1


def test_erase_subscriber_is_safe_to_run_twice(brand, group, chatty_alice):
    customer_erase(customer=chatty_alice, actor=factories.system(chatty_alice.brand_id))
    event = Event.objects.get(type="customer.erased")
    forget_erased_customer(event)
    forget_erased_customer(event)
    assert Event.objects.filter(type="member.left").count() == 1
    assert set(Message.objects.filter(sender_customer=chatty_alice).values_list("sender_name", flat=True)) == {
        ERASED_NAME}


def test_export_after_erase_holds_no_personal_data(brand, chatty_alice):
    customer_erase(customer=chatty_alice, actor=factories.system(chatty_alice.brand_id))
    data = customer_export(customer=chatty_alice, actor=factories.system(chatty_alice.brand_id))
    assert data["customer"]["name"] == ERASED_NAME and data["customer"]["email"] == ""
    assert data["customer"]["login"] is None and data["customer"]["erased_at"]
    assert [e["action"] for e in data["audit_log"]] == ["customer.erased", "customer.exported"]


def test_other_brand_customers_are_404(brand, other_brand, api):
    foreign = factories.make_customer(other_brand, "Far Away")
    api_error(api.get(f"/api/v1/customers/{foreign.pk}/export/"), 404, "not_found")
    api_error(api.post(f"/api/v1/customers/{foreign.pk}/erase/"), 404, "not_found")
    api_error(api.post("/api/v1/customers/999999/erase/"), 404, "not_found")
    foreign.refresh_from_db()
    assert foreign.erased_at is None and not AuditLog.objects.exists()


# --- dashboard --------------------------------------------------------------------------------


def test_owner_downloads_and_erases_from_the_dashboard(brand, login, chatty_alice):
    owner = factories.owner_of(brand)
    client = login(owner)
    base = f"/b/{brand.slug}/customers/{chatty_alice.pk}/"
    page = client.get(base).content.decode()
    assert "Alice Able" in page and "Download data (JSON)" in page and f"{base}erase/" in page

    download = client.get(f"{base}export/")
    assert download.status_code == 200
    assert download["Content-Disposition"] == f'attachment; filename="customer-{chatty_alice.pk}.json"'
    assert json.loads(download.content)["customer"]["email"] == "alice@example.test"
    assert AuditLog.objects.get(action="customer.exported").actor_id == owner.user_id

    confirm = client.get(f"{base}erase/")
    assert confirm.status_code == 200 and "Erase for good" in confirm.content.decode()
    unconfirmed = client.post(f"{base}erase/", {})
    assert unconfirmed.status_code == 400
    assert Customer.objects.get(pk=chatty_alice.pk).erased_at is None

    done = client.post(f"{base}erase/", {"confirm": "on"})
    assert done.status_code == 302 and done["Location"] == base
    customer = Customer.objects.get(pk=chatty_alice.pk)
    assert customer.name == ERASED_NAME and customer.email == ""
    assert AuditLog.objects.get(action="customer.erased").actor_id == owner.user_id
    assert client.post(f"{base}erase/", {"confirm": "on"}).status_code == 302  # again: a no-op
    assert AuditLog.objects.filter(action="customer.erased").count() == 1


def test_rep_cannot_export_or_erase(brand, login, rep, chatty_alice):
    client = login(rep)
    base = f"/b/{brand.slug}/customers/{chatty_alice.pk}/"
    assert client.get(base).status_code == 200  # their own customer: they may look
    assert client.get(f"{base}export/").status_code == 403
    assert client.get(f"{base}erase/").status_code == 403
    assert client.post(f"{base}erase/", {"confirm": "on"}).status_code == 403
    assert Customer.objects.get(pk=chatty_alice.pk).erased_at is None
    assert not AuditLog.objects.exists()


def test_dashboard_hides_other_brands_customers(brand, other_brand, login):
    foreign = factories.make_customer(other_brand, "Far Away")
    client = login(factories.owner_of(brand))
    base = f"/b/{brand.slug}/customers/{foreign.pk}/"
    assert client.get(base).status_code == 404
    assert client.get(f"{base}export/").status_code == 404
    assert client.post(f"{base}erase/", {"confirm": "on"}).status_code == 404
    foreign.refresh_from_db()
    assert foreign.erased_at is None


def test_erased_customer_cannot_be_refilled_or_chat(api, brand):
    from crm.privacy.services import customer_erase

    customer = factories.make_customer(brand, "Gone Soon")
    customer_erase(customer=customer, actor=factories.system(customer.brand_id))
    response = api.patch(f"/api/v1/customers/{customer.pk}/", {"email": "back@example.test"}, format="json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "customer_erased"
    response = api.post(f"/api/v1/customers/{customer.pk}/chat-token/")
    assert response.status_code == 409


def test_export_and_erase_cover_tags_attributes_and_notes(brand):
    from crm.models import AttributeDefinition, CustomerNote, CustomerTag, Tag
    from crm.privacy.services import customer_erase, customer_export
    from crm.profile.services import customer_attributes_set, customer_note_add, customer_tags_set

    customer = factories.make_customer(brand, "Noted Person")
    Tag.objects.create(brand=brand, name="vip")
    AttributeDefinition.objects.create(brand=brand, key="skin_type", label="Skin", type="choice", choices=["oily", "dry"])
    customer_tags_set(customer=customer, actor=factories.system(brand), tags=["vip"])
    customer_attributes_set(customer=customer, actor=factories.system(brand), values={"skin_type": "oily"})
    customer_note_add(customer=customer, actor=factories.system(customer.brand_id), body="Prefers evening calls")
    exported = customer_export(customer=customer, actor=factories.system(customer.brand_id))
    assert exported["tags"] == ["vip"] and exported["attributes"] == {"skin_type": "oily"}
    assert exported["notes"][0]["body"] == "Prefers evening calls"
    erased = customer_erase(customer=customer, actor=factories.system(customer.brand_id))
    assert erased.attributes == {}
    assert not CustomerNote.objects.filter(customer=customer).exists()
    assert not CustomerTag.objects.filter(customer=customer).exists()


def test_export_and_erase_cover_orders_consents_and_survey_answers(brand, alice):
    from crm.consent.services import promotions_opt_out
    from crm.models import SurveyAnswer
    from crm.privacy.services import customer_erase, customer_export
    from crm.surveys import answering
    from crm.surveys import services as surveys

    survey = surveys.survey_create(brand=brand, actor=factories.system(brand), title="About you")
    question = surveys.question_add(survey=survey, actor=factories.system(survey.brand_id), kind="text", text="Anything we should know?")
    surveys.survey_activate(survey=survey, actor=factories.system(survey.brand_id))
    answering.survey_answer_submit(survey=survey, actor=factories.system(survey.brand_id), customer=alice, answers={str(question.pk): "I live on Nanjing Rd"})
    factories.make_order(brand, alice, external_id="SO-9", total="59.00")
    alice.refresh_from_db()
    promotions_opt_out(customer=alice, actor=factories.system(alice.brand_id), source="stop_command")

    data = customer_export(customer=alice, actor=factories.system(alice.brand_id))

    assert [o["external_id"] for o in data["orders"]] == ["SO-9"]
    assert data["survey_answers"][0]["answer"] == "I live on Nanjing Rd"
    assert data["consents"]["history"][-1] == {**data["consents"]["history"][-1], "channel": "promotions",
                                               "granted": False, "source": "stop_command"}

    customer_erase(customer=alice, actor=factories.system(alice.brand_id))

    assert not SurveyAnswer.objects.filter(customer=alice).exists()
    assert "Nanjing" not in json.dumps(customer_export(customer=alice, actor=factories.system(alice.brand_id)))
