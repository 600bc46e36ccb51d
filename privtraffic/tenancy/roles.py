"""Who may do what, declared in one place.

Views and API bases check a coarse permission; services check the finer rules
(a store manager only manages reps of their own store, only owners touch owners)
with the helpers below, so every surface enforces the same thing.
"""

from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    ADMIN = "admin", _("Admin")
    MARKETER = "marketer", _("Marketer")
    STORE_MANAGER = "store_manager", _("Store manager")
    REP = "rep", _("Rep")


class Perm(StrEnum):
    VIEW_DASHBOARD = "view_dashboard"
    MANAGE_STORES = "manage_stores"
    VIEW_TEAM = "view_team"
    MANAGE_TEAM = "manage_team"
    MANAGE_OWNERS = "manage_owners"
    MANAGE_API_KEYS = "manage_api_keys"
    MANAGE_SETTINGS = "manage_settings"
    MANAGE_CAMPAIGNS = "manage_campaigns"
    MANAGE_GROUPS = "manage_groups"
    VIEW_CUSTOMERS = "view_customers"
    CHAT = "chat"


_EVERYONE = {Perm.VIEW_DASHBOARD, Perm.VIEW_CUSTOMERS, Perm.CHAT}

ROLE_PERMISSIONS: dict[str, frozenset[Perm]] = {
    Role.OWNER: frozenset(Perm),
    Role.ADMIN: frozenset(Perm) - {Perm.MANAGE_OWNERS, Perm.MANAGE_API_KEYS},
    Role.MARKETER: frozenset(_EVERYONE | {Perm.MANAGE_CAMPAIGNS, Perm.MANAGE_GROUPS}),
    Role.STORE_MANAGER: frozenset(_EVERYONE | {Perm.VIEW_TEAM, Perm.MANAGE_TEAM, Perm.MANAGE_GROUPS}),
    Role.REP: frozenset(_EVERYONE),
}

# Roles tied to one store: they need a store, and see only that store's reps and customers.
STORE_ROLES = frozenset({Role.STORE_MANAGER, Role.REP})

# Which roles each role may give or take away.
ASSIGNABLE_ROLES: dict[str, frozenset[str]] = {
    Role.OWNER: frozenset(Role.values),
    Role.ADMIN: frozenset(Role.values) - {Role.OWNER},
    Role.STORE_MANAGER: frozenset({Role.REP}),
}


def role_has(role: str, perm: Perm) -> bool:
    return perm in ROLE_PERMISSIONS.get(role, frozenset())


def role_can_assign(role: str, target_role: str) -> bool:
    return target_role in ASSIGNABLE_ROLES.get(role, frozenset())


def is_store_scoped(role: str) -> bool:
    return role in STORE_ROLES
