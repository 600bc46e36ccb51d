"""Writes for customers. Every change other parts care about is recorded in the outbox."""

from typing import Any

import phonenumbers
from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from privtraffic.accounts.models import User
from privtraffic.events.services import event_record
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.models import Brand, Membership, Store
from privtraffic.tenancy.roles import Perm, Role, role_has

from .models import AuditLog, ConsentChange, Customer, CustomerSource

EDITABLE_FIELDS = {"name", "email", "phone", "home_store", "assigned_rep", "consent_chat", "consent_promotions"}


def _normalize_phone(phone: str) -> str:
    phone = (phone or "").strip()
    if not phone:
        return ""
    try:
        parsed = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is None or not phonenumbers.is_valid_number(parsed):
        raise ApplicationError("invalid", _("Enter the phone in international form, e.g. +8613800138000."),
                               fields={"phone": [_("Not a valid international phone number.")]})
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


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
    except IntegrityError:
        message = _("Another customer already uses this email.")
        raise ApplicationError("duplicate", message, fields={"email": [message]}, status=409)
    return customer


def customer_create(
    *, brand: Brand, name: str, email: str = "", phone: str = "", user: User | None = None,
    source: str = CustomerSource.API, source_ref: str = "", home_store: Store | None = None,
    assigned_rep: Membership | None = None, consent_chat: bool = False, consent_promotions: bool = False,
    consent_source: str = "",
) -> Customer:
    data = customer_fields_clean(brand, {"name": name, "email": email, "phone": phone, "home_store": home_store,
                          "assigned_rep": assigned_rep})
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


def customer_update(*, customer: Customer, consent_source: str = "staff", **changes: Any) -> Customer:
    """Change profile fields; consent changes are kept in the history with `consent_source`."""
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
    """The customer record of a person joining through a link: found by login or email, else created."""
    customer = Customer.objects.filter(brand=brand, user=user).first()
    if customer is None:
        customer = Customer.objects.filter(brand=brand, email=user.email, user__isnull=True).first()
        # Taking over an existing record (its history, its orders) needs a proven email address.
        if customer is not None and not EmailAddress.objects.filter(user=user, email__iexact=user.email,
                                                                    verified=True).exists():
            raise ApplicationError("email_unverified", _("Confirm your email address first."), status=403)
    if customer is None:
        return customer_create(brand=brand, name=name, email=user.email, user=user, source=source,
                               source_ref=source_ref, home_store=home_store, consent_chat=consent_chat,
                               consent_promotions=consent_promotions, consent_source="join_form")
    if customer.user_id is None:
        customer.user = user
        _save(customer, update_fields=["user", "updated_at"])
    # Joining again can add a consent, never silently withdraw one.
    changes = {field: True for field, given in (("consent_chat", consent_chat), ("consent_promotions", consent_promotions))
               if given and not getattr(customer, field)}
    if changes:
        customer = customer_update(customer=customer, consent_source="join_form", **changes)
    return customer


def customer_assign_rep_if_unassigned(*, customer: Customer, rep: Membership) -> Customer:
    """A rep's link makes them the customer's rep, unless someone already is."""
    if customer.assigned_rep_id is not None:
        return customer
    return customer_update(customer=customer, assigned_rep=rep)


# --- assignment -------------------------------------------------------------------------------


def _require_may_reassign(actor: Membership | None, brand_id: int) -> None:
    """Owners, admins and store managers move customers between reps; reps and marketers do not."""
    if actor is None:
        return  # the brand itself (an API key, a task)
    if actor.brand_id != brand_id:
        raise ApplicationError.not_found("customer")
    if not role_has(actor.role, Perm.MANAGE_TEAM):
        raise ApplicationError.forbidden(_("Your role does not allow moving customers between reps."))


def _check_rep(rep: Membership, brand_id: int, field: str, *, must_be_active: bool = True) -> None:
    if rep.brand_id != brand_id:
        raise ApplicationError.not_found("rep")
    if rep.role != Role.REP or (must_be_active and not rep.is_active):
        raise ApplicationError("invalid", _("Choose an active rep."), fields={field: [_("Choose an active rep.")]})


def _require_own_store(actor: Membership | None, *store_ids: int | None) -> None:
    """A store manager moves customers only between reps of their own store."""
    if actor is not None and actor.role == Role.STORE_MANAGER and any(s != actor.store_id for s in store_ids):
        raise ApplicationError.forbidden(_("You can only move customers between reps of your own store."))


def _audit(*, brand_id: int, actor: Membership | None, actor_label: str, action: str,
           customer_id: int | None, detail: dict[str, Any]) -> AuditLog:
    return AuditLog(brand_id=brand_id, actor_id=actor.user_id if actor is not None else None,
                    actor_label=actor_label[:120], action=action, customer_id=customer_id, detail=detail)


def customer_reassign(*, customer: Customer, rep: Membership, actor: Membership | None,
                      actor_label: str = "") -> Customer:
    """Give one customer to another rep; chats moves the 1:1 conversation and introduces the new rep."""
    _require_may_reassign(actor, customer.brand_id)
    _check_rep(rep, customer.brand_id, "rep")
    with transaction.atomic():
        locked = Customer.objects.select_for_update(of=("self",)).select_related("assigned_rep").get(
            pk=customer.pk, brand_id=customer.brand_id)
        previous = locked.assigned_rep
        if previous is not None:
            _require_own_store(actor, previous.store_id, rep.store_id)
        else:
            _require_own_store(actor, locked.home_store_id, rep.store_id)
        if locked.assigned_rep_id == rep.pk:
            return locked
        locked = customer_update(customer=locked, assigned_rep=rep)
        _audit(brand_id=locked.brand_id, actor=actor, actor_label=actor_label, action="customer.reassigned",
               customer_id=locked.pk,
               detail={"from_rep": previous.pk if previous else None, "to_rep": rep.pk}).save()
    return locked


def rep_customers_transfer(*, from_rep: Membership, to_rep: Membership, actor: Membership | None,
                           actor_label: str = "") -> int:
    """Move every customer of a (leaving) rep to another rep in one transaction. Returns how many moved.

    The leaving rep may already be deactivated; the receiving rep must be active. Each customer gets
    its own `customer.reassigned` event, so chats introduces the new rep in every 1:1 conversation.
    """
    brand_id = from_rep.brand_id
    _require_may_reassign(actor, brand_id)
    _check_rep(from_rep, brand_id, "from_rep", must_be_active=False)
    _check_rep(to_rep, brand_id, "to_rep")
    if from_rep.pk == to_rep.pk:
        raise ApplicationError("invalid", _("Choose a different rep to receive the customers."),
                               fields={"to_rep": [_("This is the same rep.")]})
    _require_own_store(actor, from_rep.store_id, to_rep.store_id)
    brand = Brand.objects.get(pk=brand_id)
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
            audits.append(_audit(brand_id=brand_id, actor=actor, actor_label=actor_label,
                                 action="customer.reassigned", customer_id=customer.pk,
                                 detail={"from_rep": from_rep.pk, "to_rep": to_rep.pk, "transfer": True}))
        AuditLog.objects.bulk_create(audits)
    return len(customers)


# --- tags, attributes, notes --------------------------------------------------------------------

import re as _re  # noqa: E402

from django.utils.text import slugify as _slugify  # noqa: E402

from .models import AttributeDefinition, AttributeType, CustomerNote, CustomerTag, Tag  # noqa: E402

_COLOUR = _re.compile(r"^#[0-9a-fA-F]{6}$")
_KEY = _re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
TAG_NAME_MAX = 50
NOTE_MAX = 4000
ATTRIBUTE_TEXT_MAX = 500
ATTRIBUTE_CHOICES_MAX = 50


def _invalid(fields: dict[str, list[str]]) -> ApplicationError:
    return ApplicationError("invalid", _("Some fields are not valid."), fields=fields)


def _customer_changed(customer: Customer) -> None:
    """Record customer.updated (inside the caller's transaction) and bump updated_at."""
    Customer.objects.filter(pk=customer.pk, brand_id=customer.brand_id).update(updated_at=timezone.now())
    event_record(brand=customer.brand, type="customer.updated",
                 payload={**customer_event_payload(customer), "tags": sorted(
                     Tag.objects.filter(brand_id=customer.brand_id, customers=customer).values_list("name", flat=True)),
                     "attributes": customer.attributes})


def _clean_tag(name: Any, colour: Any) -> tuple[str | None, str | None]:
    errors: dict[str, list[str]] = {}
    if name is not None:
        name = name.strip() if isinstance(name, str) else ""
        if not name:
            errors["name"] = [_("This field is required.")]
        elif len(name) > TAG_NAME_MAX:
            errors["name"] = [_("At most %(max)d characters.") % {"max": TAG_NAME_MAX}]
    if colour is not None:
        colour = colour.strip().lower() if isinstance(colour, str) else ""
        if not _COLOUR.match(colour):
            errors["colour"] = [_("Enter a colour as #rrggbb.")]
    if errors:
        raise _invalid(errors)
    return name, colour


def _save_tag(tag: Tag) -> Tag:
    try:
        with transaction.atomic():
            tag.save()
    except IntegrityError:
        message = _("A tag with this name already exists.")
        raise ApplicationError("duplicate", message, fields={"name": [message]}, status=409)
    return tag


def _tag_customers_changed(tag: Tag) -> None:
    for customer in Customer.objects.filter(brand_id=tag.brand_id, tags=tag).select_related("brand"):
        _customer_changed(customer)


def tag_create(*, brand: Brand, name: str, colour: str = "#0b7a5a") -> Tag:
    name, colour = _clean_tag(name, colour)
    return _save_tag(Tag(brand=brand, name=name, colour=colour))


def tag_update(*, tag: Tag, name: str | None = None, colour: str | None = None) -> Tag:
    name, colour = _clean_tag(name, colour)
    renamed = name is not None and name != tag.name
    if name is not None:
        tag.name = name
    if colour is not None:
        tag.colour = colour
    with transaction.atomic():
        _save_tag(tag)
        if renamed:  # integrators see customers' tags by name
            _tag_customers_changed(tag)
    return tag


def tag_delete(*, tag: Tag) -> None:
    with transaction.atomic():
        customers = list(Customer.objects.filter(brand_id=tag.brand_id, tags=tag).select_related("brand"))
        tag.delete()
        for customer in customers:
            _customer_changed(customer)


def customer_tags_set(*, customer: Customer, tags: list[str]) -> Customer:
    """Make the customer's tags exactly these (existing tag names of the brand; unknown names are a 400)."""
    if not isinstance(tags, list | tuple) or not all(isinstance(t, str) for t in tags):
        raise _invalid({"tags": [_("Give a list of tag names.")]})
    names = {t.strip() for t in tags if t.strip()}
    found = {t.name: t for t in Tag.objects.filter(brand_id=customer.brand_id, name__in=names)}
    unknown = sorted(names - set(found))
    if unknown:
        raise ApplicationError("invalid", _("Unknown tags: %(names)s.") % {"names": ", ".join(unknown)},
                               fields={"tags": [_("Unknown tag: %(name)s") % {"name": n} for n in unknown]})
    with transaction.atomic():
        current = set(CustomerTag.objects.filter(brand_id=customer.brand_id, customer=customer)
                      .values_list("tag_id", flat=True))
        wanted = {t.pk for t in found.values()}
        if current == wanted:
            return customer
        CustomerTag.objects.filter(brand_id=customer.brand_id, customer=customer).exclude(tag_id__in=wanted).delete()
        CustomerTag.objects.bulk_create([CustomerTag(brand_id=customer.brand_id, customer=customer, tag_id=pk)
                                         for pk in sorted(wanted - current)])
        # A customer read with its tags prefetched (crm.selectors.customer_list) must not show the old ones.
        getattr(customer, "_prefetched_objects_cache", {}).pop("tags", None)
        _customer_changed(customer)
    return customer


def customer_tags_add(*, customer: Customer, tags: list[Tag]) -> list[Tag]:
    """Add tags of the brand without touching the others (persona rules refine, never remove); returns the
    tags that were new. Inserting only what is missing cannot undo a tag someone else sets meanwhile."""
    if any(tag.brand_id != customer.brand_id for tag in tags):
        raise ApplicationError.not_found("tag")
    with transaction.atomic():
        current = set(CustomerTag.objects.filter(brand_id=customer.brand_id, customer=customer,
                                                 tag__in=tags).values_list("tag_id", flat=True))
        added = [tag for tag in tags if tag.pk not in current]
        if added:
            CustomerTag.objects.bulk_create([CustomerTag(brand_id=customer.brand_id, customer=customer, tag=tag)
                                             for tag in added], ignore_conflicts=True)
            getattr(customer, "_prefetched_objects_cache", {}).pop("tags", None)
            _customer_changed(customer)
    return added


def attribute_define(*, brand: Brand, key: str, label: str = "", type: str, choices: list | None = None
                     ) -> AttributeDefinition:
    errors: dict[str, list[str]] = {}
    key = key.strip() if isinstance(key, str) else ""
    if not _KEY.match(key) or _slugify(key) != key:
        errors["key"] = [_("Use 1-40 lowercase letters, digits, - or _.")]
    label = (label.strip() if isinstance(label, str) else "") or key
    if len(label) > 80:
        errors["label"] = [_("At most 80 characters.")]
    if type not in AttributeType.values:
        errors["type"] = [_("Choose one of: %(types)s.") % {"types": ", ".join(AttributeType.values)}]
    clean_choices: list[str] = []
    if type == AttributeType.CHOICE:
        if not isinstance(choices, list | tuple) or not all(isinstance(c, str) for c in choices):
            errors["choices"] = [_("Give a list of choices.")]
        else:
            for c in choices:
                c = c.strip()
                if c and c not in clean_choices:
                    clean_choices.append(c)
            if not clean_choices:
                errors["choices"] = [_("A choice attribute needs at least one choice.")]
            elif len(clean_choices) > ATTRIBUTE_CHOICES_MAX or any(len(c) > 100 for c in clean_choices):
                errors["choices"] = [_("At most %(max)d choices of up to 100 characters.")
                                     % {"max": ATTRIBUTE_CHOICES_MAX}]
    elif choices:
        errors["choices"] = [_("Only choice attributes have choices.")]
    if errors:
        raise _invalid(errors)
    definition = AttributeDefinition(brand=brand, key=key, label=label, type=type, choices=clean_choices)
    try:
        with transaction.atomic():
            definition.save()
    except IntegrityError:
        message = _("An attribute with this key already exists.")
        raise ApplicationError("duplicate", message, fields={"key": [message]}, status=409)
    return definition


def _attribute_clean(definition: AttributeDefinition, value: Any) -> Any:
    """The stored form of a value (numbers as numbers, dates as YYYY-MM-DD); raises ValueError with a message."""
    from .attributes import AttributeValueError, attribute_value_parse

    try:
        value = attribute_value_parse(type=definition.type, value=value, choices=definition.choices)
    except AttributeValueError as exc:
        raise ValueError({
            "number": _("Enter a number."), "date": _("Enter a date as YYYY-MM-DD."), "text": _("Enter a text value."),
            "choice": _("Choose one of: %(choices)s.") % {"choices": ", ".join(definition.choices or [])},
        }[exc.kind])
    if isinstance(value, str) and len(value) > ATTRIBUTE_TEXT_MAX:
        raise ValueError(_("At most %(max)d characters.") % {"max": ATTRIBUTE_TEXT_MAX})
    return value


def attribute_value_clean(*, definition: AttributeDefinition, value: Any) -> Any:
    """The stored form of a value for this attribute; raises ValueError with a message a person can read."""
    return _attribute_clean(definition, value)


def customer_attributes_set(*, customer: Customer, values: dict[str, Any]) -> Customer:
    """Set (or with None remove) attribute values by key; every key must be defined. All or nothing."""
    if not isinstance(values, dict):
        raise _invalid({"attributes": [_("Give an object of attribute values by key.")]})
    if customer.erased_at is not None and values:
        raise ApplicationError("customer_erased", _("This customer's data was erased."), status=409)
    definitions = {d.key: d for d in AttributeDefinition.objects.filter(brand_id=customer.brand_id,
                                                                        key__in=[str(k) for k in values])}
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    for key, value in values.items():
        definition = definitions.get(key)
        if definition is None:
            errors[f"attributes.{key}"] = [_("Unknown attribute.")]
        elif value is None:
            clean[key] = None
        else:
            try:
                clean[key] = _attribute_clean(definition, value)
            except ValueError as exc:
                errors[f"attributes.{key}"] = [str(exc)]
    if errors:
        raise _invalid(errors)
    with transaction.atomic():
        locked = Customer.objects.select_for_update().get(pk=customer.pk, brand_id=customer.brand_id)
        attributes = dict(locked.attributes or {})
        for key, value in clean.items():
            if value is None:
                attributes.pop(key, None)
            else:
                attributes[key] = value
        if attributes == (locked.attributes or {}):
            customer.attributes = attributes
            return customer
        customer.attributes = attributes
        Customer.objects.filter(pk=customer.pk).update(attributes=attributes)
        _customer_changed(customer)
    return customer


def customer_note_add(*, customer: Customer, author: User | None, body: str) -> CustomerNote:
    body = body.strip() if isinstance(body, str) else ""
    if not body:
        raise _invalid({"body": [_("This field is required.")]})
    if len(body) > NOTE_MAX:
        raise _invalid({"body": [_("At most %(max)d characters.") % {"max": NOTE_MAX}]})
    with transaction.atomic():
        return CustomerNote.objects.create(brand_id=customer.brand_id, customer=customer, author=author, body=body)


def customer_save_with_profile(*, brand: Brand, customer: Customer | None = None, tags: list[str] | None = None,
                               attributes: dict[str, Any] | None = None, consent_source: str = "api",
                               **fields: Any) -> Customer:
    """Create (customer=None) or update a customer together with its tags and attributes: all or nothing."""
    with transaction.atomic():
        if customer is None:
            customer = customer_create(brand=brand, consent_source=consent_source, **fields)
        elif fields:
            customer = customer_update(customer=customer, consent_source=consent_source, **fields)
        if tags is not None:
            customer_tags_set(customer=customer, tags=tags)
        if attributes is not None:
            customer_attributes_set(customer=customer, values=attributes)
    return customer
