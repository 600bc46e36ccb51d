"""Orders: the API (CONTRACT.md `orders/`), status transitions, and the customer figures they keep current."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crm.customers import lifecycle
from crm.models import Customer, LifecycleStage, Order
from crm.orders import services as orders
from crm.privacy.services import customer_erase
from privtraffic.events.models import Event
from privtraffic.tenancy.errors import ApplicationError
from tests import factories
from tests.helpers import api_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(brand):
    return factories.make_customer(brand, name="Ann Lee")


def _order_body(owner, **overrides):
    body = {"external_id": "SO-1001", "customer": owner.pk, "currency": "CNY", "total": "398.00",
            "items": [{"sku": "BBQ-1", "name": "Barbecue set", "quantity": 2, "price": "199.00"}]}
    return {**body, **overrides}


def test_create_order_returns_contract_fields_and_updates_customer_figures(api, customer):
    response = api.post("/api/v1/orders/", _order_body(customer), format="json")

    assert response.status_code == 201, response.content
    order = response.json()
    assert order["external_id"] == "SO-1001"
    assert order["customer"] == customer.pk
    assert order["total"] == "398.00"
    assert order["status"] == "placed"
    assert order["items"] == [{"sku": "BBQ-1", "name": "Barbecue set", "quantity": 2, "price": "199.00"}]
    customer.refresh_from_db()
    assert customer.order_count == 1
    assert customer.lifetime_value == Decimal("398.00")
    assert customer.last_order_at is not None
    assert customer.lifecycle_stage == LifecycleStage.ACTIVE
    assert Event.objects.filter(type="order.created", payload__external_id="SO-1001").count() == 1


def test_duplicate_external_id_is_409_and_creates_nothing(api, customer):
    first = api.post("/api/v1/orders/", _order_body(customer), format="json").json()

    error = api_error(api.post("/api/v1/orders/", _order_body(customer, total="1.00"), format="json"), 409, "duplicate")

    assert str(first["id"]) in error["message"]
    assert Order.objects.count() == 1
    customer.refresh_from_db()
    assert customer.lifetime_value == Decimal("398.00")


@pytest.mark.parametrize("overrides, field", [
    ({"total": "-1"}, "total"),
    ({"total": "1.999"}, "total"),
    ({"total": "abc"}, "total"),
    ({"currency": "cny"}, "currency"),
    ({"external_id": ""}, "external_id"),
    ({"items": [{"sku": "A", "name": "A", "quantity": 0, "price": "1"}]}, "items"),
    ({"items": [{"sku": "A", "name": "A", "quantity": 1, "price": "-5"}]}, "items"),
    ({"items": "not a list"}, "items"),
    ({"status": "lost"}, "status"),
    ({"placed_at": "yesterday"}, "placed_at"),
    ({"customer": "x"}, "customer"),
])
def test_bad_orders_are_400_with_the_field_and_change_nothing(api, customer, overrides, field):
    error = api_error(api.post("/api/v1/orders/", _order_body(customer, **overrides), format="json"), 400, "invalid")

    assert field in error["fields"]
    assert Order.objects.count() == 0
    customer.refresh_from_db()
    assert customer.order_count == 0


def test_order_in_the_future_is_refused(brand, customer):
    with pytest.raises(ApplicationError) as exc:
        factories.make_order(brand, customer, placed_at=timezone.now() + datetime.timedelta(days=1))
    assert "placed_at" in exc.value.fields


def test_order_for_another_brands_customer_is_404(api, other_brand):
    stranger = factories.make_customer(other_brand)

    api_error(api.post("/api/v1/orders/", _order_body(stranger), format="json"), 404, "not_found")
    assert Order.objects.count() == 0


def test_order_for_an_erased_customer_is_refused(api, customer):
    customer_erase(customer=customer, actor=factories.system(customer.brand_id))

    api_error(api.post("/api/v1/orders/", _order_body(customer), format="json"), 409, "customer_erased")


def test_status_moves_along_and_records_order_updated(api, brand, customer):
    order = factories.make_order(brand, customer)

    for status in ("paid", "shipped", "delivered"):
        response = api.patch(f"/api/v1/orders/{order.pk}/", {"status": status, "tracking_number": "SF123"},
                             format="json")
        assert response.status_code == 200, response.content
        assert response.json()["status"] == status

    updates = Event.objects.filter(type="order.updated", payload__order_id=order.pk).order_by("created_at")
    assert [e.payload["status"] for e in updates] == ["paid", "shipped", "delivered"]
    assert updates[0].payload["previous_status"] == "placed"
    assert updates[0].payload["tracking_number"] == "SF123"


def test_a_forbidden_transition_is_409_naming_the_allowed_moves(api, brand, customer):
    order = factories.make_order(brand, customer)

    error = api_error(api.patch(f"/api/v1/orders/{order.pk}/", {"status": "delivered"}, format="json"), 409,
                      "invalid_transition")

    assert "paid" in error["message"] and "cancelled" in error["message"]
    order.refresh_from_db()
    assert order.status == "placed"


def test_cancelled_and_refunded_orders_leave_the_figures(brand, customer):
    first = factories.make_order(brand, customer, total="100.00")
    second = factories.make_order(brand, customer, total="50.00")
    factories.make_order(brand, customer, total="999.00", currency="USD")  # counted, not summed in CNY

    customer.refresh_from_db()
    assert (customer.order_count, customer.lifetime_value) == (3, Decimal("150.00"))
    assert customer.lifecycle_stage == LifecycleStage.LOYAL

    orders.order_update(order=first, actor=factories.system(first.brand_id), status="cancelled")
    system = factories.system(brand)
    orders.order_update(order=orders.order_update(order=second, actor=system, status="paid"), actor=system,
                        status="refunded")

    customer.refresh_from_db()
    assert (customer.order_count, customer.lifetime_value) == (1, Decimal("0.00"))
    assert customer.lifecycle_stage == LifecycleStage.ACTIVE


def test_order_list_filters_and_query_count_is_constant(api, brand, customer, other_brand):
    for _ in range(3):
        factories.make_order(brand, customer)
    factories.make_order(other_brand)
    paid = factories.make_order(brand)
    orders.order_update(order=paid, actor=factories.system(paid.brand_id), status="paid")

    api.get("/api/v1/orders/")  # the key's first use records last_used_at
    with CaptureQueriesContext(connection) as few:
        api.get("/api/v1/orders/")
    for _ in range(10):
        factories.make_order(brand)
    with CaptureQueriesContext(connection) as many:
        response = api.get("/api/v1/orders/")

    assert len(response.json()["results"]) == 14
    assert len(many) == len(few)
    assert [o["id"] for o in api.get("/api/v1/orders/?status=paid").json()["results"]] == [paid.pk]
    assert len(api.get(f"/api/v1/orders/?customer={customer.pk}").json()["results"]) == 3
    api_error(api.get("/api/v1/orders/?status=lost"), 400, "invalid")
    api_error(api.get("/api/v1/orders/?customer=abc"), 400, "invalid")


def test_another_brands_order_is_404(api, other_brand):
    order = factories.make_order(other_brand)

    api_error(api.get(f"/api/v1/orders/{order.pk}/"), 404, "not_found")
    api_error(api.patch(f"/api/v1/orders/{order.pk}/", {"status": "paid"}, format="json"), 404, "not_found")
    order.refresh_from_db()
    assert order.status == "placed"


# --- lifecycle and last active ---------------------------------------------------------------------------


def test_mark_active_writes_at_most_every_few_minutes(customer):
    now = timezone.now()

    assert lifecycle.customer_mark_active(customer=customer, at=now) is True
    assert lifecycle.customer_mark_active(customer=customer, at=now + datetime.timedelta(minutes=1)) is False
    assert lifecycle.customer_mark_active(customer=customer, at=now + datetime.timedelta(minutes=6)) is True
    customer.refresh_from_db()
    assert customer.last_active_at == now + datetime.timedelta(minutes=6)


def test_time_passing_moves_new_to_active_and_quiet_ones_to_lapsed(brand):
    now = timezone.now()
    fresh = factories.make_customer(brand)
    grown = factories.make_customer(brand)
    quiet = factories.make_customer(brand)
    back = factories.make_customer(brand)
    Customer.objects.filter(pk=grown.pk).update(created_at=now - datetime.timedelta(days=40),
                                                last_active_at=now - datetime.timedelta(days=3))
    Customer.objects.filter(pk__in=[quiet.pk, back.pk]).update(created_at=now - datetime.timedelta(days=200),
                                                               last_active_at=now - datetime.timedelta(days=120),
                                                               lifecycle_stage=LifecycleStage.ACTIVE)

    assert lifecycle.lifecycle_stages_refresh(brand=brand, now=now) == 3

    stages = dict(Customer.objects.values_list("pk", "lifecycle_stage"))
    assert stages[fresh.pk] == LifecycleStage.NEW
    assert stages[grown.pk] == LifecycleStage.ACTIVE
    assert stages[quiet.pk] == LifecycleStage.LAPSED
    # A lapsed customer who comes back is active again at once.
    back.refresh_from_db()
    lifecycle.customer_mark_active(customer=back, at=now)
    back.refresh_from_db()
    assert back.lifecycle_stage == LifecycleStage.ACTIVE


def test_updating_a_stale_customer_keeps_the_order_figures(brand, customer):
    from crm.customers.services import customer_update

    stale = Customer.objects.get(pk=customer.pk)
    factories.make_order(brand, customer, total="120.00")

    customer_update(customer=stale, actor=factories.system(stale.brand_id), name="Ann Li")

    customer.refresh_from_db()
    assert (customer.name, customer.order_count, customer.lifetime_value) == ("Ann Li", 1, Decimal("120.00"))


def test_joining_by_invite_and_writing_in_chat_mark_the_customer_active(brand, customer):
    from chats.services import Sender, message_send
    from communities.invites.services import invite_join

    invite_join(invite=factories.make_invite(brand), customer=customer)
    customer.refresh_from_db()
    assert customer.last_active_at is not None

    Customer.objects.filter(pk=customer.pk).update(last_active_at=None)
    customer.refresh_from_db()
    message_send(conversation=factories.make_conversation(brand, customer), sender=Sender.of_customer(customer),
                 body="Is the grill in stock?")
    customer.refresh_from_db()
    assert customer.last_active_at is not None


def test_a_stale_order_cannot_make_a_move_the_current_status_forbids(brand, customer):
    order = factories.make_order(brand, customer)
    orders.order_update(order=order, actor=factories.system(order.brand_id), status="paid")
    stale = Order.objects.get(pk=order.pk)
    orders.order_update(order=Order.objects.get(pk=order.pk), actor=factories.system(brand), status="cancelled")

    with pytest.raises(ApplicationError) as exc:
        orders.order_update(order=stale, actor=factories.system(stale.brand_id), status="shipped")

    assert exc.value.code == "invalid_transition"
    assert Order.objects.get(pk=order.pk).status == "cancelled"


def test_activity_on_a_stale_copy_keeps_the_stage_the_orders_set(brand, customer):
    stale = Customer.objects.get(pk=customer.pk)
    for _ in range(3):
        factories.make_order(brand, customer)

    lifecycle.customer_mark_active(customer=stale)

    assert Customer.objects.get(pk=customer.pk).lifecycle_stage == LifecycleStage.LOYAL


# --- carrier, tracking and the shape of order events (order cards read them) ------------------------------


def test_shipping_takes_a_carrier_and_tracking_number_and_the_events_carry_the_whole_order(api, brand, customer):
    created = api.post("/api/v1/orders/", _order_body(customer), format="json").json()
    url = f"/api/v1/orders/{created['id']}/"
    api.patch(url, {"status": "paid"}, format="json")

    response = api.patch(url, {"status": "shipped", "tracking_number": " SF1234567890 ", "carrier": "SF Express"},
                         format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["tracking_number"], body["carrier"]) == ("shipped", "SF1234567890", "SF Express")
    shipped = Event.objects.get(type="order.updated", payload__status="shipped")
    assert shipped.payload["previous_status"] == "paid"
    assert shipped.payload["carrier"] == "SF Express" and shipped.payload["tracking_number"] == "SF1234567890"
    assert shipped.payload["items"] == [{"sku": "BBQ-1", "name": "Barbecue set", "quantity": 2, "price": "199.00"}]
    assert (shipped.payload["total"], shipped.payload["currency"]) == ("398.00", "CNY")
    created_event = Event.objects.get(type="order.created")
    assert created_event.payload["items"] == shipped.payload["items"] and "previous_status" not in created_event.payload


def test_every_status_change_records_exactly_one_order_updated(api, brand, customer):
    order = factories.make_order(brand, customer)
    url = f"/api/v1/orders/{order.pk}/"

    api.patch(url, {"status": "paid"}, format="json")
    api.patch(url, {"status": "paid"}, format="json")  # no change: no event
    api.patch(url, {"status": "shipped", "carrier": "Store courier"}, format="json")

    updates = Event.objects.filter(type="order.updated", payload__order_id=order.pk).order_by("created_at")
    assert [(e.payload["previous_status"], e.payload["status"]) for e in updates] == [
        ("placed", "paid"), ("paid", "shipped")]


@pytest.mark.parametrize("body", [{"status": "shipped"}, {"status": "shipped", "tracking_number": "  "},
                                  {"status": "shipped", "tracking_number": "", "carrier": ""}])
def test_shipped_without_a_tracking_number_or_carrier_is_refused(api, brand, customer, body):
    order = orders.order_update(order=factories.make_order(brand, customer), actor=factories.system(brand),
                                status="paid")
    before = Event.objects.count()

    error = api_error(api.patch(f"/api/v1/orders/{order.pk}/", body, format="json"), 400, "tracking_required")

    assert {"tracking_number", "carrier"} <= set(error["fields"])
    order.refresh_from_db()
    assert order.status == "paid" and Event.objects.count() == before


def test_a_shipped_order_cannot_lose_its_last_shipping_detail(api, brand, customer):
    order = orders.order_update(order=factories.make_order(brand, customer), actor=factories.system(brand),
                                status="paid")
    orders.order_update(order=order, actor=factories.system(brand), status="shipped", tracking_number="SF1")

    api_error(api.patch(f"/api/v1/orders/{order.pk}/", {"tracking_number": ""}, format="json"), 400,
              "tracking_required")
    response = api.patch(f"/api/v1/orders/{order.pk}/", {"carrier": "SF Express", "tracking_number": ""},
                         format="json")
    assert response.status_code == 200 and response.json()["tracking_number"] == ""


def test_creating_a_shipped_order_needs_tracking_too(api, customer):
    api_error(api.post("/api/v1/orders/", _order_body(customer, status="shipped"), format="json"), 400,
              "tracking_required")
    response = api.post("/api/v1/orders/", _order_body(customer, status="shipped", tracking_number="YT99"),
                        format="json")
    assert response.status_code == 201 and response.json()["carrier"] == ""
    assert Order.objects.count() == 1


@pytest.mark.parametrize("field", ["carrier", "tracking_number"])
def test_an_overlong_carrier_or_tracking_number_is_400(api, brand, customer, field):
    order = factories.make_order(brand, customer)
    api_error(api.patch(f"/api/v1/orders/{order.pk}/", {field: "x" * 65}, format="json"), 400, "invalid")
    api_error(api.post("/api/v1/orders/", _order_body(customer, external_id="SO-2", **{field: "x" * 65}),
                       format="json"), 400, "invalid")


@pytest.mark.parametrize("start, moves, refused", [
    ("delivered", ["paid", "shipped", "delivered"], "placed"),
    ("delivered", ["paid", "shipped", "delivered"], "shipped"),
    ("cancelled", ["cancelled"], "paid"),
    ("refunded", ["paid", "refunded"], "shipped"),
    ("shipped", ["paid", "shipped"], "cancelled"),
])
def test_bad_transitions_are_409_and_change_nothing(api, brand, customer, start, moves, refused):
    order = factories.make_order(brand, customer)
    for move in moves:
        order = orders.order_update(order=order, actor=factories.system(brand), status=move, tracking_number="T1")
    before = Event.objects.count()

    error = api_error(api.patch(f"/api/v1/orders/{order.pk}/", {"status": refused}, format="json"), 409,
                      "invalid_transition")

    assert start in error["message"] and refused in error["message"]
    order.refresh_from_db()
    assert order.status == start and Event.objects.count() == before


def test_a_no_op_patch_of_a_shipped_order_from_before_the_rule_is_not_refused(api, brand, customer):
    order = factories.make_order(brand, customer)
    Order.objects.filter(pk=order.pk).update(status="shipped")  # synced before shipped needed a tracking number
    before = Event.objects.count()

    response = api.patch(f"/api/v1/orders/{order.pk}/", {"status": "shipped"}, format="json")

    assert response.status_code == 200 and Event.objects.count() == before
    response = api.patch(f"/api/v1/orders/{order.pk}/", {"status": "delivered"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "delivered"
