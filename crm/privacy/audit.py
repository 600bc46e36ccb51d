"""The audit log of personal-data work (exports, erasures, reassignments, imports): who did it, as stored.

Who is derived from the typed actor: a staff member is stored as their user (and the label the page gives,
e.g. "dashboard"); an API key as `api_key:<prefix>` (the label integrators have always seen); the system
and customers by their actor label.
"""

from typing import Any

from privtraffic.tenancy.actors import Actor, ApiKeyActor, actor_label, actor_user_id, check_actor
from privtraffic.tenancy.models import Membership

from ..models import AuditLog


def audit_actor_label(actor: Actor, *, staff_label: str = "") -> str:
    check_actor(actor)
    if isinstance(actor, Membership):
        return staff_label
    if isinstance(actor, ApiKeyActor):
        return f"api_key:{actor.api_key.prefix}"
    return actor_label(actor)


def audit_entry(*, brand_id: int, actor: Actor, action: str, customer_id: int | None, detail: dict[str, Any],
                staff_label: str = "") -> AuditLog:
    """An unsaved AuditLog row (the caller saves it, or bulk-creates many, in its transaction)."""
    return AuditLog(brand_id=brand_id, actor_id=actor_user_id(actor),
                    actor_label=audit_actor_label(actor, staff_label=staff_label)[:120], action=action,
                    customer_id=customer_id, detail=detail)
