import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from communities.groups.services import group_member_add
from communities.models import GroupMember, VipGroup
from privtraffic.tenancy.roles import Role
from tests import factories
from tests.helpers import api_error

pytestmark = pytest.mark.django_db


def test_group_create_read_update(brand, api):
    store = factories.make_store(brand)
    response = api.post("/api/v1/groups/", {"name": "Glow VIP", "store": store.pk, "capacity": 200}, format="json")
    assert response.status_code == 201
    group = response.json()
    for field in ("id", "name", "capacity", "member_count", "is_full", "overflow_group"):
        assert field in group
    assert (group["capacity"], group["member_count"], group["is_full"], group["store"]) == (200, 0, False, store.pk)
    response = api.patch(f"/api/v1/groups/{group['id']}/", {"topic": "Skincare"}, format="json")
    assert response.json()["topic"] == "Skincare"
    assert api.get("/api/v1/groups/").json()["results"][0]["id"] == group["id"]


def test_group_capacity_defaults_to_500(brand, api):
    assert api.post("/api/v1/groups/", {"name": "Big"}, format="json").json()["capacity"] == 500


@pytest.mark.parametrize("capacity", [0, 501, "many"])
def test_group_bad_capacity_is_400(brand, api, capacity):
    error = api_error(api.post("/api/v1/groups/", {"name": "X", "capacity": capacity}, format="json"), 400, "invalid")
    assert "capacity" in error["fields"]
    assert not VipGroup.objects.exists()


def test_group_with_other_brand_store_is_404(brand, other_brand, api):
    response = api.post("/api/v1/groups/", {"name": "X", "store": factories.make_store(other_brand).pk}, format="json")
    api_error(response, 404, "not_found")
    assert not VipGroup.objects.exists()


def test_member_add_201_then_repeat_is_200_noop(brand, api):
    group = factories.make_group(brand)
    customer = factories.make_customer(brand)
    first = api.post(f"/api/v1/groups/{group.pk}/members/", {"customer": customer.pk}, format="json")
    assert first.status_code == 201 and first.json()["customer"] == customer.pk
    again = api.post(f"/api/v1/groups/{group.pk}/members/", {"customer": customer.pk}, format="json")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    group.refresh_from_db()
    assert group.member_count == 1


def test_member_add_to_full_group_is_409_with_overflow(brand, api):
    overflow = factories.make_group(brand, "Overflow")
    group = factories.make_group(brand, capacity=1, overflow_group=overflow)
    group_member_add(group=group, actor=factories.system(group.brand_id), customer=factories.make_customer(brand))
    customer = factories.make_customer(brand)
    error = api_error(api.post(f"/api/v1/groups/{group.pk}/members/", {"customer": customer.pk}, format="json"),
                   409, "group_full")
    assert error["fields"]["overflow_group"] == [overflow.pk]
    assert not GroupMember.objects.filter(customer=customer).exists()
    detail = api.get(f"/api/v1/groups/{group.pk}/").json()
    assert detail["is_full"] is True and detail["member_count"] == 1


def test_member_add_other_brand_customer_is_404(brand, other_brand, api):
    group = factories.make_group(brand)
    foreign = factories.make_customer(other_brand)
    api_error(api.post(f"/api/v1/groups/{group.pk}/members/", {"customer": foreign.pk}, format="json"), 404, "not_found")
    api_error(api.post(f"/api/v1/groups/{group.pk}/members/", {}, format="json"), 400, "invalid")
    assert not GroupMember.objects.exists()


def test_member_mute_promote_and_remove(brand, api):
    group = factories.make_group(brand)
    customer = factories.make_customer(brand)
    group_member_add(group=group, actor=factories.system(group.brand_id), customer=customer)
    url = f"/api/v1/groups/{group.pk}/members/{customer.pk}/"
    assert api.patch(url, {"role": "moderator"}, format="json").json()["role"] == "moderator"
    assert api.patch(url, {"muted_until": "2099-01-01T00:00:00Z"}, format="json").json()["muted_until"].startswith("2099")
    api_error(api.patch(url, {"muted_until": "2000-01-01T00:00:00Z"}, format="json"), 400, "invalid")
    api_error(api.patch(url, {"role": "king"}, format="json"), 400, "invalid")
    removed = api.delete(url).json()
    assert removed["is_active"] is False and removed["leave_reason"] == "removed"
    assert api.get(f"/api/v1/groups/{group.pk}/members/").json()["results"] == []


def test_member_list_search_and_constant_queries(brand, api):
    group = factories.make_group(brand)
    group_member_add(group=group, actor=factories.system(group.brand_id), customer=factories.make_customer(brand, "Alice Wong"))
    api.get(f"/api/v1/groups/{group.pk}/members/")
    with CaptureQueriesContext(connection) as small:
        api.get(f"/api/v1/groups/{group.pk}/members/")
    for i in range(10):
        group_member_add(group=group, actor=factories.system(group.brand_id), customer=factories.make_customer(brand, f"Bob {i}"))
    with CaptureQueriesContext(connection) as large:
        results = api.get(f"/api/v1/groups/{group.pk}/members/").json()["results"]
    assert len(results) == 11 and len(large) == len(small)
    found = api.get(f"/api/v1/groups/{group.pk}/members/?search=alice").json()["results"]
    assert [m["customer_name"] for m in found] == ["Alice Wong"]


def test_bad_query_params_are_400(brand, api):
    api_error(api.get("/api/v1/groups/?store=abc"), 400, "invalid")
    api_error(api.get("/api/v1/invites/?group=1;drop"), 400, "invalid")
    api_error(api.get("/api/v1/reps/?store=x"), 400, "invalid")


def test_groups_list_constant_queries(brand, api):
    factories.make_group(brand)
    api.get("/api/v1/groups/")
    with CaptureQueriesContext(connection) as small:
        api.get("/api/v1/groups/")
    for _ in range(10):
        factories.make_group(brand, store=factories.make_store(brand))
    with CaptureQueriesContext(connection) as large:
        assert len(api.get("/api/v1/groups/").json()["results"]) == 11
    assert len(large) == len(small)


def test_a_groups_host_rep_is_set_through_the_api_and_checked(brand, other_brand, api):
    store, other_store = factories.make_store(brand), factories.make_store(brand)
    host = factories.make_member(brand, Role.REP, store=store)
    response = api.post("/api/v1/groups/", {"name": "Glow VIP", "store": store.pk, "host_rep": host.pk}, format="json")
    assert response.status_code == 201 and response.json()["host_rep"] == host.pk
    group = VipGroup.objects.get()
    assert group.host_rep == host
    # Another store's rep, a marketer, another brand's rep: refused, nothing changed.
    elsewhere = factories.make_member(brand, Role.REP, store=other_store)
    error = api_error(api.patch(f"/api/v1/groups/{group.pk}/", {"host_rep": elsewhere.pk}, format="json"), 400, "invalid")
    assert error["fields"] == {"host_rep": ["Choose a rep of this store."]}
    marketer = factories.make_member(brand, Role.MARKETER)
    api_error(api.patch(f"/api/v1/groups/{group.pk}/", {"host_rep": marketer.pk}, format="json"), 404, "not_found")
    theirs = factories.make_member(other_brand, Role.REP)
    api_error(api.patch(f"/api/v1/groups/{group.pk}/", {"host_rep": theirs.pk}, format="json"), 404, "not_found")
    api_error(api.patch(f"/api/v1/groups/{group.pk}/", {"host_rep": "²"}, format="json"), 400, "invalid")
    group.refresh_from_db()
    assert group.host_rep == host
    # Moving the group to another store with its host still of the old one is refused too.
    api_error(api.patch(f"/api/v1/groups/{group.pk}/", {"store": other_store.pk}, format="json"), 400, "invalid")
    cleared = api.patch(f"/api/v1/groups/{group.pk}/", {"host_rep": None}, format="json")
    assert cleared.status_code == 200 and cleared.json()["host_rep"] is None
