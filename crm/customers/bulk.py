"""The bulk upsert of customers (`POST /api/v1/customers/bulk/`): up to 1,000 items per call, each matched by
external id, else email, else phone, created or updated with its tags and attributes.

Atomic per item: every item is checked on its own, and an item with an error is written not at all while the
others are. The valid items are then written together in one transaction, a statement per chunk (INSERT,
UPDATE, consent history, tags, outbox events) rather than per row. A unique email or external id taken by a
concurrent writer between the check and the write fails the whole call with 409 (nothing written), safe to
retry. Kept apart from services.py because it builds on crm.profile (tags and attributes), which builds on it.
"""

from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from privtraffic.events.services import event_record_many
from privtraffic.tenancy.actors import Actor, authorize
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.models import Brand, Membership, Store
from privtraffic.tenancy.roles import Perm, Role

from ..models import AttributeDefinition, ConsentChange, Customer, CustomerSource, CustomerTag
from ..profile.services import attribute_value_clean, tag_names_clean, tags_get_or_create
from .selectors import customer_is_visible
from .services import (
    EDITABLE_FIELDS,
    consent_changes_build,
    customer_consents_stamp,
    customer_duplicate_error,
    customer_event_payload,
    customer_fields_clean,
)

BULK_MAX_ITEMS = 1000
CHUNK = 500
_WRITTEN = ["name", "email", "phone", "external_id", "home_store", "assigned_rep", "consent_chat", "consent_chat_at",
            "consent_promotions", "consent_promotions_at", "attributes", "updated_at"]


@dataclass
class _Item:
    index: int
    data: dict[str, Any]
    tags: list[str] | None = None
    attributes: dict[str, Any] | None = None
    customer: Customer | None = None
    created: bool = False
    errors: dict[str, list[str]] = field(default_factory=dict)


def _fail(item: _Item, fields: dict[str, Any]) -> None:
    for key, messages in fields.items():
        item.errors.setdefault(key, []).extend(str(m) for m in (messages if isinstance(messages, list) else [messages]))


def _check(brand: Brand, items: list[_Item], stores: dict[int, Store], reps: dict[int, Membership],
           definitions: dict[str, AttributeDefinition]) -> None:
    """Each item's fields cleaned as the single create cleans them; problems land on the item."""
    for item in items:
        if item.errors:
            continue
        data = item.data
        for ref, known in (("home_store", stores), ("assigned_rep", reps)):
            if data.get(ref) is not None:
                obj = known.get(data[ref])
                if obj is None:
                    _fail(item, {ref: _("Not found.")})
                data[ref] = obj
        if item.errors:
            continue
        try:
            item.data = customer_fields_clean(brand, data)
        except ApplicationError as exc:
            _fail(item, exc.fields or {"non_field_errors": exc.message})
            continue
        if not any(item.data.get(key) for key in ("external_id", "email", "phone")):
            _fail(item, {"non_field_errors": _("Give an external_id, an email or a phone to match on.")})
        if item.tags is not None:
            try:
                item.tags = tag_names_clean(item.tags)
            except ApplicationError as exc:
                _fail(item, exc.fields)
        if item.attributes is not None:
            clean = {}
            for key, value in item.attributes.items():
                definition = definitions.get(key)
                if definition is None:
                    _fail(item, {f"attributes.{key}": _("Unknown attribute.")})
                    continue
                try:
                    clean[key] = None if value is None else attribute_value_clean(definition=definition, value=value)
                except ValueError as exc:
                    _fail(item, {f"attributes.{key}": str(exc)})
            item.attributes = clean


def _match(brand: Brand, actor: Actor, items: list[_Item]) -> None:
    """Point each item at its customer: by external id, else email, else phone (the oldest with that phone)."""
    live = Customer.objects.filter(brand=brand)
    keys = {k: sorted({i.data[k] for i in items if i.data.get(k)}) for k in ("external_id", "email", "phone")}
    by_key: dict[str, dict[str, Customer]] = {k: {} for k in keys}
    for key, values in keys.items():
        for start in range(0, len(values), CHUNK):
            for customer in live.filter(**{f"{key}__in": values[start:start + CHUNK]}).order_by("id"):
                by_key[key].setdefault(getattr(customer, key), customer)
    claimed: dict[int, int] = {}
    seen: dict[tuple[str, str], int] = {}
    for item in items:
        if item.errors:
            continue
        for key in ("external_id", "email", "phone"):
            value = item.data.get(key)
            if value and (key, value) in seen:
                _fail(item, {key: _("The same %(field)s is already in item %(index)d.")
                             % {"field": key, "index": seen[(key, value)]}})
        if item.errors:
            continue
        for key in ("external_id", "email", "phone"):
            if item.data.get(key):
                seen[(key, item.data[key])] = item.index
        target = next((by_key[k].get(item.data.get(k, "")) for k in ("external_id", "email", "phone")
                       if by_key[k].get(item.data.get(k, ""))), None)
        if target is not None:
            if not customer_is_visible(actor, target):  # never updated, never revealed
                _fail(item, {"non_field_errors": _("Not found.")})
                continue
            if target.erased_at is not None:
                _fail(item, {"non_field_errors": _("This customer's data was erased.")})
                continue
            if target.pk in claimed:
                _fail(item, {"non_field_errors": _("This is the same customer as item %(index)d.")
                             % {"index": claimed[target.pk]}})
                continue
            email_owner = by_key["email"].get(item.data.get("email", ""))
            if email_owner is not None and email_owner.pk != target.pk:
                _fail(item, {"email": _("Another customer already uses this email.")})
                continue
            id_owner = by_key["external_id"].get(item.data.get("external_id", ""))
            if id_owner is not None and id_owner.pk != target.pk:
                _fail(item, {"external_id": _("Another customer already has this external id.")})
                continue
            claimed[target.pk] = item.index
        elif not item.data.get("name"):
            _fail(item, {"name": _("This field is required.")})
        item.customer = target


def _apply(brand: Brand, item: _Item, now, consents: list) -> bool:
    """Set the item's values on its customer (new or matched); returns whether anything changed."""
    data = item.data
    if item.customer is None:
        item.customer = Customer(brand=brand, source=data.get("source") or CustomerSource.API, attributes={})
        item.created = True
    customer = item.customer
    before = [getattr(customer, f if f not in ("home_store", "assigned_rep") else f"{f}_id") for f in _WRITTEN]
    for key in ("name", "email", "phone", "external_id", "home_store", "assigned_rep"):
        if key in data:
            setattr(customer, key, data[key])
    consents.append((customer, customer_consents_stamp(customer, {k: data[k] for k in ("consent_chat",
                                                                                        "consent_promotions")
                                                                   if k in data})))
    if item.attributes:
        attributes = dict(customer.attributes or {})
        for key, value in item.attributes.items():
            if value is None:
                attributes.pop(key, None)
            else:
                attributes[key] = value
        customer.attributes = attributes
    after = [getattr(customer, f if f not in ("home_store", "assigned_rep") else f"{f}_id") for f in _WRITTEN]
    if after != before:
        customer.updated_at = now
        return True
    return False


def _tags_write(brand: Brand, items: list[_Item]) -> set[int]:
    """Make each item's customer's tags exactly its names (creating the brand's missing tags); returns the
    customers whose tags changed."""
    tagged = [i for i in items if i.tags is not None]
    if not tagged:
        return set()
    tags = tags_get_or_create(brand_id=brand.pk, names=sorted({n for i in tagged for n in i.tags}))
    ids = [i.customer.pk for i in tagged]
    existing: dict[int, dict[int, int]] = {}
    for start in range(0, len(ids), CHUNK):
        for pk, customer_id, tag_id in CustomerTag.objects.filter(
                brand_id=brand.pk, customer_id__in=ids[start:start + CHUNK]).values_list("pk", "customer_id", "tag_id"):
            existing.setdefault(customer_id, {})[tag_id] = pk
    removed, added, changed = [], [], set()
    for item in tagged:
        current = existing.get(item.customer.pk, {})
        wanted = {tags[n].pk for n in item.tags}
        gone = [pk for tag_id, pk in current.items() if tag_id not in wanted]
        new = [CustomerTag(brand_id=brand.pk, customer_id=item.customer.pk, tag_id=t) for t in wanted - set(current)]
        if gone or new:
            changed.add(item.customer.pk)
        removed += gone
        added += new
        getattr(item.customer, "_prefetched_objects_cache", {}).pop("tags", None)
    for start in range(0, len(removed), CHUNK):
        CustomerTag.objects.filter(brand_id=brand.pk, pk__in=removed[start:start + CHUNK]).delete()
    CustomerTag.objects.bulk_create(added, batch_size=CHUNK, ignore_conflicts=True)
    return changed


def customer_bulk_upsert(*, brand: Brand, actor: Actor, items: list[dict[str, Any]], consent_source: str = "api",
                         item_errors: dict[int, dict[str, list[str]]] | None = None) -> list[dict[str, Any]]:
    """Create or update up to BULK_MAX_ITEMS customers; returns one result per item, in order:
    `{"index", "status": "created"|"updated"|"error", "id", "errors"}`. `item_errors` are problems the caller
    found while parsing (by index): those items are reported, not written."""
    authorize(actor, Perm.VIEW_CUSTOMERS, brand, what="customer")
    if not isinstance(items, list) or not items or len(items) > BULK_MAX_ITEMS:
        message = _("Give between 1 and %(max)d items.") % {"max": BULK_MAX_ITEMS}
        raise ApplicationError("invalid", message, fields={"items": [message]})
    work = []
    for index, raw in enumerate(items):
        raw = dict(raw) if isinstance(raw, dict) else {}
        item = _Item(index=index, tags=raw.pop("tags", None), attributes=raw.pop("attributes", None), data=raw)
        _fail(item, (item_errors or {}).get(index, {}))
        unknown = set(raw) - EDITABLE_FIELDS - {"source"}
        if unknown:
            _fail(item, {key: _("Not an editable field.") for key in sorted(unknown)})
        work.append(item)
    stores = {s.pk: s for s in Store.objects.filter(brand=brand)}
    reps = {m.pk: m for m in Membership.objects.filter(brand=brand, role=Role.REP, is_active=True)}
    definitions = {d.key: d for d in AttributeDefinition.objects.filter(brand=brand)}
    _check(brand, work, stores, reps, definitions)
    _match(brand, actor, work)
    valid = [i for i in work if not i.errors]
    now = timezone.now()
    try:
        with transaction.atomic():
            _write(brand, valid, now, consent_source)
    except IntegrityError as exc:
        raise customer_duplicate_error(exc)
    return [{"index": i.index, "status": "error", "id": i.customer.pk if i.customer else None, "errors": i.errors}
            if i.errors else
            {"index": i.index, "status": "created" if i.created else "updated", "id": i.customer.pk, "errors": {}}
            for i in work]


def _write(brand: Brand, valid: list[_Item], now, consent_source: str) -> None:
    consents: list = []
    previous_rep = {i.index: i.customer.assigned_rep_id for i in valid if i.customer is not None}
    changed = {i.index for i in valid if _apply(brand, i, now, consents)}
    new = [i.customer for i in valid if i.created]
    Customer.objects.bulk_create(new, batch_size=CHUNK)
    updated = [i.customer for i in valid if not i.created and i.index in changed]
    Customer.objects.bulk_update(updated, _WRITTEN, batch_size=CHUNK)
    ConsentChange.objects.bulk_create(
        [row for customer, changes in consents for row in consent_changes_build(customer, changes, consent_source)],
        batch_size=CHUNK)
    tags_changed = _tags_write(brand, valid)
    retagged = [i.customer for i in valid if not i.created and i.index not in changed and i.customer.pk in tags_changed]
    if retagged:
        Customer.objects.filter(brand=brand, pk__in=[c.pk for c in retagged]).update(updated_at=now)
    events = [("customer.created", customer_event_payload(c)) for c in new]
    events += [("customer.updated", customer_event_payload(c)) for c in updated + retagged]
    events += [("customer.reassigned", {**customer_event_payload(i.customer), "previous_rep": previous_rep[i.index]})
               for i in valid if not i.created and i.customer.assigned_rep_id != previous_rep.get(i.index)]
    event_record_many(brand=brand, events=events)
