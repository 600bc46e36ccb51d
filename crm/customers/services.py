"""Writes for customers. Every change other parts care about is recorded in the outbox.

Public services take the acting `actor` and call `authorize()` first; the `customer_changes_apply` helper does the
work for services that already decided (reassignment, opting out, joining).
"""

from typing import Any

from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from privtraffic.accounts.models import User
from privtraffic.events.services import event_record
from privtraffic.tenancy.actors import Actor, SystemActor, authorize, require_store
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.models import Brand, Membership, Store
from privtraffic.tenancy.roles import Perm, Role

from ..models import AuditLog, ConsentChange, Customer, CustomerSource
from ..privacy.audit import audit_entry
from .phones import phone_e164, phone_parse
from .selectors import customer_is_visible

EXTERNAL_ID_MAX = 120
EDITABLE_FIELDS = {"name", "email", "phone", "external_id", "home_store", "assigned_rep", "consent_chat", "consent_promotions"}


def _normalize_phone(phone: str) -> str:
    phone = (phone or "").strip()
    if not phone:
        return ""
    parsed = phone_parse(phone)
    if parsed is None:
        raise ApplicationError("invalid", _("Enter the phone in international form, e.g. +8613800138000."),
                               fields={"phone": [_("Not a valid international phone number.")]})
    return phone_e164(parsed)


def customer_fields_clean(brand: Brand, data: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    clean = dict(data)
    if "name" in clean:
        clean["name"] = (clean["name"] or "").strip()
        if not clean["name"]:
            errors["name"] = [_("This field is required.")]
        elif len(clean["name"]) > 150:
            errors["name"] = [_("At most 150 characters.")]
    if "email" in clean:
        clean["email"] = (clean["email"] or "").strip().lower()
        if clean["email"]:
            try:
                validate_email(clean["email"])
            except ValidationError:
                errors["email"] = [_("Enter a valid email address.")]
    if "phone" in clean:
        try:
            clean["phone"] = _normalize_phone(clean["phone"])
        except ApplicationError as exc:
            errors.update(exc.fields)
    if "external_id" in clean:
        clean["external_id"] = (clean["external_id"] or "").strip()
        if len(clean["external_id"]) > EXTERNAL_ID_MAX:
            errors["external_id"] = [_("At most %(max)d characters.") % {"max": EXTERNAL_ID_MAX}]
    for field in ("home_store", "assigned_rep"):
        value = clean.get(field)
        if value is not None and value.brand_id != brand.id:
            raise ApplicationError.not_found(field.replace("_", " "))
    rep = clean.get("assigned_rep")
    if rep is not None and (rep.role != Role.REP or not rep.is_active):
        errors["assigned_rep"] = [_("Choose an active rep.")]
    if errors:
        raise ApplicationError("invalid", _("Some fields are not valid."), fields=errors)
    return clean


def customer_consents_stamp(customer: Customer, data: dict[str, Any]) -> list[tuple[str, bool]]:
    """Apply consent flags with their time; returns the (channel, granted) pairs that changed."""
    now = timezone.now()
    changed = []
    for field in ("consent_chat", "consent_promotions"):
        if field in data and bool(data[field]) != getattr(customer, field):
            setattr(customer, field, bool(data[field]))
            setattr(customer, f"{field}_at", now)
            changed.append((field.removeprefix("consent_"), bool(data[field])))
    return changed


def consent_changes_build(customer: Customer, changes: list[tuple[str, bool]], source: str) -> list[ConsentChange]:
    """The history rows of consent changes (saved by the caller, in its transaction)."""
    return [ConsentChange(brand_id=customer.brand_id, customer=customer, channel=channel, granted=granted,
                          source=source[:24]) for channel, granted in changes]


def customer_event_payload(customer: Customer) -> dict[str, Any]:
    return {"customer_id": customer.pk, "name": customer.name, "email": customer.email,
            "assigned_rep": customer.assigned_rep_id, "source": customer.source}


def _save(customer: Customer, update_fields: list[str] | None = None) -> Customer:
    try:
        with transaction.atomic():
            customer.save(update_fields=update_fields)
    except IntegrityError as exc:
        raise customer_duplicate_error(exc)
    return customer


def customer_duplicate_error(exc: IntegrityError) -> ApplicationError:
    """The 409 of a unique email or external id taken by another customer of the brand."""
    if "customer_unique_external_id" in str(exc):
        message = _("Another customer already has this external id.")
        return ApplicationError("duplicate", message, fields={"external_id": [message]}, status=409)
    message = _("Another customer already uses this email.")
    return ApplicationError("duplicate", message, fields={"email": [message]}, status=409)


def customer_require_visible(actor: Actor, customer: Customer) -> None:
    """Staff write only to customers they may see (customer_visibility): anyone else's is a 404."""
    if not customer_is_visible(actor, customer):
        raise ApplicationError.not_found("customer")


def customer_create(
    *, brand: Brand, actor: Actor, name: str, email: str = "", phone: str = "", external_id: str = "",
    user: User | None = None,
    source: str = CustomerSource.API, source_ref: str = "", home_store: Store | None = None,
    assigned_rep: Membership | None = None, consent_chat: bool = False, consent_promotions: bool = False,
    consent_source: str = "",
) -> Customer:
    authorize(actor, Perm.VIEW_CUSTOMERS, brand, what="customer")
    data = customer_fields_clean(brand, {"name": name, "email": email, "phone": phone, "external_id": external_id,
                                         "home_store": home_store, "assigned_rep": assigned_rep})
    if source not in CustomerSource.values:
        raise ApplicationError("invalid", _("Unknown source."), fields={"source": [_("Choose a valid source.")]})
    customer = Customer(brand=brand, user=user, source=source, source_ref=source_ref[:120], **data)
    consents = customer_consents_stamp(customer, {"consent_chat": consent_chat,
                                                  "consent_promotions": consent_promotions})
    with transaction.atomic():
        _save(customer)
        ConsentChange.objects.bulk_create(consent_changes_build(customer, consents, consent_source or source))
        event_record(brand=brand, type="customer.created", payload=customer_event_payload(customer))
    return customer


def customer_update(*, customer: Customer, actor: Actor, consent_source: str = "staff", **changes: Any) -> Customer:
    """Change profile fields; consent changes are kept in the history with `consent_source`."""
    authorize(actor, Perm.VIEW_CUSTOMERS, customer, what="customer")
    customer_require_visible(actor, customer)
    return customer_changes_apply(customer=customer, consent_source=consent_source, **changes)


def customer_changes_apply(*, customer: Customer, consent_source: str, **changes: Any) -> Customer:
    """customer_update's work, for crm services that already authorized their actor (reassigning, opting
    out, joining): never call it from a page or an API."""
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise ApplicationError("invalid", _("These fields cannot be changed."),
                               fields={f: [_("Not an editable field.")] for f in sorted(unknown)})
    if customer.erased_at is not None and set(changes) - {"assigned_rep", "home_store"}:
        # Erased means erased: personal data cannot be written back onto the record.
        raise ApplicationError("customer_erased", _("This customer's data was erased."), status=409)
    data = customer_fields_clean(customer.brand, changes)
    previous_rep = customer.assigned_rep_id
    consents = customer_consents_stamp(customer, data)
    for field, value in data.items():
        if field not in ("consent_chat", "consent_promotions"):
            setattr(customer, field, value)
    # Only the fields changed here are written: a stale instance must not undo order figures or activity.
    written = [f for f in data if f not in ("consent_chat", "consent_promotions")]
    written += [f"consent_{channel}{suffix}" for channel, _granted in consents for suffix in ("", "_at")]
    with transaction.atomic():
        _save(customer, update_fields=[*written, "updated_at"])
        ConsentChange.objects.bulk_create(consent_changes_build(customer, consents, consent_source))
        event_record(brand=customer.brand, type="customer.updated", payload=customer_event_payload(customer))
        if customer.assigned_rep_id != previous_rep:
            event_record(brand=customer.brand, type="customer.reassigned",
                         payload={**customer_event_payload(customer), "previous_rep": previous_rep})
    return customer


def customer_join_as_user(
    *, brand: Brand, user: User, name: str, source: str, source_ref: str = "",
    consent_chat: bool, consent_promotions: bool, home_store: Store | None = None,
) -> Customer:
    """The customer record of a person joining through a link: found by login or email, else created.

    The join flow decides who may join; the record is written by the brand's own code for them."""
    system = SystemActor.for_brand(brand, "communities:join")
    customer = Customer.objects.filter(brand=brand, user=user).first()
    email = user.email if user.has_real_email else ""  # a device-only login has no address to match or keep
    if customer is None and email:
        customer = Customer.objects.filter(brand=brand, email=email, user__isnull=True).first()
        # Taking over an existing record (its history, its orders) needs a proven email address.
        if customer is not None and not EmailAddress.objects.filter(user=user, email__iexact=user.email,
                                                                    verified=True).exists():
            raise ApplicationError("email_unverified", _("Confirm your email address first."), status=403)
    if customer is None:
        return customer_create(brand=brand, actor=system, name=name, email=email, user=user, source=source,
                               source_ref=source_ref, home_store=home_store, consent_chat=consent_chat,
                               consent_promotions=consent_promotions, consent_source="join_form")
    if customer.user_id is None:
        customer.user = user
        _save(customer, update_fields=["user", "updated_at"])
    # Joining again can add a consent, never silently withdraw one.
    changes = {field: True for field, given in (("consent_chat", consent_chat), ("consent_promotions", consent_promotions))
               if given and not getattr(customer, field)}
    if changes:
        customer = customer_changes_apply(customer=customer, consent_source="join_form", **changes)
    return customer


def customer_assign_rep_if_unassigned(*, customer: Customer, rep: Membership) -> Customer:
    """A rep's link makes them the customer's rep, unless someone already is (the join flow's own rule)."""
    if customer.assigned_rep_id is not None:
        return customer
    return customer_changes_apply(customer=customer, consent_source="staff", assigned_rep=rep)


# --- assignment -------------------------------------------------------------------------------


# Moving customers between reps is team management: owners, admins, store managers (their store only).
REASSIGN_PERM = Perm.MANAGE_TEAM


def _check_rep(rep: Membership, brand_id: int, field: str, *, must_be_active: bool = True) -> None:
    if rep.brand_id != brand_id:
        raise ApplicationError.not_found("rep")
    if rep.role != Role.REP or (must_be_active and not rep.is_active):
        raise ApplicationError("invalid", _("Choose an active rep."), fields={field: [_("Choose an active rep.")]})


def customer_reassign(*, customer: Customer, rep: Membership, actor: Actor, rule: str = "") -> Customer:
    """Give one customer to another rep; chats moves the 1:1 conversation and introduces the new rep.
    `rule` names an automatic assignment's rule in the audit entry (e.g. "round_robin" on a group join)."""
    authorize(actor, REASSIGN_PERM, customer, what="customer")
    _check_rep(rep, customer.brand_id, "rep")
    with transaction.atomic():
        locked = Customer.objects.select_for_update(of=("self",)).select_related("assigned_rep").get(
            pk=customer.pk, brand_id=customer.brand_id)
        previous = locked.assigned_rep
        from_store = previous.store_id if previous is not None else locked.home_store_id
        require_store(actor, from_store, rep.store_id, message=_("You can only move customers between reps of your own store."))
        if locked.assigned_rep_id == rep.pk:
            return locked
        locked = customer_changes_apply(customer=locked, consent_source="staff", assigned_rep=rep)
        audit_entry(brand_id=locked.brand_id, actor=actor, action="customer.reassigned", customer_id=locked.pk,
                    detail={"from_rep": previous.pk if previous else None, "to_rep": rep.pk,
                            **({"rule": rule} if rule else {})}).save()
    return locked


def rep_customers_transfer(*, from_rep: Membership, to_rep: Membership, actor: Actor) -> int:
    """Move every customer of a (leaving) rep to another rep in one transaction. Returns how many moved.

    The leaving rep may already be deactivated; the receiving rep must be active. Each customer gets
    its own `customer.reassigned` event, so chats introduces the new rep in every 1:1 conversation.
    """
    brand_id = from_rep.brand_id
    authorize(actor, REASSIGN_PERM, from_rep, what="rep")
    _check_rep(from_rep, brand_id, "from_rep", must_be_active=False)
    _check_rep(to_rep, brand_id, "to_rep")
    if from_rep.pk == to_rep.pk:
        raise ApplicationError("invalid", _("Choose a different rep to receive the customers."),
                               fields={"to_rep": [_("This is the same rep.")]})
    require_store(actor, from_rep.store_id, to_rep.store_id, message=_("You can only move customers between reps of your own store."))
    brand = from_rep.brand
    with transaction.atomic():
        customers = list(Customer.objects.select_for_update().filter(brand_id=brand_id, assigned_rep=from_rep)
                         .order_by("pk"))
        if not customers:
            return 0
        Customer.objects.filter(pk__in=[c.pk for c in customers]).update(assigned_rep=to_rep,
                                                                          updated_at=timezone.now())
        audits = []
        for customer in customers:
            customer.assigned_rep = to_rep
            payload = customer_event_payload(customer)
            event_record(brand=brand, type="customer.updated", payload=payload)
            event_record(brand=brand, type="customer.reassigned", payload={**payload, "previous_rep": from_rep.pk})
            audits.append(audit_entry(brand_id=brand_id, actor=actor, action="customer.reassigned",
                                      customer_id=customer.pk,
                                      detail={"from_rep": from_rep.pk, "to_rep": to_rep.pk, "transfer": True}))
        AuditLog.objects.bulk_create(audits)
    return len(customers)
