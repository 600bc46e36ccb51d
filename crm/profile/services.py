"""Writes of the customer profile: the brand's tags and attribute definitions, and a customer's tags,
attribute values and notes. Every change to a customer records `customer.updated` (with tags and attributes).

Managing the vocabulary (tags, attribute definitions) is marketing work (MANAGE_CAMPAIGNS); tagging a customer,
setting their attributes and writing notes is for anyone who may see that customer (a rep: their own). Tags are
free-form: tagging a customer with a name the brand does not have yet creates that tag (renaming, recolouring
and deleting tags stay marketing work).
"""

import re
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from privtraffic.events.services import event_record
from privtraffic.tenancy.actors import Actor, actor_user_id, authorize
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.models import Brand
from privtraffic.tenancy.roles import Perm

from ..customers.services import (
    customer_create,
    customer_event_payload,
    customer_require_visible,
    customer_update,
)
from ..models import AttributeDefinition, AttributeType, Customer, CustomerNote, CustomerTag, Tag
from .attributes import AttributeValueError, attribute_value_parse

# Managing the brand's tag and attribute vocabulary: owners, admins, marketers (and the API).
MANAGE_PERM = Perm.MANAGE_CAMPAIGNS

_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TAG_NAME_MAX = 50
TAGS_PER_CUSTOMER_MAX = 50
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


def _authorize_customer_write(actor: Actor, customer: Customer) -> None:
    authorize(actor, Perm.VIEW_CUSTOMERS, customer, what="customer")
    customer_require_visible(actor, customer)


def _tag_customers_changed(tag: Tag) -> None:
    for customer in Customer.objects.filter(brand_id=tag.brand_id, tags=tag).select_related("brand"):
        _customer_changed(customer)


def tag_create(*, brand: Brand, actor: Actor, name: str, colour: str = "#0b7a5a") -> Tag:
    authorize(actor, MANAGE_PERM, brand, what="tag")
    name, colour = _clean_tag(name, colour)
    return _save_tag(Tag(brand=brand, name=name, colour=colour))


def tag_update(*, tag: Tag, actor: Actor, name: str | None = None, colour: str | None = None) -> Tag:
    authorize(actor, MANAGE_PERM, tag, what="tag")
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


def tag_delete(*, tag: Tag, actor: Actor) -> None:
    authorize(actor, MANAGE_PERM, tag, what="tag")
    with transaction.atomic():
        customers = list(Customer.objects.filter(brand_id=tag.brand_id, tags=tag).select_related("brand"))
        tag.delete()
        for customer in customers:
            _customer_changed(customer)


def tag_names_clean(tags: Any) -> list[str]:
    """A customer's tag names, checked like a tag's name (trimmed, 1..50 characters), duplicates dropped, at most
    TAGS_PER_CUSTOMER_MAX of them. Raises the 400 that names what is wrong."""
    if not isinstance(tags, list | tuple) or not all(isinstance(t, str) for t in tags):
        raise _invalid({"tags": [_("Give a list of tag names.")]})
    names = list(dict.fromkeys(t.strip() for t in tags if t.strip()))
    too_long = [n for n in names if len(n) > TAG_NAME_MAX]
    if too_long:
        raise _invalid({"tags": [_("A tag name has at most %(max)d characters: %(name)s")
                                 % {"max": TAG_NAME_MAX, "name": n[:60]} for n in too_long]})
    if len(names) > TAGS_PER_CUSTOMER_MAX:
        raise _invalid({"tags": [_("A customer can have at most %(max)d tags (%(count)d given).")
                                 % {"max": TAGS_PER_CUSTOMER_MAX, "count": len(names)}]})
    return names


def tags_get_or_create(*, brand_id: int, names: list[str]) -> dict[str, Tag]:
    """The brand's tags of these (already cleaned) names, the missing ones created: tags are free-form, made on
    first use as in Shopify or Klaviyo. Safe under concurrency: a name created meanwhile is simply found."""
    found = {t.name: t for t in Tag.objects.filter(brand_id=brand_id, name__in=names)}
    missing = [n for n in names if n not in found]
    if missing:
        Tag.objects.bulk_create([Tag(brand_id=brand_id, name=n) for n in missing], ignore_conflicts=True)
        found.update({t.name: t for t in Tag.objects.filter(brand_id=brand_id, name__in=missing)})
    return found


def customer_tags_set(*, customer: Customer, actor: Actor, tags: list[str]) -> Customer:
    """Make the customer's tags exactly these names; names the brand does not have yet are created."""
    _authorize_customer_write(actor, customer)
    names = tag_names_clean(tags)
    with transaction.atomic():
        found = tags_get_or_create(brand_id=customer.brand_id, names=names)
        current = set(CustomerTag.objects.filter(brand_id=customer.brand_id, customer=customer)
                      .values_list("tag_id", flat=True))
        wanted = {t.pk for t in found.values()}
        if current == wanted:
            return customer
        CustomerTag.objects.filter(brand_id=customer.brand_id, customer=customer).exclude(tag_id__in=wanted).delete()
        CustomerTag.objects.bulk_create([CustomerTag(brand_id=customer.brand_id, customer=customer, tag_id=pk)
                                         for pk in sorted(wanted - current)])
        # A customer read with its tags prefetched (crm.customers.selectors.customer_list) must not show the old ones.
        getattr(customer, "_prefetched_objects_cache", {}).pop("tags", None)
        _customer_changed(customer)
    return customer


def customer_tags_add(*, customer: Customer, actor: Actor, tags: list[Tag]) -> list[Tag]:
    """Add tags of the brand without touching the others (persona rules refine, never remove); returns the
    tags that were new. Inserting only what is missing cannot undo a tag someone else sets meanwhile."""
    _authorize_customer_write(actor, customer)
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


def attribute_define(*, brand: Brand, actor: Actor, key: str, label: str = "", type: str,
                     choices: list | None = None) -> AttributeDefinition:
    authorize(actor, MANAGE_PERM, brand, what="attribute")
    errors: dict[str, list[str]] = {}
    key = key.strip() if isinstance(key, str) else ""
    if not _KEY.match(key) or slugify(key) != key:
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


def customer_attributes_set(*, customer: Customer, actor: Actor, values: dict[str, Any]) -> Customer:
    """Set (or with None remove) attribute values by key; every key must be defined. All or nothing."""
    _authorize_customer_write(actor, customer)
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


def customer_note_add(*, customer: Customer, actor: Actor, body: str) -> CustomerNote:
    """A note by the acting staff member (the API and the system write notes "by the brand")."""
    _authorize_customer_write(actor, customer)
    body = body.strip() if isinstance(body, str) else ""
    if not body:
        raise _invalid({"body": [_("This field is required.")]})
    if len(body) > NOTE_MAX:
        raise _invalid({"body": [_("At most %(max)d characters.") % {"max": NOTE_MAX}]})
    with transaction.atomic():
        return CustomerNote.objects.create(brand_id=customer.brand_id, customer=customer,
                                           author_id=actor_user_id(actor), body=body)


def customer_save_with_profile(*, brand: Brand, actor: Actor, customer: Customer | None = None,
                               tags: list[str] | None = None, attributes: dict[str, Any] | None = None,
                               consent_source: str = "api", **fields: Any) -> Customer:
    """Create (customer=None) or update a customer together with its tags and attributes: all or nothing."""
    authorize(actor, Perm.VIEW_CUSTOMERS, brand, what="customer")
    with transaction.atomic():
        if customer is None:
            customer = customer_create(brand=brand, actor=actor, consent_source=consent_source, **fields)
        elif fields:
            customer = customer_update(customer=customer, actor=actor, consent_source=consent_source, **fields)
        if tags is not None:
            customer_tags_set(customer=customer, actor=actor, tags=tags)
        if attributes is not None:
            customer_attributes_set(customer=customer, actor=actor, values=attributes)
    return customer
