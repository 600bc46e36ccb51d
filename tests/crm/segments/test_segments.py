"""Segments: the condition registry and compiler (crm/segments/), its API and the dashboard builder."""

import datetime
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from communities.models import GroupMember
from crm.models import AttributeDefinition, Customer, CustomerTag, Segment, Tag
from crm.orders import services as orders
from crm.privacy.services import customer_erase
from crm.segments import selectors, services
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.roles import Role
from tests import factories
from tests.helpers import api_error

pytestmark = pytest.mark.django_db


# --- fixtures -------------------------------------------------------------------------------------------


@pytest.fixture
def world(brand):
    """A small brand: tags, attributes, stores, reps, a group, and customers covering each condition."""
    w = type("World", (), {})()
    w.oily = Tag.objects.create(brand=brand, name="oily-skin")
    w.vip = Tag.objects.create(brand=brand, name="vip")
    AttributeDefinition.objects.create(brand=brand, key="skin_type", label="Skin", type="choice",
                                       choices=["oily", "dry"])
    AttributeDefinition.objects.create(brand=brand, key="age", label="Age", type="number")
    AttributeDefinition.objects.create(brand=brand, key="birthday", label="Birthday", type="date")
    AttributeDefinition.objects.create(brand=brand, key="nickname", label="Nickname", type="text")
    w.store_a, w.store_b = factories.make_store(brand), factories.make_store(brand)
    w.rep = factories.make_member(brand, Role.REP, store=w.store_a)
    w.group = factories.make_group(brand)
    now = timezone.now()

    def customer(name, tags=(), **fields):
        c = factories.make_customer(brand, name=name)
        Customer.objects.filter(pk=c.pk).update(**fields)
        for tag in tags:
            CustomerTag.objects.create(brand=brand, customer=c, tag=tag)
        return c

    w.ann = customer("Ann", tags=[w.oily, w.vip], attributes={"skin_type": "oily", "age": 34, "birthday": "1990-05-01"},
                     home_store=w.store_a, assigned_rep=w.rep, consent_promotions=True, source="store",
                     lifecycle_stage="loyal", last_active_at=now - datetime.timedelta(days=2))
    w.bob = customer("Bob", tags=[w.vip], attributes={"skin_type": "dry", "age": 22, "nickname": "bobby"},
                     home_store=w.store_b, consent_promotions=False, source="import", lifecycle_stage="new",
                     last_active_at=now - datetime.timedelta(days=40))
    w.cat = customer("Cat", attributes={}, source="api", lifecycle_stage="active")
    GroupMember.objects.create(brand=brand, group=w.group, customer=w.ann)
    GroupMember.objects.create(brand=brand, group=w.group, customer=w.bob, left_at=now)  # left: not a member
    return w


def names(brand, definition):
    return sorted(c.name for c in selectors.segment_queryset(brand=brand, definition=definition))


def one(field, op, value=None, **extra):
    condition = {"field": field, "op": op, **extra}
    if value is not None:
        condition["value"] = value
    return {"all": [condition]}


def invalid_messages(brand, definition) -> list[str]:
    with pytest.raises(ApplicationError) as info:
        selectors.segment_definition_validate(brand=brand, definition=definition)
    assert info.value.code == "invalid" and info.value.status == 400
    return info.value.fields["definition"]


# --- every condition, positive and negative -------------------------------------------------------------


def test_tag_conditions(brand, world):
    assert names(brand, one("tag", "has", "oily-skin")) == ["Ann"]
    assert names(brand, one("tag", "not_has", "oily-skin")) == ["Bob", "Cat"]
    assert names(brand, one("tag", "has", "vip")) == ["Ann", "Bob"]


def test_attribute_conditions(brand, world):
    assert names(brand, one("attribute", "eq", "oily", key="skin_type")) == ["Ann"]
    assert names(brand, one("attribute", "neq", "oily", key="skin_type")) == ["Bob", "Cat"]  # missing counts as "not"
    assert names(brand, one("attribute", "gt", 30, key="age")) == ["Ann"]
    assert names(brand, one("attribute", "lt", 30, key="age")) == ["Bob"]
    assert names(brand, one("attribute", "gt", "1985-01-01", key="birthday")) == ["Ann"]
    assert names(brand, one("attribute", "lt", "1985-01-01", key="birthday")) == []
    assert names(brand, one("attribute", "exists", key="nickname")) == ["Bob"]
    assert names(brand, one("attribute", "exists", False, key="nickname")) == ["Ann", "Cat"]
    assert names(brand, one("attribute", "eq", "bobby", key="nickname")) == ["Bob"]


def test_store_rep_group_conditions(brand, world):
    assert names(brand, one("store", "eq", world.store_a.pk)) == ["Ann"]
    assert names(brand, one("store", "eq", world.store_b.pk)) == ["Bob"]
    assert names(brand, one("rep", "eq", world.rep.pk)) == ["Ann"]
    assert names(brand, one("group", "member_of", world.group.pk)) == ["Ann"]  # Bob left
    assert names(brand, one("group", "not_member_of", world.group.pk)) == ["Bob", "Cat"]


def test_activity_consent_source_stage_conditions(brand, world):
    assert names(brand, one("active_within_days", "lte", 7)) == ["Ann"]
    assert names(brand, one("active_within_days", "lte", 60)) == ["Ann", "Bob"]
    assert names(brand, one("consent_promotions", "eq", True)) == ["Ann"]
    assert names(brand, one("consent_promotions", "eq", False)) == ["Bob", "Cat"]
    assert names(brand, one("source", "eq", "import")) == ["Bob"]
    assert names(brand, one("lifecycle_stage", "eq", "active")) == ["Cat"]


def test_all_and_any(brand, world):
    vip_and_oily = {"all": [{"field": "tag", "op": "has", "value": "vip"},
                            {"field": "attribute", "key": "skin_type", "op": "eq", "value": "oily"}]}
    assert names(brand, vip_and_oily) == ["Ann"]
    assert names(brand, {"any": vip_and_oily["all"]}) == ["Ann", "Bob"]
    assert names(brand, {"any": [{"field": "source", "op": "eq", "value": "api"},
                                 {"field": "group", "op": "member_of", "value": world.group.pk}]}) == ["Ann", "Cat"]


def test_erased_customers_are_never_in_a_segment(brand, world):
    customer_erase(customer=world.ann, actor=factories.system(world.ann.brand_id))
    assert names(brand, one("tag", "has", "vip")) == ["Bob"]
    assert "Ann" not in names(brand, one("tag", "not_has", "nothing-like-this"))


def test_other_brands_customers_never_match(brand, other_brand, world):
    Tag.objects.create(brand=other_brand, name="vip")
    stranger = factories.make_customer(other_brand, name="Stranger")
    CustomerTag.objects.create(brand=other_brand, customer=stranger, tag=Tag.objects.get(brand=other_brand))
    assert names(brand, one("tag", "has", "vip")) == ["Ann", "Bob"]
    assert names(brand, one("consent_promotions", "eq", False)) == ["Bob", "Cat"]


def test_count_is_one_query(brand, world):
    definition = {"all": [{"field": "tag", "op": "has", "value": "vip"},
                          {"field": "group", "op": "not_member_of", "value": world.group.pk},
                          {"field": "attribute", "key": "age", "op": "gt", "value": 10}]}
    with CaptureQueriesContext(connection) as queries:
        assert selectors.segment_queryset(brand=brand, definition=definition).count() == 1
    assert len(queries) == 1
    assert "EXISTS" in queries[0]["sql"].upper()


# --- validation ---------------------------------------------------------------------------------------------


def test_validate_returns_canonical_values(brand, world):
    out = selectors.segment_definition_validate(brand=brand, definition={"any": [
        {"field": "store", "op": "eq", "value": str(world.store_a.pk)},
        {"field": "attribute", "key": "age", "op": "gt", "value": "30"},
        {"field": "consent_promotions", "op": "eq", "value": "true"},
        {"field": "attribute", "key": "nickname", "op": "exists"},
    ]})
    assert out == {"any": [{"field": "store", "op": "eq", "value": world.store_a.pk},
                           {"field": "attribute", "op": "gt", "key": "age", "value": 30},
                           {"field": "consent_promotions", "op": "eq", "value": True},
                           {"field": "attribute", "op": "exists", "key": "nickname", "value": True}]}


@pytest.mark.parametrize("definition, expected", [
    ([], "one key"),
    ({"all": [], "any": []}, "one key"),
    ({"some": []}, "one key"),
    ({"all": []}, "at least one condition"),
    ({"all": "tag"}, "at least one condition"),
])
def test_bad_shapes(brand, definition, expected):
    messages = invalid_messages(brand, definition)
    assert expected in messages[0].lower()


def test_per_condition_messages(brand, world):
    messages = invalid_messages(brand, {"all": [
        {"field": "tag", "op": "has", "value": "vip"},                              # fine
        {"field": "colour", "op": "eq", "value": "red"},
        {"field": "tag", "op": "eq", "value": "vip"},
        {"field": "tag", "op": "has", "value": "no-such-tag"},
        {"field": "attribute", "key": "shoe_size", "op": "eq", "value": 3},
        {"field": "attribute", "key": "age", "op": "gt", "value": "old"},
        {"field": "attribute", "key": "skin_type", "op": "eq", "value": "greasy"},
        {"field": "attribute", "key": "skin_type", "op": "gt", "value": "oily"},
        {"field": "attribute", "key": "birthday", "op": "lt", "value": "May 1st"},
        {"field": "active_within_days", "op": "lte", "value": "soon"},
        {"field": "consent_promotions", "op": "eq", "value": "maybe"},
        {"field": "source", "op": "eq", "value": "carrier-pigeon"},
        {"field": "store", "op": "eq", "value": True},
        "not an object",
        {"field": "active_within_days", "op": "lte", "value": -1},
        {"field": "attribute", "key": "age", "op": "eq", "value": True},
    ]})
    assert messages == [
        "condition 2: unknown field 'colour' (use one of: tag, attribute, store, rep, group, active_within_days, "
        "consent_promotions, source, lifecycle_stage, order_count, total_spent, ordered, survey_answer)",
        "condition 3: unknown op 'eq' for field 'tag' (use one of: has, not_has)",
        "condition 4: unknown tag 'no-such-tag'",
        "condition 5: unknown attribute 'shoe_size'",
        "condition 6: attribute 'age' is a number",
        "condition 7: 'greasy' is not one of the choices of attribute 'skin_type' (oily, dry)",
        "condition 8: 'gt' works only on number and date attributes; 'skin_type' is choice",
        "condition 9: attribute 'birthday' is a date (YYYY-MM-DD)",
        "condition 10: days must be a whole number",
        "condition 11: value must be true or false",
        "condition 12: source must be one of: invite_link, rep, store, api, import, referral",
        "condition 13: store must be a whole number, not true/false",
        "condition 14: must be an object with field, op and value",
        "condition 15: days must be between 0 and 3650",
        "condition 16: attribute 'age' is a number",
    ]


@pytest.fixture
def buyers(brand):
    """Dee spent 600 over two orders (one in October, one last week); Eve bought once in September, then her
    second order was cancelled; Fay never ordered."""
    now = timezone.now()
    dee, eve, fay = (factories.make_customer(brand, name=n) for n in ("Dee", "Eve", "Fay"))
    factories.make_order(brand, dee, total="200.00", placed_at=datetime.datetime(2026, 10, 5, 12, tzinfo=datetime.UTC))
    factories.make_order(brand, dee, total="400.00", placed_at=now - datetime.timedelta(days=6))
    factories.make_order(brand, eve, total="80.00", placed_at=datetime.datetime(2026, 9, 1, 12, tzinfo=datetime.UTC))
    cancelled = factories.make_order(brand, eve, total="900.00", placed_at=now - datetime.timedelta(days=2))
    orders.order_update(order=cancelled, actor=factories.system(cancelled.brand_id), status="cancelled")
    return dee, eve, fay


@pytest.mark.parametrize("condition, expected", [
    (("total_spent", "gt", 500), ["Dee"]),
    (("total_spent", "lt", "100"), ["Eve", "Fay"]),
    (("order_count", "eq", 0), ["Fay"]),
    (("order_count", "gt", 1), ["Dee"]),
    (("ordered", "never"), ["Fay"]),
    (("ordered", "before", "2026-10-01"), ["Eve"]),
    (("ordered", "after", "2026-09-30"), ["Dee"]),
    (("ordered", "within_days", 30), ["Dee"]),  # Eve's recent order was cancelled: it does not count
])
def test_order_history_conditions(brand, buyers, condition, expected):
    assert names(brand, one(*condition)) == expected


@pytest.mark.parametrize("condition, message", [
    (("total_spent", "gt", "lots"), "the amount must be a number such as 500 or 99.50"),
    (("total_spent", "gt", -5), "the amount must be a number such as 500 or 99.50"),
    (("total_spent", "eq", 5), "unknown op 'eq' for field 'total_spent' (use one of: gt, lt)"),
    (("order_count", "gt", "two"), "the number of orders must be a whole number"),
    (("ordered", "before", "31/12/2026"), "the date must be YYYY-MM-DD"),
    (("ordered", "within_days", 5000), "days must be between 0 and 3650"),
])
def test_bad_order_history_conditions_say_what_is_wrong(brand, condition, message):
    assert invalid_messages(brand, one(*condition)) == [f"condition 1: {message}"]


@pytest.mark.parametrize("field, op, what", [("store", "eq", "store"), ("rep", "eq", "team member"),
                                             ("group", "member_of", "group")])
def test_other_brand_ids_are_not_found(brand, other_brand, field, op, what):
    foreign = {"store": lambda: factories.make_store(other_brand).pk,
               "rep": lambda: factories.make_member(other_brand, Role.REP).pk,
               "group": lambda: factories.make_group(other_brand).pk}[field]()
    with pytest.raises(ApplicationError) as info:
        selectors.segment_definition_validate(brand=brand, definition=one(field, op, foreign))
    assert info.value.status == 404 and info.value.code == "not_found"
    # Compiling without validation never reaches another brand's rows either.
    assert selectors.segment_queryset(brand=brand, definition=one(field, op, foreign)).count() == 0


# --- services -------------------------------------------------------------------------------------------------


def test_segment_save_update_delete_and_roles(brand, world, system):
    marketer = factories.make_member(brand, Role.MARKETER)
    segment = services.segment_save(brand=brand, actor=marketer, name=" VIPs ", definition=one("tag", "has", "vip"))
    assert segment.name == "VIPs" and segment.created_by == marketer.user
    with pytest.raises(ApplicationError) as info:
        services.segment_save(brand=brand, actor=marketer, name="VIPs", definition=one("tag", "has", "vip"))
    assert info.value.code == "name_taken" and info.value.status == 409
    services.segment_save(brand=brand, actor=system, segment=segment, name="Big VIPs",
                          definition=one("tag", "has", "oily-skin"))
    segment.refresh_from_db()
    assert segment.name == "Big VIPs" and selectors.segment_count(segment=segment) == 1
    rep = world.rep
    with pytest.raises(ApplicationError) as info:
        services.segment_save(brand=brand, actor=rep, name="Mine", definition=one("tag", "has", "vip"))
    assert info.value.status == 403
    with pytest.raises(ApplicationError):
        services.segment_delete(segment=segment, actor=rep)
    services.segment_delete(segment=segment, actor=marketer)
    assert not Segment.objects.exists()


def test_segment_services_refuse_a_missing_wrong_or_inactive_actor(brand, other_brand, world, system):
    definition = one("tag", "has", "vip")
    with pytest.raises(TypeError):
        services.segment_save(brand=brand, actor=None, name="x", definition=definition)
    with pytest.raises(ApplicationError) as info:
        services.segment_save(brand=brand, actor=factories.system(other_brand), name="x", definition=definition)
    assert info.value.status == 404
    inactive = factories.make_member(brand, Role.MARKETER)
    inactive.is_active = False
    with pytest.raises(ApplicationError) as info:  # segments did not check is_active before: authorize does
        services.segment_save(brand=brand, actor=inactive, name="x", definition=definition)
    assert info.value.status == 403
    segment = services.segment_save(brand=brand, actor=system, name="x", definition=definition)
    assert segment.created_by is None
    with pytest.raises(TypeError):
        services.segment_delete(segment=segment, actor=None)
    assert not Segment.objects.filter(created_by__isnull=False).exists()


def test_customers_in_segment(brand, other_brand, world, system):
    segment = services.segment_save(brand=brand, actor=system, name="VIP", definition=one("tag", "has", "vip"))
    assert sorted(c.name for c in selectors.customers_in_segment(brand=brand, segment_id=segment.pk)) == ["Ann", "Bob"]
    within = Customer.objects.filter(brand=brand, name__startswith="B")
    assert [c.name for c in selectors.customers_in_segment(brand=brand, segment_id=segment.pk, within=within)] == ["Bob"]
    foreign = Segment.objects.create(brand=other_brand, name="x", definition=one("consent_promotions", "eq", True))
    for bad in (foreign.pk, "abc", 999999):
        with pytest.raises(ApplicationError) as info:
            selectors.customers_in_segment(brand=brand, segment_id=bad)
        assert info.value.status == 404


# --- API ---------------------------------------------------------------------------------------------------------


def test_api_crud_with_counts(api, brand, world):
    response = api.post("/api/v1/segments/", {"name": "VIP", "definition": one("tag", "has", "vip")}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "VIP" and body["count"] == 2
    assert body["definition"] == one("tag", "has", "vip")
    segment_id = body["id"]

    listing = api.get("/api/v1/segments/").json()
    assert [(s["id"], s["count"]) for s in listing["results"]] == [(segment_id, 2)]
    assert api.get("/api/v1/segments/?count=false").json()["results"][0]["count"] is None
    assert api.get(f"/api/v1/segments/{segment_id}/").json()["count"] == 2

    response = api.patch(f"/api/v1/segments/{segment_id}/", {"definition": {"any": [
        {"field": "tag", "op": "has", "value": "oily-skin"}, {"field": "source", "op": "eq", "value": "api"}]}},
        format="json")
    assert response.status_code == 200 and response.json()["count"] == 2 and response.json()["name"] == "VIP"
    assert api.patch(f"/api/v1/segments/{segment_id}/", {"name": "Renamed"}, format="json").json()["name"] == "Renamed"

    assert api.delete(f"/api/v1/segments/{segment_id}/").status_code == 204
    api_error(api.get(f"/api/v1/segments/{segment_id}/"), 404, "not_found")


def test_api_errors(api, brand, other_brand, world):
    error = api_error(api.post("/api/v1/segments/", {"name": "X", "definition": one("colour", "eq", "red")},
                               format="json"), 400, "invalid")
    assert error["fields"]["definition"][0].startswith("condition 1: unknown field 'colour'")
    api_error(api.post("/api/v1/segments/", {"definition": one("tag", "has", "vip")}, format="json"), 400, "invalid")
    group = factories.make_group(other_brand)
    api_error(api.post("/api/v1/segments/", {"name": "X", "definition": one("group", "member_of", group.pk)},
                       format="json"), 404, "not_found")
    api.post("/api/v1/segments/", {"name": "Dup", "definition": one("tag", "has", "vip")}, format="json")
    api_error(api.post("/api/v1/segments/", {"name": "Dup", "definition": one("tag", "has", "vip")}, format="json"),
              409, "name_taken")
    assert not Segment.objects.filter(name="X").exists()


def test_api_preview(api, brand, other_brand, world):
    response = api.post("/api/v1/segments/preview/", {"definition": one("tag", "has", "vip")}, format="json")
    assert response.status_code == 200 and response.json() == {"count": 2}
    api_error(api.post("/api/v1/segments/preview/", {"definition": one("orders", "gt", 1)}, format="json"),
              400, "invalid")
    api_error(api.post("/api/v1/segments/preview/", {"definition": one("store", "eq", factories.make_store(
        other_brand).pk)}, format="json"), 404, "not_found")
    api_error(api.post("/api/v1/segments/preview/", {}, format="json"), 400, "invalid")


def test_api_brand_isolation(api, brand, other_brand):
    foreign = Segment.objects.create(brand=other_brand, name="Theirs", definition=one("consent_promotions", "eq", True))
    factories.make_customer(other_brand, consent_promotions=True)
    assert api.get("/api/v1/segments/").json()["results"] == []
    for method in ("get", "patch", "delete"):
        api_error(getattr(api, method)(f"/api/v1/segments/{foreign.pk}/", {"name": "Mine"}, format="json"),
                  404, "not_found")
    foreign.refresh_from_db()
    assert foreign.name == "Theirs"
    # The same definition previewed by our brand counts only our customers.
    assert api.post("/api/v1/segments/preview/", {"definition": foreign.definition}, format="json").json() == {
        "count": 0}


# --- dashboard ---------------------------------------------------------------------------------------------


def test_dashboard_marketer_creates_edits_and_deletes(brand, world, login):
    client = login(factories.make_member(brand, Role.MARKETER))
    page = client.get(f"/b/{brand.slug}/segments/")
    assert page.status_code == 200
    assert b"segment_builder.js" in page.content and b"data-preview-url" in page.content
    response = client.post(f"/b/{brand.slug}/segments/", {
        "name": "Oily VIPs", "match": "all",
        "field": ["tag", "attribute", ""], "op": ["has", "eq", "has"], "key": ["", "skin_type", ""],
        "value": ["vip", "oily", ""]})
    segment = Segment.objects.get(brand=brand, name="Oily VIPs")
    assert response.status_code == 302 and response["Location"] == f"/b/{brand.slug}/segments/{segment.pk}/"
    assert segment.definition == {"all": [{"field": "tag", "op": "has", "value": "vip"},
                                          {"field": "attribute", "op": "eq", "key": "skin_type", "value": "oily"}]}
    page = client.get(f"/b/{brand.slug}/segments/{segment.pk}/")
    assert page.status_code == 200 and page.context["count"] == 1
    assert b'value="skin_type"' in page.content
    listing = client.get(f"/b/{brand.slug}/segments/")
    assert [(r["segment"].pk, r["count"]) for r in listing.context["segments"]] == [(segment.pk, 1)]

    bad = client.post(f"/b/{brand.slug}/segments/{segment.pk}/", {
        "name": "Oily VIPs", "match": "any", "field": ["colour"], "op": ["eq"], "key": [""], "value": ["red"]})
    assert bad.status_code == 400
    assert "condition 1: unknown field &#x27;colour&#x27;" in bad.content.decode()
    response = client.post(f"/b/{brand.slug}/segments/{segment.pk}/", {
        "name": "Anyone", "match": "any", "field": ["tag", "source"], "op": ["has", "eq"], "key": ["", ""],
        "value": ["oily-skin", "api"]})
    assert response.status_code == 302
    segment.refresh_from_db()
    assert segment.name == "Anyone" and selectors.segment_count(segment=segment) == 2

    assert client.post(f"/b/{brand.slug}/segments/{segment.pk}/delete/").status_code == 302
    assert not Segment.objects.filter(pk=segment.pk).exists()


def test_dashboard_preview_endpoint(brand, other_brand, world, login):
    client = login(factories.make_member(brand, Role.MARKETER))
    url = f"/b/{brand.slug}/segments/preview/"
    response = client.post(url, json.dumps({"definition": one("tag", "has", "vip")}), content_type="application/json")
    assert response.status_code == 200 and response.json() == {
        "count": 2, "customers": [{"id": world.bob.pk, "name": "Bob"}, {"id": world.ann.pk, "name": "Ann"}]}
    response = client.post(url, json.dumps({"definition": one("colour", "eq", 1)}), content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["definition"][0].startswith("condition 1: unknown field")
    response = client.post(url, json.dumps({"definition": one("group", "member_of", factories.make_group(
        other_brand).pk)}), content_type="application/json")
    assert response.status_code == 404
    assert client.post(url, "not json", content_type="application/json").status_code == 400


def test_dashboard_rep_is_forbidden(brand, world, login):
    segment = Segment.objects.create(brand=brand, name="S", definition=one("tag", "has", "vip"))
    client = login(world.rep)
    for url in (f"/b/{brand.slug}/segments/", f"/b/{brand.slug}/segments/{segment.pk}/"):
        assert client.get(url).status_code == 403
        assert client.post(url, {"name": "x"}).status_code == 403
    assert client.post(f"/b/{brand.slug}/segments/preview/", "{}", content_type="application/json").status_code == 403


def test_dashboard_brand_isolation(brand, other_brand, login):
    foreign = Segment.objects.create(brand=other_brand, name="Theirs", definition=one("tag", "has", "vip"))
    client = login(factories.owner_of(brand))
    assert client.get(f"/b/{brand.slug}/segments/{foreign.pk}/").status_code == 404
    assert client.post(f"/b/{brand.slug}/segments/{foreign.pk}/", {"action": "delete"}).status_code == 404
    assert client.get(f"/b/{other_brand.slug}/segments/").status_code == 404
    assert Segment.objects.filter(pk=foreign.pk).exists()


def test_customers_api_filters_by_segment(api, brand, other_brand):
    from crm.customers.services import customer_update

    fan = factories.make_customer(brand, "Fan")
    customer_update(customer=fan, actor=factories.system(fan.brand_id), consent_promotions=True)
    factories.make_customer(brand, "Quiet")
    segment = Segment.objects.create(brand=brand, name="Promo ok",
                                     definition={"all": [{"field": "consent_promotions", "op": "eq", "value": True}]})
    names = [c["name"] for c in api.get(f"/api/v1/customers/?segment={segment.pk}").json()["results"]]
    assert names == ["Fan"]
    foreign = Segment.objects.create(brand=other_brand, name="Theirs", definition={"all": []})
    api_error(api.get(f"/api/v1/customers/?segment={foreign.pk}"), 404, "not_found")
    api_error(api.get("/api/v1/customers/?segment=abc"), 400, "invalid")


def test_export_a_segment_to_csv(api, brand, login):
    from crm.customers.services import customer_update

    fan = factories.make_customer(brand, "Fan Export")
    customer_update(customer=fan, actor=factories.system(fan.brand_id), consent_promotions=True)
    factories.make_customer(brand, "Quiet Export")
    segment = Segment.objects.create(brand=brand, name="Promo ok",
                                     definition={"all": [{"field": "consent_promotions", "op": "eq", "value": True}]})
    body = b"".join(api.get(f"/api/v1/customers/export.csv?segment={segment.pk}").streaming_content).decode("utf-8-sig")
    assert "Fan Export" in body and "Quiet Export" not in body
    client = login(factories.owner_of(brand))
    page = b"".join(client.get(f"/b/{brand.slug}/customers/export.csv?segment={segment.pk}").streaming_content)
    assert "Fan Export" in page.decode("utf-8-sig") and "Quiet Export" not in page.decode("utf-8-sig")


def test_dashboard_export_with_a_bad_segment_parameter_is_400_not_500(brand, login):
    client = login(factories.owner_of(brand))
    response = client.get(f"/b/{brand.slug}/customers/export.csv?segment=abc")
    assert response.status_code == 400 and "must be a number" in response.content.decode()
