"""A customer's personal data: export everything held on them, or erase it.

Both leave an AuditLog row. Erasure keeps the customer row (orders, chats and group history keep
their shape) but removes what identifies the person, runs the erase steps higher apps registered
(communities takes them out of their groups), and records `customer.erased` so higher apps forget them
too (chats renames their messages to "Former member").

crm sits below communities and chats and never reads their tables: what they hold on the person comes
from the export sections they register (crm.privacy.registry).
"""

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from privtraffic.events.services import event_record
from privtraffic.tenancy.actors import Actor, authorize
from privtraffic.tenancy.roles import Perm

from ..models import (
    AuditLog,
    ConsentChange,
    Customer,
    CustomerNote,
    CustomerTag,
    Order,
    SurveyAnswer,
    SurveyResponse,
)
from .audit import audit_entry
from .registry import erase_steps, export_sections, export_time

# Stored as the name of an erased customer and of their messages; deliberately not translated per viewer.
ERASED_NAME = gettext_noop("Former member")
EXPORT_FORMAT_VERSION = 1
# Exporting or erasing a person's data is for the brand's owners and admins (and the API).
PRIVACY_PERM = Perm.MANAGE_SETTINGS
# How the dashboard's exports and erasures are labelled in the audit log (with the staff member's user).
DASHBOARD_LABEL = "dashboard"

_iso = export_time


def _profile(customer: Customer) -> dict[str, Any]:
    rep = customer.assigned_rep
    store = customer.home_store
    return {
        "id": customer.pk,
        "name": customer.name,
        "email": customer.email,
        "phone": customer.phone,
        "login": {"id": customer.user_id, "email": customer.user.email} if customer.user_id else None,
        "source": customer.source,
        "source_ref": customer.source_ref,
        "assigned_rep": ({"id": rep.pk, "name": rep.user.display_name, "store": rep.store_id}
                         if rep is not None else None),
        "home_store": {"id": store.pk, "name": store.name} if store is not None else None,
        "created_at": _iso(customer.created_at),
        "updated_at": _iso(customer.updated_at),
        "erased_at": _iso(customer.erased_at),
    }


def _consents(customer: Customer) -> dict[str, Any]:
    history = ConsentChange.objects.filter(brand_id=customer.brand_id, customer=customer).order_by("created_at", "id")
    return {
        "chat": {"given": customer.consent_chat, "changed_at": _iso(customer.consent_chat_at)},
        "promotions": {"given": customer.consent_promotions, "changed_at": _iso(customer.consent_promotions_at)},
        "history": [{"channel": c.channel, "granted": c.granted, "source": c.source, "at": _iso(c.created_at)}
                    for c in history],
    }


def _survey_answers(customer: Customer) -> list[dict[str, Any]]:
    rows = (SurveyAnswer.objects.filter(brand_id=customer.brand_id, customer=customer)
            .select_related("question__survey").order_by("created_at", "id"))
    return [{"survey": a.question.survey.title, "question": a.question.text, "answer": a.value,
             "answered_at": _iso(a.created_at)} for a in rows]


def _orders(customer: Customer) -> list[dict[str, Any]]:
    rows = Order.objects.filter(brand_id=customer.brand_id, customer=customer).order_by("placed_at", "id")
    return [{"id": o.pk, "external_id": o.external_id, "status": o.status, "currency": o.currency,
             "total": str(o.total), "items": o.items, "tracking_number": o.tracking_number,
             "placed_at": _iso(o.placed_at)} for o in rows]


def _audit_entries(customer: Customer) -> list[dict[str, Any]]:
    rows = AuditLog.objects.filter(brand_id=customer.brand_id, customer=customer).order_by("created_at", "id")
    return [{"action": r.action, "actor": r.actor_label or (f"user:{r.actor_id}" if r.actor_id else ""),
             "detail": r.detail, "created_at": _iso(r.created_at)} for r in rows]


def _audit(customer: Customer, action: str, actor: Actor, detail: dict) -> AuditLog:
    entry = audit_entry(brand_id=customer.brand_id, actor=actor, action=action, customer_id=customer.pk,
                        detail=detail, staff_label=DASHBOARD_LABEL)
    entry.save()
    return entry


def customer_export(*, customer: Customer, actor: Actor) -> dict[str, Any]:
    """Everything the brand holds on this person, as a JSON-ready dict. The export itself is audited."""
    authorize(actor, PRIVACY_PERM, customer, what="customer")
    with transaction.atomic():
        customer = (Customer.objects.select_related("user", "assigned_rep__user", "home_store", "brand")
                    .get(pk=customer.pk, brand_id=customer.brand_id))
        data = {
            "format_version": EXPORT_FORMAT_VERSION,
            "exported_at": _iso(timezone.now()),
            "brand": {"id": customer.brand_id, "name": customer.brand.name},
            "customer": _profile(customer),
            "consents": _consents(customer),
            "tags": sorted(customer.tags.values_list("name", flat=True)),
            "attributes": customer.attributes,
            "notes": [{"body": n.body, "created_at": _iso(n.created_at)}
                      for n in CustomerNote.objects.filter(brand_id=customer.brand_id, customer=customer)],
            "orders": _orders(customer),
            "survey_answers": _survey_answers(customer),
        }
        for name, section in export_sections():
            data[name] = section(customer)
        _audit(customer, "customer.exported", actor,
               {"messages": len(data.get("messages", [])), "groups": len(data.get("group_memberships", []))})
        data["audit_log"] = _audit_entries(customer)
    return data


def customer_erase(*, customer: Customer, actor: Actor) -> Customer:
    """Remove the person's data and keep the row. Erasing an erased customer changes nothing."""
    authorize(actor, PRIVACY_PERM, customer, what="customer")
    with transaction.atomic():
        locked = Customer.objects.select_for_update().get(pk=customer.pk, brand_id=customer.brand_id)
        if locked.erased_at is not None:
            return locked
        now = timezone.now()
        cleared = [field for field, empty in (("email", ""), ("phone", ""), ("user_id", None), ("source_ref", ""))
                   if getattr(locked, field) != empty]
        if locked.attributes:
            cleared.append("attributes")
        locked.name = ERASED_NAME
        locked.email = ""
        locked.phone = ""
        locked.user = None
        locked.source_ref = ""
        locked.consent_chat = False
        locked.consent_chat_at = None
        locked.consent_promotions = False
        locked.consent_promotions_at = None
        locked.attributes = {}
        locked.erased_at = now
        locked.save()
        # Notes and tags describe the person too.
        CustomerNote.objects.filter(brand_id=locked.brand_id, customer=locked).delete()
        CustomerTag.objects.filter(brand_id=locked.brand_id, customer=locked).delete()
        # So do survey answers (free text above all); the survey results lose this person's share.
        SurveyResponse.objects.filter(brand_id=locked.brand_id, customer=locked).delete()
        # Higher apps forget the person too (communities: their group memberships).
        for _name, step in erase_steps():
            step(locked, actor)
        # The detail names which fields were cleared, never their values.
        _audit(locked, "customer.erased", actor, {"cleared": ["name", *cleared]})
        event_record(brand=locked.brand, type="customer.erased",
                     payload={"customer_id": locked.pk, "erased_at": now})
    return locked
