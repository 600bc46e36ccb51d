"""Who is acting, and the one place that decides whether they may.

Every service that acts for someone takes a required, keyword-only `actor`. There is no value
that means "skip the checks": a forgotten actor is a TypeError, a `None` is refused by
`authorize()`, and the brand itself acts only as a named `ApiKeyActor` or `SystemActor`.

| actor | who | may |
| --- | --- | --- |
| `Membership` (alias `StaffActor`) | a person of the brand's team, in the dashboard or inbox | what their role allows (roles.py), within their store when the role is store-scoped |
| `ApiKeyActor` | an integrator holding one of the brand's keys | what an admin may: never manage owners or keys |
| `SystemActor` | a task, an outbox subscriber, a command, seeding | anything inside its brand; `reason` names the code path, for logs |
| `CustomerActor` | a customer of the brand (chat, join, survey pages) | what `CUSTOMER_PERMISSIONS` lists, on their own things |

Services call `authorize(actor, Perm.X, obj)` once at the top; it checks the actor's type, that the
object belongs to the actor's brand (another brand's object is `not_found`, never `forbidden`), and
the permission. Finer rules (store scope) use the helpers below so that every surface agrees.
What an actor may *see* is decided by one visibility rule per entity (`actor_store_id`,
`actor_rep_id` feed them): `tenancy.selectors.member_visibility`, `crm` customers, `communities`
groups; `chats` composes its conversation rule from those.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeAlias

from django.utils.translation import gettext as _

from .errors import ApplicationError
from .models import ApiKey, Brand, Membership
from .roles import Perm, Role, is_store_scoped, role_has

StaffActor: TypeAlias = Membership


@dataclass(frozen=True)
class ApiKeyActor:
    """An integrator: one brand's API key. Acts with an admin's authority."""

    api_key: ApiKey

    @property
    def brand_id(self) -> int:
        return self.api_key.brand_id

    @property
    def label(self) -> str:
        return f"api-key:{self.api_key.prefix}"


@dataclass(frozen=True)
class SystemActor:
    """The brand's own machinery: a Celery task, an outbox subscriber, a command. `reason` says which."""

    brand_id: int
    reason: str

    def __post_init__(self) -> None:
        if not self.reason:
            raise ValueError("A SystemActor names the code path it acts for (reason=...).")

    @classmethod
    def for_brand(cls, brand: Brand | int, reason: str) -> SystemActor:
        return cls(brand_id=brand if isinstance(brand, int) else brand.pk, reason=reason)

    @property
    def label(self) -> str:
        return f"system:{self.reason}"


@dataclass(frozen=True)
class CustomerActor:
    """A customer acting on their own things (a crm.Customer; typed loosely: the core imports no domain app)."""

    customer: Any

    @property
    def brand_id(self) -> int:
        return self.customer.brand_id

    @property
    def label(self) -> str:
        return f"customer:{self.customer.pk}"


Actor: TypeAlias = Membership | ApiKeyActor | SystemActor | CustomerActor
ACTOR_TYPES = (Membership, ApiKeyActor, SystemActor, CustomerActor)

# The API acts as the brand's integrator: everything an admin may do.
API_KEY_PERMISSIONS = frozenset(Perm) - {Perm.MANAGE_OWNERS, Perm.MANAGE_API_KEYS}
# Customers act only on their own conversations, memberships and answers.
CUSTOMER_PERMISSIONS = frozenset({Perm.CHAT})


def check_actor(actor: object) -> Actor:
    """Refuse anything that is not an actor: `None` never means "nobody is checking"."""
    if not isinstance(actor, ACTOR_TYPES):
        raise TypeError(f"actor must be one of {[t.__name__ for t in ACTOR_TYPES]}, not {type(actor).__name__}")
    return actor  # type: ignore[return-value]


def actor_has(actor: Actor, perm: Perm) -> bool:
    check_actor(actor)
    if isinstance(actor, Membership):
        return actor.is_active and role_has(actor.role, perm)
    if isinstance(actor, ApiKeyActor):
        return perm in API_KEY_PERMISSIONS
    if isinstance(actor, CustomerActor):
        return perm in CUSTOMER_PERMISSIONS
    return True  # SystemActor: the brand's own code


def _brand_id_of(obj: Any) -> int | None:
    if obj is None:
        return None
    if isinstance(obj, Brand):
        return obj.pk
    if isinstance(obj, int):
        return obj
    return obj.brand_id


def authorize(actor: Actor, perm: Perm | None, obj: Any = None, *, what: str = "object") -> Actor:
    """The one decision: is `actor` allowed `perm` on `obj` (a brand-owned row, a Brand, or a brand id)?

    Another brand's object is `not_found` (its existence is never confirmed); a missing permission is
    `forbidden`. `perm=None` checks only the actor and the brand. Returns the actor, for chaining.
    """
    check_actor(actor)
    brand_id = _brand_id_of(obj)
    if brand_id is not None and actor.brand_id != brand_id:
        raise ApplicationError.not_found(what)
    if isinstance(actor, Membership) and not actor.is_active:
        # Someone taken off the team acts for nobody, even where no particular permission is asked.
        raise ApplicationError.forbidden(_("Your role does not allow this."))
    if perm is not None and not actor_has(actor, perm):
        raise ApplicationError.forbidden(_("Your role does not allow this."))
    return actor


def actor_store_id(actor: Actor) -> int | None:
    """The store an actor is confined to, or None when they act for the whole brand."""
    check_actor(actor)
    if isinstance(actor, Membership) and is_store_scoped(actor.role):
        return actor.store_id
    return None


def actor_rep_id(actor: Actor) -> int | None:
    """The rep membership whose own customers bound what the actor sees, or None."""
    check_actor(actor)
    if isinstance(actor, Membership) and actor.role == Role.REP:
        return actor.pk
    return None


def actor_role(actor: Actor) -> str | None:
    return actor.role if isinstance(actor, Membership) else None


def actor_user_id(actor: Actor) -> int | None:
    return actor.user_id if isinstance(actor, Membership) else None


def actor_label(actor: Actor) -> str:
    """How an audit log names the actor."""
    check_actor(actor)
    if isinstance(actor, Membership):
        return f"staff:{actor.user_id}"
    return actor.label


def require_store(actor: Actor, *store_ids: int | None, allow_brand_wide: bool = False,
                  message: str | None = None) -> None:
    """A store-scoped actor may touch only things of their own store. With `allow_brand_wide`, things
    of no store (a brand-wide group) are allowed too."""
    own = actor_store_id(actor)
    if own is None:
        return
    if any(store_id != own and not (allow_brand_wide and store_id is None) for store_id in store_ids):
        raise ApplicationError.forbidden(message or _("You can only manage things of your own store."))
