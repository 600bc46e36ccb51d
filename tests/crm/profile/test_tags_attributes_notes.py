"""Customer tags, brand-defined attributes and notes: services, API, dashboard pages, isolation."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.models import AttributeDefinition, Customer, CustomerNote, CustomerTag, Tag
from crm.profile import services
from privtraffic.events.models import Event
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.roles import Role
from tests import factories
from tests.helpers import api_error
from tests.isolation import assert_api_isolated, assert_dashboard_isolated, brand_routes

# Route crm.profile_urls here until the project includes it (adds nothing once it does).
pytestmark = pytest.mark.django_db


@pytest.fixture
def vip(brand):
    return services.tag_create(brand=brand, actor=factories.system(brand), name="vip", colour="#AA0000")


@pytest.fixture
def oily(brand):
    return services.tag_create(brand=brand, actor=factories.system(brand), name="oily-skin")


@pytest.fixture
def defs(brand):
    return {
        "skin_type": services.attribute_define(brand=brand, actor=factories.system(brand), key="skin_type", label="Skin", type="choice",
                                               choices=["oily", "dry"]),
        "age": services.attribute_define(brand=brand, actor=factories.system(brand), key="age", label="Age", type="number"),
        "birthday": services.attribute_define(brand=brand, actor=factories.system(brand), key="birthday", label="Birthday", type="date"),
        "nickname": services.attribute_define(brand=brand, actor=factories.system(brand), key="nickname", label="Nickname", type="text"),
    }


def _updated_events(customer):
    return Event.objects.filter(type="customer.updated", payload__customer_id=customer.pk).count()


# --- services ---------------------------------------------------------------------------------------


def test_tag_create_normalizes_and_rejects_bad_input(brand):
    tag = services.tag_create(brand=brand, actor=factories.system(brand), name="  vip ", colour="#AABBCC")
    assert (tag.name, tag.colour) == ("vip", "#aabbcc")
    for name, colour, field in [("", "#000000", "name"), ("x" * 51, "#000000", "name"), ("ok", "red", "colour"),
                                ("ok", "#12345", "colour")]:
        with pytest.raises(ApplicationError) as exc:
            services.tag_create(brand=brand, actor=factories.system(brand), name=name, colour=colour)
        assert exc.value.status == 400 and field in exc.value.fields
    with pytest.raises(ApplicationError) as exc:
        services.tag_create(brand=brand, actor=factories.system(brand), name="vip")
    assert (exc.value.status, exc.value.code) == (409, "duplicate")
    assert Tag.objects.filter(brand=brand).count() == 1


def test_same_tag_name_in_two_brands(brand, other_brand):
    services.tag_create(brand=brand, actor=factories.system(brand), name="vip")
    services.tag_create(brand=other_brand, actor=factories.system(other_brand), name="vip")


def test_customer_tags_set_replaces_and_records_event(brand, vip, oily):
    customer = factories.make_customer(brand)
    services.customer_tags_set(customer=customer, actor=factories.system(customer.brand_id), tags=["vip", "oily-skin"])
    assert sorted(customer.tags.values_list("name", flat=True)) == ["oily-skin", "vip"]
    assert _updated_events(customer) == 1
    event = Event.objects.filter(type="customer.updated", payload__customer_id=customer.pk).get()
    assert event.payload["tags"] == ["oily-skin", "vip"]
    services.customer_tags_set(customer=customer, actor=factories.system(customer.brand_id), tags=["vip"])
    assert list(customer.tags.values_list("name", flat=True)) == ["vip"]
    services.customer_tags_set(customer=customer, actor=factories.system(customer.brand_id), tags=["vip"])  # no change: no event
    assert _updated_events(customer) == 2


def test_customer_tags_set_creates_unknown_names_for_the_brand(brand, other_brand, vip):
    """Issue 13 changes this: unknown names are created on first use (they were a 400)."""
    services.tag_create(brand=other_brand, actor=factories.system(other_brand), name="theirs")
    customer = factories.make_customer(brand)
    services.customer_tags_set(customer=customer, actor=factories.system(customer.brand_id),
                               tags=["vip", " oily-skin ", "theirs", "oily-skin", ""])
    assert sorted(customer.tags.values_list("name", flat=True)) == ["oily-skin", "theirs", "vip"]
    assert sorted(Tag.objects.filter(brand=brand).values_list("name", flat=True)) == ["oily-skin", "theirs", "vip"]
    assert Tag.objects.filter(brand=other_brand).count() == 1  # the other brand's vocabulary is its own
    assert all(t.brand_id == brand.pk for t in customer.tags.all())


@pytest.mark.parametrize("tags, words", [
    (["vip", "x" * 51], "at most 50 characters"),
    ([f"t{i}" for i in range(51)], "at most 50 tags"),
    ("vip", "list of tag names"),
    ([1], "list of tag names"),
])
def test_customer_tags_set_bad_names_or_too_many_change_nothing(brand, vip, tags, words):
    customer = factories.make_customer(brand)
    with pytest.raises(ApplicationError) as exc:
        services.customer_tags_set(customer=customer, actor=factories.system(customer.brand_id), tags=tags)
    assert exc.value.status == 400 and words in str(exc.value.fields["tags"])
    assert not CustomerTag.objects.exists()
    assert list(Tag.objects.values_list("name", flat=True)) == ["vip"]


def test_customer_can_hold_exactly_the_cap(brand):
    customer = factories.make_customer(brand)
    services.customer_tags_set(customer=customer, actor=factories.system(brand), tags=[f"t{i}" for i in range(50)])
    assert customer.tags.count() == 50


def test_tag_delete_and_rename_tell_integrators(brand, vip):
    customer = factories.make_customer(brand)
    services.customer_tags_set(customer=customer, actor=factories.system(customer.brand_id), tags=["vip"])
    services.tag_update(tag=vip, actor=factories.system(vip.brand_id), name="gold")
    assert Event.objects.filter(type="customer.updated", payload__customer_id=customer.pk,
                                payload__tags=["gold"]).exists()
    services.tag_delete(tag=vip, actor=factories.system(vip.brand_id))
    assert not customer.tags.exists()
    assert _updated_events(customer) == 3


@pytest.mark.parametrize("kwargs, field", [
    ({"key": "Bad Key", "type": "text"}, "key"),
    ({"key": "", "type": "text"}, "key"),
    ({"key": "k", "type": "colour"}, "type"),
    ({"key": "k", "type": "choice"}, "choices"),
    ({"key": "k", "type": "choice", "choices": [" "]}, "choices"),
    ({"key": "k", "type": "text", "choices": ["a"]}, "choices"),
    ({"key": "k", "label": "x" * 81, "type": "text"}, "label"),
])
def test_attribute_define_bad_input(brand, kwargs, field):
    with pytest.raises(ApplicationError) as exc:
        services.attribute_define(brand=brand, actor=factories.system(brand), **kwargs)
    assert exc.value.status == 400 and field in exc.value.fields
    assert not AttributeDefinition.objects.exists()


def test_attribute_define_duplicate_key(brand, defs):
    with pytest.raises(ApplicationError) as exc:
        services.attribute_define(brand=brand, actor=factories.system(brand), key="age", type="text")
    assert (exc.value.status, exc.value.code) == (409, "duplicate")


def test_customer_attributes_set_validates_and_removes(brand, defs):
    customer = factories.make_customer(brand)
    services.customer_attributes_set(customer=customer, actor=factories.system(customer.brand_id), values={"skin_type": "oily", "age": "34",
                                                                "birthday": "1990-05-01", "nickname": " Annie "})
    customer.refresh_from_db()
    assert customer.attributes == {"skin_type": "oily", "age": 34, "birthday": "1990-05-01", "nickname": "Annie"}
    services.customer_attributes_set(customer=customer, actor=factories.system(customer.brand_id), values={"age": None, "nickname": None})
    customer.refresh_from_db()
    assert customer.attributes == {"skin_type": "oily", "birthday": "1990-05-01"}
    assert _updated_events(customer) == 2


@pytest.mark.parametrize("values, key", [
    ({"unknown": "x"}, "unknown"),
    ({"age": "many"}, "age"),
    ({"age": True}, "age"),
    ({"birthday": "01/05/1990"}, "birthday"),
    ({"birthday": "1990-02-30"}, "birthday"),
    ({"skin_type": "greasy"}, "skin_type"),
    ({"nickname": ""}, "nickname"),
])
def test_customer_attributes_set_bad_values_change_nothing(brand, defs, values, key):
    customer = factories.make_customer(brand)
    with pytest.raises(ApplicationError) as exc:
        services.customer_attributes_set(customer=customer, actor=factories.system(customer.brand_id), values={"nickname": "ok", **values})
    assert exc.value.status == 400 and f"attributes.{key}" in exc.value.fields
    customer.refresh_from_db()
    assert customer.attributes == {}
    assert _updated_events(customer) == 0


def test_customer_note_add(brand):
    customer = factories.make_customer(brand)
    owner = factories.owner_of(brand)
    author = owner.user
    note = services.customer_note_add(customer=customer, actor=owner, body="  Prefers evening calls. ")
    assert (note.body, note.author, note.brand_id) == ("Prefers evening calls.", author, brand.pk)
    for body in ("", "   ", "x" * 4001):
        with pytest.raises(ApplicationError) as exc:
            services.customer_note_add(customer=customer, actor=owner, body=body)
        assert "body" in exc.value.fields
    assert CustomerNote.objects.count() == 1


# --- API ----------------------------------------------------------------------------------------------


def test_api_tags_crud(brand, api):
    response = api.post("/api/v1/tags/", {"name": "vip", "colour": "#112233"}, format="json")
    assert response.status_code == 201, response.content
    tag_id = response.json()["id"]
    assert response.json()["colour"] == "#112233"
    assert [t["name"] for t in api.get("/api/v1/tags/").json()["results"]] == ["vip"]
    response = api.patch(f"/api/v1/tags/{tag_id}/", {"colour": "#445566"}, format="json")
    assert response.status_code == 200 and response.json() == {**response.json(), "name": "vip", "colour": "#445566"}
    assert api.delete(f"/api/v1/tags/{tag_id}/").status_code == 204
    assert not Tag.objects.exists()


def test_api_tags_bad_input(brand, api, vip):
    assert "name" in api_error(api.post("/api/v1/tags/", {"name": ""}, format="json"), 400, "invalid")["fields"]
    assert "name" in api_error(api.post("/api/v1/tags/", {}, format="json"), 400, "invalid")["fields"]
    assert "colour" in api_error(api.post("/api/v1/tags/", {"name": "a", "colour": "blue"}, format="json"),
                                 400, "invalid")["fields"]
    api_error(api.post("/api/v1/tags/", {"name": "x" * 51}, format="json"), 400, "invalid")
    api_error(api.post("/api/v1/tags/", {"name": "vip"}, format="json"), 409, "duplicate")
    other = services.tag_create(brand=brand, actor=factories.system(brand), name="other")
    api_error(api.patch(f"/api/v1/tags/{other.pk}/", {"name": "vip"}, format="json"), 409, "duplicate")
    api_error(api.patch(f"/api/v1/tags/{other.pk}/", {"colour": "#zzzzzz"}, format="json"), 400, "invalid")
    assert Tag.objects.get(pk=other.pk).name == "other"


def test_api_other_brand_tag_is_404(brand, other_brand, api):
    theirs = services.tag_create(brand=other_brand, actor=factories.system(other_brand), name="theirs")
    api_error(api.patch(f"/api/v1/tags/{theirs.pk}/", {"name": "mine"}, format="json"), 404, "not_found")
    api_error(api.delete(f"/api/v1/tags/{theirs.pk}/"), 404, "not_found")
    assert Tag.objects.get(pk=theirs.pk).name == "theirs"
    assert api.get("/api/v1/tags/").json()["results"] == []


def test_api_attributes(brand, api):
    response = api.post("/api/v1/attributes/", {"key": "skin_type", "label": "Skin", "type": "choice",
                                                "choices": ["oily", "dry"]}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["choices"] == ["oily", "dry"]
    assert [a["key"] for a in api.get("/api/v1/attributes/").json()["results"]] == ["skin_type"]
    api_error(api.post("/api/v1/attributes/", {"key": "skin_type", "type": "text"}, format="json"), 409, "duplicate")
    assert "type" in api_error(api.post("/api/v1/attributes/", {"key": "a", "type": "blob"}, format="json"),
                               400, "invalid")["fields"]
    assert "choices" in api_error(api.post("/api/v1/attributes/", {"key": "a", "type": "choice"}, format="json"),
                                  400, "invalid")["fields"]
    assert "key" in api_error(api.post("/api/v1/attributes/", {"type": "text"}, format="json"), 400, "invalid")["fields"]
    assert AttributeDefinition.objects.count() == 1


def test_api_customer_create_and_patch_with_tags_and_attributes(brand, api, vip, oily, defs):
    response = api.post("/api/v1/customers/", {"name": "Ann", "tags": ["vip"], "attributes": {"age": 30}},
                        format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["tags"], body["attributes"]) == (["vip"], {"age": 30})
    response = api.patch(f"/api/v1/customers/{body['id']}/",
                         {"tags": ["oily-skin", "vip"], "attributes": {"age": None, "skin_type": "dry"}}, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["tags"], response.json()["attributes"]) == (["oily-skin", "vip"], {"skin_type": "dry"})
    assert api.get(f"/api/v1/customers/{body['id']}/").json()["tags"] == ["oily-skin", "vip"]


@pytest.mark.parametrize("extra, field", [
    ({"tags": ["x" * 51]}, "tags"),
    ({"tags": [f"t{i}" for i in range(51)]}, "tags"),
    ({"tags": "vip"}, "tags"),
    ({"attributes": {"unknown": 1}}, "attributes.unknown"),
    ({"attributes": {"age": "old"}}, "attributes.age"),
    ({"attributes": {"birthday": "yesterday"}}, "attributes.birthday"),
    ({"attributes": {"skin_type": "greasy"}}, "attributes.skin_type"),
    ({"attributes": ["age"]}, "attributes"),
])
def test_api_customer_bad_tags_or_attributes_write_nothing(brand, api, vip, defs, extra, field):
    error = api_error(api.post("/api/v1/customers/", {"name": "Ann", **extra}, format="json"), 400, "invalid")
    assert field in error["fields"]
    assert not Customer.objects.exists()
    assert not Event.objects.filter(type__startswith="customer.").exists()
    assert list(Tag.objects.values_list("name", flat=True)) == ["vip"]


def test_api_customer_create_and_patch_create_unknown_tags(brand, other_brand, api):
    """`tags: ["oily-skin"]` used to answer `Unknown tags: oily-skin`; integrators expect it created."""
    response = api.post("/api/v1/customers/", {"name": "Ann", "tags": ["oily-skin"]}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["tags"] == ["oily-skin"]
    customer_id = response.json()["id"]
    response = api.patch(f"/api/v1/customers/{customer_id}/", {"tags": ["oily-skin", "vip-2025"]}, format="json")
    assert response.status_code == 200 and response.json()["tags"] == ["oily-skin", "vip-2025"]
    assert sorted(Tag.objects.filter(brand=brand).values_list("name", flat=True)) == ["oily-skin", "vip-2025"]
    assert not Tag.objects.filter(brand=other_brand).exists()
    error = api_error(api.patch(f"/api/v1/customers/{customer_id}/", {"tags": [f"t{i}" for i in range(51)]},
                                format="json"), 400, "invalid")
    assert "at most 50 tags" in str(error["fields"]["tags"])
    assert api.get(f"/api/v1/customers/{customer_id}/").json()["tags"] == ["oily-skin", "vip-2025"]


def test_api_patch_bad_attributes_keeps_other_changes_out(brand, api, defs):
    customer = factories.make_customer(brand, name="Ann")
    api_error(api.patch(f"/api/v1/customers/{customer.pk}/", {"name": "Bea", "attributes": {"age": "x"}},
                        format="json"), 400, "invalid")
    customer.refresh_from_db()
    assert customer.name == "Ann"


def test_api_tag_filter(brand, other_brand, api, vip, oily):
    ann, bob = factories.make_customer(brand, name="Ann"), factories.make_customer(brand, name="Bob")
    services.customer_tags_set(customer=ann, actor=factories.system(ann.brand_id), tags=["vip", "oily-skin"])
    services.customer_tags_set(customer=bob, actor=factories.system(bob.brand_id), tags=["oily-skin"])
    services.tag_create(brand=other_brand, actor=factories.system(other_brand), name="vip")
    theirs = factories.make_customer(other_brand)
    services.customer_tags_set(customer=theirs, actor=factories.system(theirs.brand_id), tags=["vip"])
    assert [c["name"] for c in api.get("/api/v1/customers/?tag=vip").json()["results"]] == ["Ann"]
    assert sorted(c["name"] for c in api.get("/api/v1/customers/?tag=oily-skin").json()["results"]) == ["Ann", "Bob"]
    assert api.get("/api/v1/customers/?tag=nope").json()["results"] == []
    assert len(api.get("/api/v1/customers/?tag=").json()["results"]) == 2
    assert [c["name"] for c in api.get("/api/v1/customers/?tag=oily-skin&search=bo").json()["results"]] == ["Bob"]


def test_api_customer_list_query_count_is_constant(brand, api, vip, oily):
    def make(n):
        for _ in range(n):
            services.customer_tags_set(customer=factories.make_customer(brand), actor=factories.system(brand),
                                       tags=["vip", "oily-skin"])

    def count():
        with CaptureQueriesContext(connection) as ctx:
            response = api.get("/api/v1/customers/")
        assert response.status_code == 200
        assert all(c["tags"] == ["oily-skin", "vip"] for c in response.json()["results"])
        return len(ctx.captured_queries), len(response.json()["results"])

    make(1)
    count()  # warm-up: the first request of a key does one-off work (e.g. stamping last use)
    one, n = count()
    assert n == 1
    make(9)
    ten, n = count()
    assert n == 10
    assert ten == one


def test_api_notes(brand, other_brand, api):
    customer = factories.make_customer(brand)
    response = api.post(f"/api/v1/customers/{customer.pk}/notes/", {"body": "Likes green tea."}, format="json")
    assert response.status_code == 201, response.content
    assert (response.json()["body"], response.json()["author"], response.json()["customer"]) == (
        "Likes green tea.", None, customer.pk)
    assert [n["body"] for n in api.get(f"/api/v1/customers/{customer.pk}/notes/").json()["results"]] == [
        "Likes green tea."]
    assert "body" in api_error(api.post(f"/api/v1/customers/{customer.pk}/notes/", {"body": ""}, format="json"),
                               400, "invalid")["fields"]
    api_error(api.post(f"/api/v1/customers/{customer.pk}/notes/", {}, format="json"), 400, "invalid")
    api_error(api.post(f"/api/v1/customers/{customer.pk}/notes/", {"body": "x" * 4001}, format="json"),
              400, "invalid")
    theirs = factories.make_customer(other_brand)
    CustomerNote.objects.create(brand=other_brand, customer=theirs, body="secret")
    api_error(api.get(f"/api/v1/customers/{theirs.pk}/notes/"), 404, "not_found")
    api_error(api.post(f"/api/v1/customers/{theirs.pk}/notes/", {"body": "hi"}, format="json"), 404, "not_found")
    assert CustomerNote.objects.filter(customer=theirs).count() == 1


def test_api_other_brand_tags_attributes_invisible(brand, other_brand, api):
    services.attribute_define(brand=other_brand, actor=factories.system(other_brand), key="age", type="number")
    assert api.get("/api/v1/attributes/").json()["results"] == []
    api_error(api.post("/api/v1/customers/", {"name": "A", "attributes": {"age": 3}}, format="json"), 400, "invalid")


def test_routes_pass_the_isolation_matrix(brand, other_brand, api, client):
    templates = {r.template for r in brand_routes("/")}
    assert {"/api/v1/tags/<int:tag_id>/", "/api/v1/customers/<int:customer_id>/notes/",
            "/b/<slug:slug>/customers/tags/<int:tag_id>/", "/b/<slug:slug>/customers/<int:customer_id>/notes/"
            } <= templates
    assert assert_api_isolated(api, brand, other_brand) >= len(brand_routes("/api/v1/"))
    client.force_login(factories.owner_of(brand).user)
    assert assert_dashboard_isolated(client, brand, other_brand) > 0


# --- dashboard ----------------------------------------------------------------------------------------


def _detail(brand, customer):
    return f"/b/{brand.slug}/customers/{customer.pk}/"


def test_customer_page_shows_panels(brand, login, vip, defs):
    customer = factories.make_customer(brand, name="Ann")
    services.customer_tags_set(customer=customer, actor=factories.system(customer.brand_id), tags=["vip"])
    services.customer_attributes_set(customer=customer, actor=factories.system(customer.brand_id), values={"age": 41})
    services.customer_note_add(customer=customer, actor=factories.system(customer.brand_id), body="Asked about <refills>")
    page = login(factories.owner_of(brand)).get(_detail(brand, customer)).content.decode()
    assert 'id="tags"' in page and "#aa0000" in page and ">vip<" in page
    assert 'name="tags"' in page and 'name="age"' in page and "41" in page
    assert "Asked about &lt;refills&gt;" in page
    assert "/customers/tags/" in page  # the owner may manage tags


def test_dashboard_set_tags(brand, login, vip, oily):
    customer = factories.make_customer(brand)
    client = login(factories.owner_of(brand))
    url = f"{_detail(brand, customer)}tags/"
    response = client.post(url, {"tags": [vip.pk, oily.pk]})
    assert response.status_code == 302 and response["Location"].endswith("#tags")
    assert set(customer.tags.all()) == {vip, oily}
    assert client.post(url, {}).status_code == 302
    assert not customer.tags.exists()


def test_dashboard_typed_tags_are_created(brand, other_brand, login, vip):
    customer = factories.make_customer(brand)
    client = login(factories.owner_of(brand))
    url = f"{_detail(brand, customer)}tags/"
    response = client.post(url, {"tags": [vip.pk], "new_tags": "oily-skin, sensitive ,,"})
    assert response.status_code == 302, response.content
    assert sorted(customer.tags.values_list("name", flat=True)) == ["oily-skin", "sensitive", "vip"]
    assert not Tag.objects.filter(brand=other_brand).exists()
    response = client.post(url, {"new_tags": ",".join(f"t{i}" for i in range(51))})
    assert response.status_code == 400
    assert "at most 50 tags" in response.content.decode()
    assert customer.tags.count() == 3


def test_dashboard_set_tags_rejects_other_brand_tag(brand, other_brand, login, vip):
    theirs = services.tag_create(brand=other_brand, actor=factories.system(other_brand), name="theirs")
    customer = factories.make_customer(brand)
    response = login(factories.owner_of(brand)).post(f"{_detail(brand, customer)}tags/", {"tags": [theirs.pk]})
    assert response.status_code == 400
    assert not customer.tags.exists()


def test_dashboard_set_attributes(brand, login, defs):
    customer = factories.make_customer(brand)
    client = login(factories.owner_of(brand))
    url = f"{_detail(brand, customer)}attributes/"
    response = client.post(url, {"skin_type": "dry", "age": "27", "birthday": "2000-01-31", "nickname": ""})
    assert response.status_code == 302, response.content
    customer.refresh_from_db()
    assert customer.attributes == {"skin_type": "dry", "age": 27, "birthday": "2000-01-31"}
    response = client.post(url, {"skin_type": "dry", "age": "lots", "birthday": "2000-01-31"})
    assert response.status_code == 400
    assert "Enter a number." in response.content.decode()
    assert client.post(url, {"skin_type": "greasy"}).status_code == 400
    customer.refresh_from_db()
    assert customer.attributes["age"] == 27


def test_rep_adds_note_to_own_customer_only(brand, login):
    rep = factories.make_member(brand, Role.REP)
    mine = factories.make_customer(brand, assigned_rep=rep)
    other = factories.make_customer(brand)
    client = login(rep)
    response = client.post(f"{_detail(brand, mine)}notes/", {"body": "Met in store."})
    assert response.status_code == 302
    note = CustomerNote.objects.get()
    assert (note.customer, note.author) == (mine, rep.user)
    assert "Met in store." in client.get(_detail(brand, mine)).content.decode()
    assert client.post(f"{_detail(brand, other)}notes/", {"body": "x"}).status_code == 404
    response = client.post(f"{_detail(brand, mine)}notes/", {"body": "   "})
    assert response.status_code == 400
    assert CustomerNote.objects.count() == 1
    assert client.post(f"{_detail(brand, mine)}notes/", {"body": "x" * 4001}).status_code == 400


def test_rep_cannot_manage_tags(brand, login, vip):
    client = login(factories.make_member(brand, Role.REP))
    assert client.get(f"/b/{brand.slug}/customers/tags/").status_code == 403
    assert client.post(f"/b/{brand.slug}/customers/tags/", {"tag-name": "x"}).status_code == 403
    assert client.post(f"/b/{brand.slug}/customers/tags/{vip.pk}/delete/").status_code == 403
    assert Tag.objects.count() == 1


def test_marketer_manages_tags_and_attributes(brand, login, vip):
    client = login(factories.make_member(brand, Role.MARKETER))
    base = f"/b/{brand.slug}/customers/tags/"
    page = client.get(base)
    assert page.status_code == 200 and "vip" in page.content.decode()
    response = client.post(base, {"tag-name": "gold", "tag-colour": "#ffcc00"})
    assert response.status_code == 302
    assert Tag.objects.get(brand=brand, name="gold").colour == "#ffcc00"
    response = client.post(base, {"tag-name": "gold", "tag-colour": "#ffcc00"})
    assert response.status_code == 400 and "already exists" in response.content.decode()
    assert client.post(base, {"tag-name": "x", "tag-colour": "nope"}).status_code == 400
    assert client.post(base, {"action": "nothing"}).status_code == 400
    response = client.post(base + "attributes/", {"attr-key": "skin_type", "attr-label": "Skin",
                                  "attr-type": "choice", "attr-choices": "oily, dry,"})
    assert response.status_code == 302
    assert AttributeDefinition.objects.get(brand=brand).choices == ["oily", "dry"]
    assert client.post(base + "attributes/", {"attr-key": "Bad Key", "attr-type": "text"}).status_code == 400
    assert client.post(base + "attributes/", {"attr-key": "k", "attr-type": "choice"}).status_code == 400
    assert AttributeDefinition.objects.count() == 1
    assert client.post(f"{base}{vip.pk}/", {"name": "platinum", "colour": "#000000"}).status_code == 302
    vip.refresh_from_db()
    assert (vip.name, vip.colour) == ("platinum", "#000000")
    assert client.post(f"{base}{vip.pk}/", {"name": "", "colour": "#000000"}).status_code == 400
    assert client.post(f"{base}{vip.pk}/", {"name": "gold", "colour": "#000000"}).status_code == 400
    assert client.post(f"{base}{vip.pk}/delete/").status_code == 302
    assert not Tag.objects.filter(pk=vip.pk).exists()


def test_dashboard_other_brand_ids_are_404(brand, other_brand, login):
    theirs_tag = services.tag_create(brand=other_brand, actor=factories.system(other_brand), name="theirs")
    theirs = factories.make_customer(other_brand)
    client = login(factories.owner_of(brand))
    assert client.post(f"/b/{brand.slug}/customers/tags/{theirs_tag.pk}/delete/").status_code == 404
    assert client.post(f"/b/{brand.slug}/customers/tags/{theirs_tag.pk}/", {"name": "x"}).status_code == 404
    assert client.post(f"{_detail(brand, theirs)}notes/", {"body": "x"}).status_code == 404
    assert client.post(f"/b/{other_brand.slug}/customers/tags/", {}).status_code == 404
    assert Tag.objects.filter(pk=theirs_tag.pk).exists() and not CustomerNote.objects.exists()
