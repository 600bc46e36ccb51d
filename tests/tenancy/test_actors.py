"""Actors fail closed: authorize() and the services refuse a missing, wrong or powerless actor.

What is refused changes nothing: every refusal below also checks that no row was written. The last
tests walk every service module of the project so that an `actor=None` default (or an actor typed as
None-able) cannot come back unnoticed.
"""

import importlib
import inspect
import re
import types
import typing
from pathlib import Path

import pytest

from privtraffic.tenancy.actors import (
    ApiKeyActor,
    CustomerActor,
    SystemActor,
    actor_has,
    authorize,
    check_actor,
)
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.models import ApiKey, Membership, Store
from privtraffic.tenancy.roles import Perm, Role
from privtraffic.tenancy.services import api_key_create, member_invite, store_create
from tests import factories

ROOT = Path(__file__).resolve().parents[2]


def refused(exc_info) -> tuple[str, int]:
    return exc_info.value.code, exc_info.value.status


# --- authorize(): the one decision ---


@pytest.mark.parametrize("not_an_actor", [None, "owner", 1, object()], ids=["none", "string", "int", "object"])
def test_authorize_refuses_what_is_not_an_actor(brand, not_an_actor):
    with pytest.raises(TypeError):
        authorize(not_an_actor, Perm.VIEW_DASHBOARD, brand)
    with pytest.raises(TypeError):
        authorize(not_an_actor, None)
    with pytest.raises(TypeError):
        check_actor(not_an_actor)


def test_authorize_refuses_a_user_even_one_of_the_team(brand, owner):
    with pytest.raises(TypeError):
        authorize(owner.user, Perm.VIEW_DASHBOARD, brand)


def test_another_brands_actor_is_not_found_never_forbidden(brand, other_brand, store):
    other_owner = factories.owner_of(other_brand)
    for actor in (other_owner, factories.api_actor(other_brand), factories.system(other_brand)):
        for obj in (store, brand, brand.pk):
            with pytest.raises(ApplicationError) as exc:
                authorize(actor, Perm.MANAGE_STORES, obj, what="store")
            assert refused(exc) == ("not_found", 404)
        # Not even with no permission asked: the brand check comes first.
        with pytest.raises(ApplicationError) as exc:
            authorize(actor, None, store)
        assert refused(exc) == ("not_found", 404)


def test_another_brands_customer_is_not_found(brand, other_brand, store):
    customer = factories.make_customer(other_brand)
    with pytest.raises(ApplicationError) as exc:
        authorize(CustomerActor(customer=customer), Perm.CHAT, store)
    assert refused(exc) == ("not_found", 404)


@pytest.mark.parametrize(
    "role, perm",
    [
        (Role.REP, Perm.MANAGE_STORES),
        (Role.REP, Perm.MANAGE_TEAM),
        (Role.REP, Perm.MANAGE_GROUPS),
        (Role.MARKETER, Perm.MANAGE_TEAM),
        (Role.STORE_MANAGER, Perm.MANAGE_CAMPAIGNS),
        (Role.ADMIN, Perm.MANAGE_OWNERS),
        (Role.ADMIN, Perm.MANAGE_API_KEYS),
    ],
)
def test_a_role_without_the_permission_is_forbidden(brand, store, role, perm):
    member = factories.make_member(brand, role, store=store if role in (Role.REP, Role.STORE_MANAGER) else None)
    with pytest.raises(ApplicationError) as exc:
        authorize(member, perm, brand)
    assert refused(exc) == ("forbidden", 403)


def test_the_role_with_the_permission_passes(brand, store, rep, manager, marketer, owner):
    assert authorize(rep, Perm.CHAT, store) is rep
    assert authorize(manager, Perm.MANAGE_TEAM, brand) is manager
    assert authorize(marketer, Perm.MANAGE_CAMPAIGNS, brand) is marketer
    assert authorize(owner, Perm.MANAGE_API_KEYS, brand) is owner


def test_an_inactive_membership_is_forbidden_whatever_is_asked(brand, store, rep):
    owner = factories.owner_of(brand)
    for member in (rep, owner):
        member.is_active = False
        member.save(update_fields=["is_active"])
        member.refresh_from_db()
        for perm in (Perm.CHAT, Perm.VIEW_DASHBOARD, None):
            with pytest.raises(ApplicationError) as exc:
                authorize(member, perm, store)
            assert refused(exc) == ("forbidden", 403), perm
        assert not actor_has(member, Perm.CHAT)


def test_api_key_actor_is_an_admin_without_owners_or_keys(brand):
    actor = factories.api_actor(brand)
    assert isinstance(actor, ApiKeyActor)
    for perm in (Perm.MANAGE_OWNERS, Perm.MANAGE_API_KEYS):
        assert not actor_has(actor, perm)
        with pytest.raises(ApplicationError) as exc:
            authorize(actor, perm, brand)
        assert refused(exc) == ("forbidden", 403)
    for perm in set(Perm) - {Perm.MANAGE_OWNERS, Perm.MANAGE_API_KEYS}:
        assert authorize(actor, perm, brand) is actor


def test_api_key_actor_cannot_create_keys_or_owners(brand):
    actor = factories.api_actor(brand)
    keys, members = ApiKey.objects.count(), Membership.objects.count()
    with pytest.raises(ApplicationError) as exc:
        api_key_create(brand=brand, actor=actor, name="sneaky")
    assert refused(exc) == ("forbidden", 403)
    with pytest.raises(ApplicationError) as exc:
        member_invite(brand=brand, actor=actor, email="new-owner@example.test", role=Role.OWNER)
    assert refused(exc) == ("forbidden", 403)
    assert (ApiKey.objects.count(), Membership.objects.count()) == (keys, members)


def test_system_actor_names_its_reason(brand):
    with pytest.raises(ValueError):
        SystemActor(brand_id=brand.pk, reason="")
    with pytest.raises(ValueError):
        SystemActor.for_brand(brand, "")
    actor = SystemActor.for_brand(brand, "task:import")
    assert actor.brand_id == brand.pk and actor.label == "system:task:import"
    assert all(authorize(actor, perm, brand) is actor for perm in Perm)


def test_customer_actor_may_only_chat(brand):
    actor = CustomerActor(customer=factories.make_customer(brand))
    assert authorize(actor, Perm.CHAT, brand) is actor
    for perm in set(Perm) - {Perm.CHAT}:
        assert not actor_has(actor, perm)
        with pytest.raises(ApplicationError) as exc:
            authorize(actor, perm, brand)
        assert refused(exc) == ("forbidden", 403)


# --- real services refuse, and write nothing ---


def test_a_service_without_an_actor_is_a_type_error(brand):
    stores = Store.objects.count()
    with pytest.raises(TypeError):
        store_create(brand=brand, name="x")
    with pytest.raises(TypeError):
        store_create(brand=brand, actor=None, name="x")
    with pytest.raises(TypeError):
        store_create(brand=brand, actor=factories.owner_of(brand).user, name="x")
    assert Store.objects.count() == stores


def test_a_service_refuses_the_wrong_actor_and_writes_nothing(brand, other_brand, rep):
    stores, keys = Store.objects.count(), ApiKey.objects.count()
    with pytest.raises(ApplicationError) as exc:
        store_create(brand=brand, actor=rep, name="x")
    assert refused(exc) == ("forbidden", 403)
    with pytest.raises(ApplicationError) as exc:
        store_create(brand=brand, actor=factories.owner_of(other_brand), name="x")
    assert refused(exc) == ("not_found", 404)
    with pytest.raises(ApplicationError) as exc:
        api_key_create(brand=brand, actor=factories.owner_of(other_brand), name="x")
    assert refused(exc) == ("not_found", 404)
    assert (Store.objects.count(), ApiKey.objects.count()) == (stores, keys)
    # The right actor does write: the refusals above were about the actor, not the input.
    store_create(brand=brand, actor=factories.owner_of(brand), name="x")
    assert Store.objects.count() == stores + 1


def test_an_inactive_member_cannot_use_a_service(brand, store, manager):
    manager.is_active = False
    manager.save(update_fields=["is_active"])
    members = Membership.objects.count()
    with pytest.raises(ApplicationError) as exc:
        member_invite(brand=brand, actor=manager, email="new-rep@example.test", role=Role.REP, store=store)
    assert refused(exc) == ("forbidden", 403)
    assert Membership.objects.count() == members


# --- every service module: `actor` is required and never None-able ---

SERVICE_PACKAGES = ("crm", "chats", "communities", "campaigns", "privtraffic/tenancy", "privtraffic/events",
                    "privtraffic/accounts")


def service_modules() -> list[str]:
    """Every `services.py` and every module of a `services/` package under the apps and the core."""
    names = set()
    for package in SERVICE_PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if "migrations" in parts or "tests" in parts:
                continue
            if parts[-1] == "services" or "services" in parts[:-1]:
                names.add(".".join(p for p in parts if p != "__init__"))
    return sorted(names)


def _none_able(annotation, module) -> bool:
    if annotation is inspect.Parameter.empty:
        return False
    if isinstance(annotation, str):  # `from __future__ import annotations`
        try:
            evaluated = eval(annotation, vars(module))  # noqa: S307 - our own annotations
        except Exception:
            return bool(re.search(r"\bNone\b|\bOptional\b", annotation))
        return _none_able(evaluated, module)
    if annotation is None or annotation is type(None):
        return True
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return any(_none_able(arg, module) for arg in typing.get_args(annotation))
    return False


def actor_offences(module) -> list[str]:
    found = []
    for name, func in inspect.getmembers(module, inspect.isfunction):
        if func.__module__ != module.__name__:
            continue  # imported from elsewhere: checked in its own module
        parameter = inspect.signature(func).parameters.get("actor")
        if parameter is None:
            continue
        where = f"{module.__name__}.{name}"
        if parameter.default is not inspect.Parameter.empty:
            found.append(f"{where}: actor has a default ({parameter.default!r})")
        if _none_able(parameter.annotation, module):
            found.append(f"{where}: actor may be None ({parameter.annotation})")
    return found


def test_the_walk_finds_the_service_modules():
    modules = service_modules()
    assert "privtraffic.tenancy.services" in modules
    assert any(name.startswith("crm.") for name in modules)
    assert any(name.startswith("chats.") for name in modules)
    assert any(name.startswith("communities.") for name in modules)


def test_the_checker_sees_a_default_and_a_none_able_actor():
    fake = types.ModuleType("fake_services")
    exec(
        "from __future__ import annotations\n"
        "def a(*, actor=None): ...\n"
        "def b(*, actor: int | None): ...\n"
        "def c(*, actor: 'Optional[int]'): ...\n"
        "def d(*, actor: int): ...\n",
        fake.__dict__,
    )
    for func in ("a", "b", "c", "d"):
        getattr(fake, func).__module__ = "fake_services"
    assert [line.split(":")[0] for line in actor_offences(fake)] == ["fake_services.a", "fake_services.b",
                                                                     "fake_services.c"]


@pytest.mark.parametrize("module_name", service_modules())
def test_no_service_lets_the_actor_be_skipped(module_name):
    offences = actor_offences(importlib.import_module(module_name))
    assert not offences, "\n".join(offences)
