"""Moving customers between reps: one customer, or all of a leaving rep's; API, services and pages."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chats.models import ConversationKind, Message, MessageKind
from chats.services import Sender, conversation_for_customer, message_send
from crm.customers.services import customer_reassign, rep_customers_transfer
from crm.models import AuditLog, Customer
from privtraffic.events.models import Event
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.roles import Role
from privtraffic.tenancy.services import member_set_active
from tests import factories
from tests.helpers import api_error

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def other_store(brand):
    return factories.make_store(brand, "Xintiandi")


@pytest.fixture
def rita(brand, store):
    return factories.make_member(brand, Role.REP, store=store, user=factories.make_user(name="Rita Rep"))


@pytest.fixture
def sam(brand, store):
    return factories.make_member(brand, Role.REP, store=store, user=factories.make_user(name="Sam Seller"))


@pytest.fixture
def xia(brand, other_store):
    return factories.make_member(brand, Role.REP, store=other_store, user=factories.make_user(name="Xia Xintiandi"))


def _introductions(customer, rep) -> list[Message]:
    """System messages in the customer's 1:1 chat introducing this rep."""
    return list(Message.objects.filter(conversation__customer=customer, conversation__kind=ConversationKind.DIRECT,
                                       kind=MessageKind.SYSTEM, payload__event="customer.reassigned",
                                       payload__rep=rep.pk))


# --- one customer -----------------------------------------------------------------------------


def test_reassign_one_customer_introduces_the_new_rep(brand, api, rita, sam):
    alice = factories.make_customer(brand, "Alice Able", assigned_rep=rita)
    direct = conversation_for_customer(customer=alice)
    message_send(conversation=direct, sender=Sender.of_customer(alice), body="hello", client_msg_id="h")

    response = api.post(f"/api/v1/customers/{alice.pk}/reassign/", {"rep": sam.pk}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["assigned_rep"] == sam.pk
    assert Customer.objects.get(pk=alice.pk).assigned_rep_id == sam.pk

    [intro] = _introductions(alice, sam)
    assert intro.conversation_id == direct.pk  # the same chat, history and all
    assert "Sam Seller" in intro.body
    assert Message.objects.filter(conversation=direct, body="hello").exists()
    entry = AuditLog.objects.get(customer=alice)
    assert entry.action == "customer.reassigned" and entry.detail == {"from_rep": rita.pk, "to_rep": sam.pk}
    assert entry.actor_label.startswith("api_key:")


def test_reassign_to_the_current_rep_changes_nothing(brand, api, rita):
    alice = factories.make_customer(brand, assigned_rep=rita)
    assert api.post(f"/api/v1/customers/{alice.pk}/reassign/", {"rep": rita.pk}, format="json").status_code == 200
    assert not Event.objects.filter(type="customer.reassigned").exists()
    assert not AuditLog.objects.exists()


@pytest.mark.parametrize("body, field", [({}, "rep"), ({"rep": "x"}, "rep"), ({"rep": None}, "rep")])
def test_reassign_bad_body_is_400(brand, api, rita, body, field):
    alice = factories.make_customer(brand, assigned_rep=rita)
    error = api_error(api.post(f"/api/v1/customers/{alice.pk}/reassign/", body, format="json"), 400, "invalid")
    assert field in error["fields"]


def test_reassign_to_an_inactive_rep_or_a_non_rep_is_400(brand, api, rita, sam):
    alice = factories.make_customer(brand, assigned_rep=rita)
    member_set_active(membership=sam, actor=factories.system(brand), active=False)
    error = api_error(api.post(f"/api/v1/customers/{alice.pk}/reassign/", {"rep": sam.pk}, format="json"), 400,
                      "invalid")
    assert "rep" in error["fields"]
    marketer = factories.make_member(brand, Role.MARKETER)
    # A marketer is not a rep at all: as unknown to reps/ as any other id.
    api_error(api.post(f"/api/v1/customers/{alice.pk}/reassign/", {"rep": marketer.pk}, format="json"), 404,
              "not_found")
    assert Customer.objects.get(pk=alice.pk).assigned_rep_id == rita.pk


def test_reassign_other_brand_ids_are_404(brand, other_brand, api, rita):
    alice = factories.make_customer(brand, assigned_rep=rita)
    foreign_rep = factories.make_member(other_brand, Role.REP)
    foreign_customer = factories.make_customer(other_brand)
    api_error(api.post(f"/api/v1/customers/{alice.pk}/reassign/", {"rep": foreign_rep.pk}, format="json"), 404,
              "not_found")
    api_error(api.post(f"/api/v1/customers/{foreign_customer.pk}/reassign/", {"rep": rita.pk}, format="json"), 404,
              "not_found")
    assert Customer.objects.get(pk=alice.pk).assigned_rep_id == rita.pk
    assert Customer.objects.get(pk=foreign_customer.pk).assigned_rep_id is None
    # The service refuses too, whoever calls it.
    with pytest.raises(ApplicationError) as exc:
        customer_reassign(customer=alice, rep=foreign_rep, actor=factories.system(brand))
    assert exc.value.status == 404


def test_the_services_refuse_a_missing_or_foreign_actor(brand, other_brand, rita, sam):
    """Fail closed: no actor is not "the brand itself", and another brand's system is not this brand's."""
    alice = factories.make_customer(brand, "Alice", assigned_rep=rita)
    with pytest.raises(TypeError):
        customer_reassign(customer=alice, rep=sam)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        customer_reassign(customer=alice, rep=sam, actor=None)
    with pytest.raises(TypeError):
        rep_customers_transfer(from_rep=rita, to_rep=sam, actor=None)
    with pytest.raises(ApplicationError) as exc:
        customer_reassign(customer=alice, rep=sam, actor=factories.system(other_brand))
    assert exc.value.status == 404
    assert Customer.objects.get(pk=alice.pk).assigned_rep_id == rita.pk


# --- all of a rep's customers -----------------------------------------------------------------


def test_transfer_moves_every_customer_and_introduces_the_new_rep_in_each_chat(brand, api, rita, sam, xia):
    theirs = [factories.make_customer(brand, f"Fan {i}", assigned_rep=rita) for i in range(3)]
    conversation_for_customer(customer=theirs[0])  # one already chatting, the others not yet
    someone_elses = factories.make_customer(brand, "Not Rita's", assigned_rep=xia)
    member_set_active(membership=rita, actor=factories.system(brand), active=False)  # a leaving rep

    response = api.post(f"/api/v1/reps/{rita.pk}/transfer-customers/", {"to_rep": sam.pk}, format="json")
    assert response.status_code == 200, response.content
    assert response.json() == {"moved": 3}
    assert set(Customer.objects.filter(assigned_rep=sam).values_list("pk", flat=True)) == {c.pk for c in theirs}
    for customer in theirs:
        [intro] = _introductions(customer, sam)
        assert "Sam Seller" in intro.body
    assert Customer.objects.get(pk=someone_elses.pk).assigned_rep_id == xia.pk
    assert Event.objects.filter(type="customer.reassigned").count() == 3
    assert AuditLog.objects.filter(action="customer.reassigned", detail__transfer=True).count() == 3

    again = api.post(f"/api/v1/reps/{rita.pk}/transfer-customers/", {"to_rep": sam.pk}, format="json")
    assert again.json() == {"moved": 0}


def test_transfer_bad_input(brand, api, rita, sam):
    factories.make_customer(brand, assigned_rep=rita)
    url = f"/api/v1/reps/{rita.pk}/transfer-customers/"
    assert "to_rep" in api_error(api.post(url, {}, format="json"), 400, "invalid")["fields"]
    assert "to_rep" in api_error(api.post(url, {"to_rep": "sam"}, format="json"), 400, "invalid")["fields"]
    assert "to_rep" in api_error(api.post(url, {"to_rep": rita.pk}, format="json"), 400, "invalid")["fields"]
    member_set_active(membership=sam, actor=factories.system(brand), active=False)
    assert "to_rep" in api_error(api.post(url, {"to_rep": sam.pk}, format="json"), 400, "invalid")["fields"]
    assert Customer.objects.filter(assigned_rep=rita).count() == 1


def test_transfer_other_brand_ids_are_404(brand, other_brand, api, rita):
    factories.make_customer(brand, assigned_rep=rita)
    foreign_rep = factories.make_member(other_brand, Role.REP)
    factories.make_customer(other_brand, assigned_rep=foreign_rep)
    api_error(api.post(f"/api/v1/reps/{rita.pk}/transfer-customers/", {"to_rep": foreign_rep.pk}, format="json"),
              404, "not_found")
    api_error(api.post(f"/api/v1/reps/{foreign_rep.pk}/transfer-customers/", {"to_rep": rita.pk}, format="json"),
              404, "not_found")
    assert Customer.objects.filter(assigned_rep=rita).count() == 1
    assert Customer.objects.filter(assigned_rep=foreign_rep).count() == 1


# --- who may move customers -------------------------------------------------------------------


def test_store_manager_moves_customers_only_between_their_stores_reps(brand, manager, rita, sam, xia):
    alice = factories.make_customer(brand, assigned_rep=rita)
    customer_reassign(customer=alice, rep=sam, actor=manager)
    assert Customer.objects.get(pk=alice.pk).assigned_rep_id == sam.pk
    assert AuditLog.objects.get(customer=alice).actor_id == manager.user_id

    with pytest.raises(ApplicationError) as exc:
        customer_reassign(customer=alice, rep=xia, actor=manager)  # into another store
    assert exc.value.status == 403
    xias = factories.make_customer(brand, assigned_rep=xia)
    with pytest.raises(ApplicationError) as exc:
        customer_reassign(customer=xias, rep=rita, actor=manager)  # out of another store
    assert exc.value.status == 403
    with pytest.raises(ApplicationError) as exc:
        rep_customers_transfer(from_rep=rita, to_rep=xia, actor=manager)
    assert exc.value.status == 403
    with pytest.raises(ApplicationError) as exc:
        rep_customers_transfer(from_rep=xia, to_rep=sam, actor=manager)
    assert exc.value.status == 403
    assert Customer.objects.get(pk=xias.pk).assigned_rep_id == xia.pk

    factories.make_customer(brand, assigned_rep=rita)
    assert rep_customers_transfer(from_rep=rita, to_rep=sam, actor=manager) == 1


@pytest.mark.parametrize("role", [Role.REP, Role.MARKETER])
def test_reps_and_marketers_cannot_reassign(brand, store, rita, sam, role):
    actor = rita if role == Role.REP else factories.make_member(brand, role)
    alice = factories.make_customer(brand, assigned_rep=rita)
    for call in (lambda: customer_reassign(customer=alice, rep=sam, actor=actor),
                 lambda: rep_customers_transfer(from_rep=rita, to_rep=sam, actor=actor)):
        with pytest.raises(ApplicationError) as exc:
            call()
        assert exc.value.status == 403
    assert Customer.objects.get(pk=alice.pk).assigned_rep_id == rita.pk


def test_owner_of_another_brand_cannot_reassign(brand, other_brand, rita, sam):
    alice = factories.make_customer(brand, assigned_rep=rita)
    with pytest.raises(ApplicationError) as exc:
        customer_reassign(customer=alice, rep=sam, actor=factories.owner_of(other_brand))
    assert exc.value.status == 404


# --- pages ------------------------------------------------------------------------------------


def test_store_manager_reassigns_from_the_customer_page(brand, login, manager, rita, sam, xia):
    alice = factories.make_customer(brand, "Alice Able", assigned_rep=rita)
    client = login(manager)
    page = client.get(f"/b/{brand.slug}/customers/{alice.pk}/").content.decode()
    assert "Sam Seller" in page and "Xia Xintiandi" not in page  # only their store's reps to choose from
    url = f"/b/{brand.slug}/customers/{alice.pk}/reassign/"
    response = client.post(url, {"rep": sam.pk})
    assert response.status_code == 302
    assert Customer.objects.get(pk=alice.pk).assigned_rep_id == sam.pk
    assert _introductions(alice, sam)
    # Another store's rep is not a choice at all.
    assert client.post(url, {"rep": xia.pk}).status_code == 400
    assert Customer.objects.get(pk=alice.pk).assigned_rep_id == sam.pk


def test_rep_cannot_reassign_or_transfer_from_the_dashboard(brand, login, rita, sam):
    alice = factories.make_customer(brand, assigned_rep=rita)
    client = login(rita)
    page = client.get(f"/b/{brand.slug}/customers/{alice.pk}/").content.decode()
    assert "/reassign/" not in page
    assert client.post(f"/b/{brand.slug}/customers/{alice.pk}/reassign/", {"rep": sam.pk}).status_code == 403
    assert client.get(f"/b/{brand.slug}/customers/transfer/").status_code == 403
    assert client.post(f"/b/{brand.slug}/customers/transfer/",
                       {"from_rep": rita.pk, "to_rep": sam.pk}).status_code == 403
    assert Customer.objects.get(pk=alice.pk).assigned_rep_id == rita.pk


def test_owner_transfers_a_reps_customers_from_the_dashboard(brand, login, rita, sam):
    customers = [factories.make_customer(brand, assigned_rep=rita) for _ in range(2)]
    client = login(factories.owner_of(brand))
    url = f"/b/{brand.slug}/customers/transfer/"
    assert client.get(url).status_code == 200
    assert client.post(url, {"from_rep": rita.pk, "to_rep": rita.pk}).status_code == 400
    response = client.post(url, {"from_rep": rita.pk, "to_rep": sam.pk}, follow=True)
    assert "2 customers moved" in response.content.decode()
    assert all(Customer.objects.get(pk=c.pk).assigned_rep_id == sam.pk for c in customers)


def test_customer_list_is_scoped_searchable_and_constant_in_queries(brand, login, store, rita, xia):
    factories.make_customer(brand, "Zhang San", assigned_rep=rita, home_store=store)
    owner_client = login(factories.owner_of(brand))
    url = f"/b/{brand.slug}/customers/"
    owner_client.get(url)
    with CaptureQueriesContext(connection) as one_row:
        assert owner_client.get(url).status_code == 200
    for i in range(9):
        rep = factories.make_member(brand, Role.REP, user=factories.make_user(name=f"Rep {i}"))
        factories.make_customer(brand, f"Other {i}", assigned_rep=rep, home_store=factories.make_store(brand))
    with CaptureQueriesContext(connection) as ten_rows:
        html = owner_client.get(url).content.decode()
    assert html.count("data-customer-id=") == 10
    assert len(ten_rows) == len(one_row)

    assert "Other 1" not in owner_client.get(f"{url}?q=zhang").content.decode()
    factories.make_customer(brand, "Xia's Fan", assigned_rep=xia)
    rep_page = login(rita).get(url).content.decode()
    assert "Zhang San" in rep_page and "Xia&#x27;s Fan" not in rep_page and "Other 1" not in rep_page
