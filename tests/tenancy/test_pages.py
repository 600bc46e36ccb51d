import pytest

from privtraffic.tenancy.models import ApiKey, Membership, Store
from privtraffic.tenancy.roles import Role
from tests import factories

pytestmark = pytest.mark.django_db


def test_anonymous_is_sent_to_login(client, brand):
    response = client.get(f"/b/{brand.slug}/stores/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=")


def test_brand_home_redirects_to_only_brand(login, brand):
    client = login(factories.owner_of(brand))
    response = client.get("/b/")
    assert response.status_code == 302 and response["Location"] == f"/b/{brand.slug}/"


def test_brand_switcher_lists_every_brand_of_the_user(login, brand, other_brand):
    owner = factories.owner_of(brand)
    Membership.objects.create(brand=other_brand, user=owner.user, role=Role.MARKETER)
    client = login(owner)
    assert client.get("/b/").status_code == 200
    page = client.get(f"/b/{brand.slug}/").content.decode()
    assert 'id="brand-switch"' in page and f"/b/{other_brand.slug}/" in page


def test_user_without_brand_can_create_one(login, db):
    user = factories.make_user()
    client = login(user)
    assert "Create a brand" in client.get("/b/").content.decode()
    response = client.post("/b/", {"name": "New Co", "slug": "new-co", "time_zone": "Asia/Shanghai",
                                   "default_currency": "CNY"})
    assert response.status_code == 302 and response["Location"] == "/b/new-co/"
    assert Membership.objects.get(user=user).role == Role.OWNER


def test_brand_create_form_shows_taken_slug(login, brand):
    client = login(factories.make_user())
    response = client.post("/b/", {"name": "X", "slug": brand.slug, "time_zone": "UTC", "default_currency": "CNY"})
    assert response.status_code == 200
    assert "already taken" in response.content.decode()


def test_navigation_shows_the_sections_a_role_may_use(login, brand):
    owner_page = login(factories.owner_of(brand)).get(f"/b/{brand.slug}/").content.decode()
    for label in ("Overview", "Stores", "Reps", "Settings"):
        assert f">{label}</a>" in owner_page
    rep_page = login(factories.make_member(brand, Role.REP)).get(f"/b/{brand.slug}/").content.decode()
    assert ">Settings</a>" not in rep_page and ">Reps</a>" not in rep_page


def test_store_create_and_edit_pages(login, brand):
    client = login(factories.owner_of(brand))
    response = client.post(f"/b/{brand.slug}/stores/", {"name": "Jing'an", "city": "Shanghai"})
    assert response.status_code == 302
    store = Store.objects.get(brand=brand)
    assert "Jing&#x27;an" in client.get(f"/b/{brand.slug}/stores/").content.decode()
    response = client.post(f"/b/{brand.slug}/stores/{store.pk}/", {"name": "Jing'an Flagship", "city": "Shanghai"})
    assert response.status_code == 302
    store.refresh_from_db()
    assert store.name == "Jing'an Flagship"


def test_store_form_errors_change_nothing(login, brand):
    client = login(factories.owner_of(brand))
    factories.make_store(brand, "Taken")
    response = client.post(f"/b/{brand.slug}/stores/", {"name": "Taken"})
    assert response.status_code == 400 and "already exists" in response.content.decode()
    response = client.post(f"/b/{brand.slug}/stores/", {"name": ""})
    assert response.status_code == 400
    assert Store.objects.filter(brand=brand).count() == 1


def test_rep_cannot_open_settings_or_edit_stores(login, brand):
    rep = factories.make_member(brand, Role.REP)
    client = login(rep)
    assert client.get(f"/b/{brand.slug}/settings/").status_code == 403
    assert client.get(f"/b/{brand.slug}/team/").status_code == 403
    # A forbidden action is a 403 page that says why (it was a bare 400 form).
    refused = client.post(f"/b/{brand.slug}/stores/", {"name": "Sneaky"})
    assert refused.status_code == 403 and "Not allowed" in refused.content.decode()
    assert client.post(f"/b/{brand.slug}/stores/{rep.store_id}/", {"name": "Sneaky"}).status_code == 403
    assert client.get(f"/b/{brand.slug}/stores/{rep.store_id}/").status_code == 403
    assert not Store.objects.filter(name="Sneaky").exists()


def test_team_invite_change_role_and_deactivate(login, brand, mailoutbox, django_capture_on_commit_callbacks):
    client = login(factories.owner_of(brand))
    store = factories.make_store(brand)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/b/{brand.slug}/team/", {"email": "ann@example.test", "role": "rep", "store": store.pk})
    assert response.status_code == 302
    member = Membership.objects.get(user__email="ann@example.test")
    assert (member.role, member.store) == (Role.REP, store)
    assert mailoutbox[-1].to == ["ann@example.test"]
    response = client.post(f"/b/{brand.slug}/team/{member.pk}/", {"role": "marketer"})
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.role, member.store) == (Role.MARKETER, None)
    client.post(f"/b/{brand.slug}/team/{member.pk}/deactivate/")
    member.refresh_from_db()
    assert not member.is_active


def test_admin_changing_an_owner_is_a_403_page_that_says_why(login, brand):
    owner = factories.owner_of(brand)
    client = login(factories.make_member(brand, Role.ADMIN))
    for url, data in ((f"/b/{brand.slug}/team/{owner.pk}/", {"role": "marketer"}),
                      (f"/b/{brand.slug}/team/{owner.pk}/deactivate/", {})):
        response = client.post(url, data)
        assert response.status_code == 403, url
        assert "Only an owner can manage owners." in response.content.decode()
    owner.refresh_from_db()
    assert (owner.role, owner.is_active) == (Role.OWNER, True)


def test_team_invite_rep_without_store_shows_error(login, brand):
    client = login(factories.owner_of(brand))
    response = client.post(f"/b/{brand.slug}/team/", {"email": "bob@example.test", "role": "rep"})
    assert response.status_code == 400 and "Choose a store" in response.content.decode()
    assert not Membership.objects.filter(user__email="bob@example.test").exists()


def test_store_manager_team_page_shows_own_store_only(login, brand):
    manager = factories.make_member(brand, Role.STORE_MANAGER)
    mine = factories.make_member(brand, Role.REP, store=manager.store)
    theirs = factories.make_member(brand, Role.REP)
    page = login(manager).get(f"/b/{brand.slug}/team/").content.decode()
    assert mine.user.email in page and theirs.user.email not in page
    assert login(manager).get(f"/b/{brand.slug}/team/{theirs.pk}/").status_code == 404


def test_api_key_shown_once_then_only_prefix(login, brand):
    client = login(factories.owner_of(brand))
    response = client.post(f"/b/{brand.slug}/settings/keys/", {"name": "ERP"})
    page = response.content.decode()
    key = ApiKey.objects.get(brand=brand)
    start = page.index('id="new-api-key">') + len('id="new-api-key">')
    raw = page[start:page.index("</code>", start)]
    assert raw.startswith(f"pt_{key.prefix}_") and len(raw) > 40
    later = client.get(f"/b/{brand.slug}/settings/").content.decode()
    assert raw not in later and key.prefix in later
    client.post(f"/b/{brand.slug}/settings/keys/revoke/", {"key_id": key.pk})
    key.refresh_from_db()
    assert key.revoked_at is not None


def test_admin_sees_settings_but_not_api_keys(login, brand):
    client = login(factories.make_member(brand, Role.ADMIN))
    page = client.get(f"/b/{brand.slug}/settings/").content.decode()
    assert "API keys" not in page
    assert client.post(f"/b/{brand.slug}/settings/keys/", {"name": "x"}).status_code == 403
    assert not ApiKey.objects.exists()


def test_brand_settings_validate_logo_and_time_zone(login, brand):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = login(factories.owner_of(brand))
    bad = SimpleUploadedFile("logo.png", b"<svg onload=alert(1)>", content_type="image/png")
    response = client.post(f"/b/{brand.slug}/settings/", {"name": "Acme", "time_zone": "UTC",
                                                          "default_currency": "CNY", "logo": bad})
    assert response.status_code == 400 and "PNG, JPEG or WebP" in response.content.decode()
    response = client.post(f"/b/{brand.slug}/settings/", {"name": "Acme 2", "time_zone": "Europe/Paris",
                                                          "default_currency": "EUR"})
    assert response.status_code == 302
    brand.refresh_from_db()
    assert (brand.name, brand.time_zone, brand.default_currency) == ("Acme 2", "Europe/Paris", "EUR")


def test_settings_page_ids_are_unique_so_each_label_focuses_its_own_input(login, brand):
    """"Key name" used to be <label for="id_name">, the brand name's input: two inputs had id="id_name"."""
    import re
    from collections import Counter

    page = login(factories.owner_of(brand)).get(f"/b/{brand.slug}/settings/").content.decode()
    ids = Counter(re.findall(r'\sid="([^"]+)"', page))
    assert [i for i, n in ids.items() if n > 1] == []
    assert '<label for="id_key_name">Key name</label>' in page and 'id="id_key_name"' in page
    for target in re.findall(r'<label for="([^"]+)"', page):
        assert ids[target] == 1, f"label for={target} points nowhere"


def test_api_key_form_still_posts_its_name(login, brand):
    response = login(factories.owner_of(brand)).post(f"/b/{brand.slug}/settings/keys/", {"name": "ERP sync"})
    assert response.status_code == 200 and ApiKey.objects.get(brand=brand).name == "ERP sync"


def test_team_invite_form_starts_on_the_rep_role(login, brand, store):
    """It used to default to Owner, the most powerful role."""
    page = login(factories.owner_of(brand)).get(f"/b/{brand.slug}/team/").content.decode()
    assert '<option value="rep" selected>' in page
    assert '<option value="owner" selected>' not in page


def test_empty_stores_and_team_pages_give_the_next_step(login, brand):
    client = login(factories.owner_of(brand))
    stores = client.get(f"/b/{brand.slug}/stores/").content.decode()
    assert 'id="stores-empty"' in stores and 'href="#add-store"' in stores and 'id="add-store"' in stores
    team = client.get(f"/b/{brand.slug}/team/").content.decode()
    assert 'id="team-empty"' in team and 'href="#invite-member"' in team and 'id="invite-member"' in team
    factories.make_member(brand, Role.REP, store=factories.make_store(brand))
    assert 'id="team-empty"' not in client.get(f"/b/{brand.slug}/team/").content.decode()
    assert 'id="stores-empty"' not in client.get(f"/b/{brand.slug}/stores/").content.decode()


def test_favicon_is_linked_and_served(login, brand):
    """Every page made the browser ask for /favicon.ico, a 404; pages now link the one icon (the Chromium test
    checks the browser loads it)."""
    from django.contrib.staticfiles import finders

    page = login(factories.owner_of(brand)).get(f"/b/{brand.slug}/").content.decode()
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page
    assert finders.find("favicon.svg")
