"""Role rules and team management, enforced by the services every surface calls."""

import pytest

from privtraffic.tenancy import services
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.models import ApiKey, Brand, Membership
from privtraffic.tenancy.roles import Perm, Role, role_has
from privtraffic.tenancy.selectors import member_list
from tests import factories

pytestmark = pytest.mark.django_db


def _raises(code: str, status: int):
    class _Ctx:
        def __enter__(self):
            return self

        def __exit__(self, exc_type, exc, tb):
            assert exc_type is ApplicationError, f"expected ApplicationError({code}), got {exc_type}"
            assert (exc.code, exc.status) == (code, status)
            return True

    return _Ctx()


@pytest.mark.parametrize("role, perm, allowed", [
    (Role.REP, Perm.MANAGE_CAMPAIGNS, False),
    (Role.REP, Perm.MANAGE_TEAM, False),
    (Role.REP, Perm.CHAT, True),
    (Role.MARKETER, Perm.MANAGE_CAMPAIGNS, True),
    (Role.MARKETER, Perm.MANAGE_TEAM, False),
    (Role.STORE_MANAGER, Perm.MANAGE_TEAM, True),
    (Role.STORE_MANAGER, Perm.MANAGE_STORES, False),
    (Role.ADMIN, Perm.MANAGE_API_KEYS, False),
    (Role.ADMIN, Perm.MANAGE_OWNERS, False),
    (Role.OWNER, Perm.MANAGE_API_KEYS, True),
])
def test_role_table(role, perm, allowed):
    assert role_has(role, perm) is allowed


def test_brand_create_makes_owner_and_rejects_taken_slug():
    owner = factories.make_user()
    brand = services.brand_create(name="Acme", slug="acme", owner=owner)
    assert Membership.objects.get(brand=brand).role == Role.OWNER
    with _raises("duplicate", 409):
        services.brand_create(name="Other", slug="acme", owner=factories.make_user())
    assert Brand.objects.count() == 1


@pytest.mark.parametrize("field, value", [("slug", "Not A Slug"), ("time_zone", "Mars/Olympus"), ("default_currency", "yuan")])
def test_brand_create_validates_fields(field, value):
    kwargs = {"name": "Acme", "slug": "acme", "time_zone": "Asia/Shanghai", "default_currency": "CNY", field: value}
    try:
        services.brand_create(owner=factories.make_user(), **kwargs)
    except ApplicationError as exc:
        assert field in exc.fields
    else:
        pytest.fail("bad brand accepted")
    assert not Brand.objects.exists()


def test_store_manager_sees_only_their_store(brand):
    manager = factories.make_member(brand, Role.STORE_MANAGER)
    own_rep = factories.make_member(brand, Role.REP, store=manager.store)
    factories.make_member(brand, Role.REP)  # another store
    visible = set(member_list(brand=brand, actor=manager).values_list("pk", flat=True))
    assert visible == {manager.pk, own_rep.pk}


def test_store_manager_invites_reps_only_to_own_store(brand):
    manager = factories.make_member(brand, Role.STORE_MANAGER)
    rep = services.member_invite(brand=brand, actor=manager, email="r@example.test", role=Role.REP, store=manager.store)
    assert rep.store == manager.store
    with _raises("forbidden", 403):
        services.member_invite(brand=brand, actor=manager, email="x@example.test", role=Role.REP,
                               store=factories.make_store(brand))
    with _raises("forbidden", 403):
        services.member_invite(brand=brand, actor=manager, email="y@example.test", role=Role.MARKETER)


def test_rep_and_marketer_cannot_manage_team(brand):
    for role in (Role.REP, Role.MARKETER):
        actor = factories.make_member(brand, role)
        with _raises("forbidden", 403):
            services.member_invite(brand=brand, actor=actor, email=f"{role}@example.test", role=Role.REP,
                                   store=factories.make_store(brand))


def test_only_owner_manages_owners(brand):
    admin = factories.make_member(brand, Role.ADMIN)
    owner = factories.owner_of(brand)
    with _raises("forbidden", 403):
        services.member_invite(brand=brand, actor=admin, email="o@example.test", role=Role.OWNER)
    with _raises("forbidden", 403):
        services.member_update(membership=owner, actor=admin, role=Role.ADMIN)
    with _raises("forbidden", 403):
        services.member_set_active(membership=owner, actor=admin, active=False)
    with _raises("forbidden", 403):
        services.member_invite(brand=brand, actor=factories.api_actor(brand), email="o2@example.test", role=Role.OWNER)
    second = services.member_invite(brand=brand, actor=owner, email="o3@example.test", role=Role.OWNER)
    assert second.role == Role.OWNER


def test_last_owner_cannot_be_demoted_or_deactivated(brand):
    owner = factories.owner_of(brand)
    with _raises("last_owner", 409):
        services.member_update(membership=owner, actor=owner, role=Role.ADMIN)
    other_owner = factories.make_member(brand, Role.OWNER)
    with _raises("invalid", 400):
        services.member_set_active(membership=owner, actor=owner, active=False)  # not yourself
    services.member_set_active(membership=other_owner, actor=owner, active=False)
    with _raises("last_owner", 409):
        services.member_update(membership=owner, actor=owner, role=Role.ADMIN)


def test_store_role_needs_store_of_same_brand(brand, other_brand):
    admin = factories.make_member(brand, Role.ADMIN)
    with _raises("invalid", 400):
        services.member_invite(brand=brand, actor=admin, email="a@example.test", role=Role.REP)
    with _raises("not_found", 404):
        services.member_invite(brand=brand, actor=admin, email="b@example.test", role=Role.REP,
                               store=factories.make_store(other_brand))
    assert not Membership.objects.filter(user__email__in=["a@example.test", "b@example.test"]).exists()


def test_invite_existing_member_is_duplicate(brand):
    admin = factories.make_member(brand, Role.ADMIN)
    with _raises("duplicate", 409):
        services.member_invite(brand=brand, actor=factories.system(brand), email=admin.user.email, role=Role.MARKETER)


def test_deactivated_member_loses_access_and_can_be_reactivated(brand, client):
    owner = factories.owner_of(brand)
    rep = factories.make_member(brand, Role.REP)
    client.force_login(rep.user)
    assert client.get(f"/b/{brand.slug}/").status_code == 200
    services.member_set_active(membership=rep, actor=owner, active=False)
    assert client.get(f"/b/{brand.slug}/").status_code == 404
    services.member_set_active(membership=rep, actor=owner, active=True)
    assert client.get(f"/b/{brand.slug}/").status_code == 200


def test_api_keys_only_by_owner_and_hashed(brand):
    admin = factories.make_member(brand, Role.ADMIN)
    with _raises("forbidden", 403):
        services.api_key_create(brand=brand, actor=admin, name="x")
    owner = factories.owner_of(brand)
    key, raw = services.api_key_create(brand=brand, actor=owner, name="ERP")
    stored = ApiKey.objects.get(pk=key.pk)
    assert raw not in (stored.hashed_key, stored.prefix) and raw.startswith(f"pt_{stored.prefix}_")
    assert services.api_key_authenticate(raw_key=raw) == stored
    with _raises("forbidden", 403):
        services.api_key_revoke(api_key=stored, actor=admin)
    services.api_key_revoke(api_key=stored, actor=owner)
    assert services.api_key_authenticate(raw_key=raw) is None
    with _raises("invalid", 400):
        services.api_key_create(brand=brand, actor=owner, name="  ")
