"""Writes of the product catalogue: create, update, deactivate, and the upsert by SKU that integrators sync with.

Every write acts for an actor allowed PRODUCT_PERM (a marketer or admin in the dashboard, the integrator's API key,
the system) and records a `product.updated` event in the outbox, in the same transaction, for each product it
created or changed (webhooks subscribe to it). Reps only read the catalogue (the inbox's card picker).

The bulk upsert (`product_upsert_bulk`, up to BULK_MAX_ITEMS items) checks every item first and writes nothing
unless all are valid (the error names each bad item's fields: `items.3.price`). It then writes a few statements
per CHUNK items whatever their number: one SELECT of the existing SKUs, one `INSERT ... ON CONFLICT (brand, sku)
DO UPDATE` (so a product created by a concurrent sync between the two is updated, never a duplicate-key error)
and one INSERT of the outbox events.
"""

import re
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from privtraffic.events.services import event_record, event_record_many
from privtraffic.tenancy.actors import Actor, authorize
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.models import Brand
from privtraffic.tenancy.parsing import bad_text
from privtraffic.tenancy.roles import Perm

from ..models import Product

# Who manages the catalogue: marketers and admins (and the API key, the system); everyone else reads it.
PRODUCT_PERM = Perm.MANAGE_CAMPAIGNS
BULK_MAX_ITEMS = 1000
CHUNK = 500
FIELDS = ("sku", "name", "description", "price", "currency", "image_url", "url", "active")
# What an upsert writes over an existing row (never brand, sku or created_at).
_WRITTEN = ["name", "description", "price", "currency", "image_url", "url", "active", "updated_at"]
_LIMITS = {"sku": 64, "name": 120, "description": 2000, "image_url": 500, "url": 500}
# A price fits a chat card's shape (chats.services PAYLOAD_SHAPES): up to 9 digits, up to 2 decimals, ASCII only.
_PRICE = re.compile(r"^[0-9]{1,9}(\.[0-9]{1,2})?$", re.ASCII)
_CURRENCY = re.compile(r"^[A-Z]{3}$", re.ASCII)
_HTTP_URL = re.compile(r"^https?://[^\s<>\"']+$", re.ASCII | re.IGNORECASE)
_url_validator = URLValidator(schemes=["http", "https"])
EVENT_TYPE = "product.updated"


def _price(value: Any) -> Decimal | None:
    if isinstance(value, Decimal):
        value = format(value, "f") if value.is_finite() else ""
    if not isinstance(value, str) or not _PRICE.match(value.strip()):
        return None
    return Decimal(value.strip()).quantize(Decimal("0.01"))


def _http_url(value: str) -> bool:
    if not _HTTP_URL.match(value):
        return False
    try:
        _url_validator(value)
    except ValidationError:
        return False
    return True


def _fields_check(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Each given field checked on its own: (clean values, errors by field). Absent fields stay absent."""
    clean: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for key in sorted(set(data) - set(FIELDS)):
        errors[str(key)[:64]] = [_("Not a product field.")]
    for key in ("sku", "name", "description", "image_url", "url"):
        if key not in data:
            continue
        value = data[key]
        if value is None and key not in ("sku", "name"):
            value = ""
        if not isinstance(value, str):
            errors[key] = [_("Must be a string.")]
            continue
        if bad_text(value):
            errors[key] = [_("Contains characters that are not allowed.")]
            continue
        value = value.strip()
        if len(value) > _LIMITS[key]:
            errors[key] = [_("At most %(max)d characters.") % {"max": _LIMITS[key]}]
        elif key in ("sku", "name") and not value:
            errors[key] = [_("This field is required.")]
        elif key == "sku" and not value.isprintable():
            errors[key] = [_("Letters, digits and punctuation only (no tabs or line breaks).")]
        elif key in ("image_url", "url") and value and not _http_url(value):
            errors[key] = [_("Must be an http(s) link, e.g. https://shop.example.com/serum.")]
        else:
            clean[key] = value
    if "price" in data:
        price = _price(data["price"])
        if price is None:
            errors["price"] = [_("A non-negative amount below one billion with at most 2 decimals, e.g. 199.00.")]
        else:
            clean["price"] = price
    if "currency" in data:
        value = data["currency"]
        if isinstance(value, str) and _CURRENCY.match(value.strip().upper()):
            clean["currency"] = value.strip().upper()
        else:
            errors["currency"] = [_("A three-letter ISO 4217 code such as CNY.")]
    if "active" in data:
        if isinstance(data["active"], bool):
            clean["active"] = data["active"]
        else:
            errors["active"] = [_("Must be true or false.")]
    return clean, errors


def _new_values_check(brand: Brand, clean: dict[str, Any], errors: dict[str, list[str]]) -> None:
    """What a new product needs besides its SKU; fills the defaults."""
    for key in ("name", "price"):
        if key not in clean and key not in errors:
            errors[key] = [_("This field is required.")]
    clean.setdefault("currency", brand.default_currency)
    for key in ("description", "image_url", "url"):
        clean.setdefault(key, "")
    clean.setdefault("active", True)


def product_event_payload(product: Product) -> dict[str, Any]:
    return {"product_id": product.pk, "sku": product.sku, "name": product.name, "description": product.description,
            "price": str(product.price), "currency": product.currency, "image_url": product.image_url,
            "url": product.url, "active": product.active}


def _invalid(errors: dict[str, list[str]]) -> ApplicationError:
    return ApplicationError("invalid", _("The product is not valid."), fields=errors)


def _duplicate_sku(brand: Brand, sku: str) -> ApplicationError:
    existing = Product.objects.filter(brand=brand, sku=sku).values_list("pk", flat=True).first()
    return ApplicationError("duplicate", _("A product with this SKU already exists (id %(id)s).") % {"id": existing},
                            fields={"sku": [_("Already used by another product.")]}, status=409)


def product_create(*, brand: Brand, actor: Actor, sku: Any, name: Any, price: Any, currency: Any = None,
                   description: Any = "", image_url: Any = "", url: Any = "", active: Any = True) -> Product:
    """A new product; its SKU must be new to the brand (409 `duplicate` otherwise)."""
    authorize(actor, PRODUCT_PERM, brand, what="product")
    data = {"sku": sku, "name": name, "price": price, "description": description, "image_url": image_url,
            "url": url, "active": active}
    if currency not in (None, ""):
        data["currency"] = currency
    clean, errors = _fields_check(data)
    _new_values_check(brand, clean, errors)
    if errors:
        raise _invalid(errors)
    product = Product(brand=brand, **clean)
    try:
        with transaction.atomic():
            product.save()
            event_record(brand=brand, type=EVENT_TYPE, payload=product_event_payload(product))
    except IntegrityError:
        raise _duplicate_sku(brand, clean["sku"])
    return product


def product_update(*, product: Product, actor: Actor, **changes: Any) -> Product:
    """Change the given fields (any of FIELDS); nothing changed records nothing. A SKU taken by another product
    of the brand is 409 `duplicate`."""
    authorize(actor, PRODUCT_PERM, product, what="product")
    clean, errors = _fields_check(changes)
    if errors:
        raise _invalid(errors)
    changed = [key for key, value in clean.items() if getattr(product, key) != value]
    if not changed:
        return product
    for key in changed:
        setattr(product, key, clean[key])
    try:
        with transaction.atomic():
            product.save(update_fields=[*changed, "updated_at"])
            event_record(brand=product.brand, type=EVENT_TYPE, payload=product_event_payload(product))
    except IntegrityError:
        product.refresh_from_db()
        raise _duplicate_sku(product.brand, clean["sku"])
    return product


def product_deactivate(*, product: Product, actor: Actor) -> Product:
    """Take the product out of the catalogue's pickers (kept for the orders and cards that name it)."""
    return product_update(product=product, actor=actor, active=False)


def product_upsert(*, brand: Brand, actor: Actor, data: dict[str, Any]) -> tuple[Product, str]:
    """Create the product with `data["sku"]`, or update the given fields of the brand's product with that SKU.
    Returns (product, "created" | "updated" | "unchanged")."""
    authorize(actor, PRODUCT_PERM, brand, what="product")
    results, errors = _upsert(brand, [data])
    if errors:
        prefix = "items.0."
        raise _invalid({key[len(prefix):] if key.startswith(prefix) else key: value for key, value in errors.items()})
    result = results[0]
    # Re-read: an updated row was written from a fresh object (its created_at is the stored one only here).
    return Product.objects.select_related("brand").get(brand=brand, pk=result["product"].pk), result["status"]


def product_upsert_bulk(*, brand: Brand, actor: Actor, items: list[Any]) -> list[dict[str, Any]]:
    """Upsert up to BULK_MAX_ITEMS products by SKU, all or nothing: one invalid item and nothing is written, and
    the error's fields name every problem as `items.<index>.<field>`. Returns one result per item, in order:
    `{"index", "sku", "id", "status": "created" | "updated" | "unchanged"}`."""
    authorize(actor, PRODUCT_PERM, brand, what="product")
    if not isinstance(items, list) or not 1 <= len(items) <= BULK_MAX_ITEMS:
        message = _("Give between 1 and %(max)d items.") % {"max": BULK_MAX_ITEMS}
        raise ApplicationError("invalid", message, fields={"items": [message]})
    results, errors = _upsert(brand, items)
    if errors:
        raise ApplicationError("invalid", _("%(n)d of %(total)d items are not valid; nothing was saved.")
                               % {"n": len({key.split(".")[1] for key in errors}), "total": len(items)},
                               fields=errors)
    return [{"index": r["index"], "sku": r["product"].sku, "id": r["product"].pk, "status": r["status"]}
            for r in results]


def _upsert(brand: Brand, items: list[Any]) -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    checked: list[tuple[int, dict[str, Any]]] = []
    errors: dict[str, list[str]] = {}
    seen: dict[str, int] = {}
    for index, raw in enumerate(items):
        if not isinstance(raw, dict):
            errors[f"items.{index}"] = [_("Must be an object.")]
            continue
        clean, item_errors = _fields_check(raw)
        if "sku" not in raw:
            item_errors["sku"] = [_("This field is required.")]
        elif "sku" in clean:
            if clean["sku"] in seen:
                item_errors["sku"] = [_("The same SKU is already in item %(index)d.") % {"index": seen[clean["sku"]]}]
            else:
                seen[clean["sku"]] = index
        errors.update({f"items.{index}.{key}": value for key, value in item_errors.items()})
        checked.append((index, clean))
    skus = sorted(seen)
    existing: dict[str, Product] = {}
    for start in range(0, len(skus), CHUNK):
        existing.update({p.sku: p for p in Product.objects.filter(brand=brand, sku__in=skus[start:start + CHUNK])})
    work: list[dict[str, Any]] = []
    for index, clean in checked:
        if f"items.{index}.sku" in errors:
            continue
        current = existing.get(clean["sku"])
        if current is None:
            new_errors: dict[str, list[str]] = {}
            _new_values_check(brand, clean, new_errors)
            for key, value in new_errors.items():
                errors.setdefault(f"items.{index}.{key}", value)
            work.append({"index": index, "product": Product(brand=brand, **clean), "status": "created"})
            continue
        changed = any(getattr(current, key) != value for key, value in clean.items())
        if changed:
            merged = {key: getattr(current, key) for key in FIELDS}
            merged.update(clean)
            work.append({"index": index, "product": Product(brand=brand, **merged), "status": "updated"})
        else:
            work.append({"index": index, "product": current, "status": "unchanged"})
    if errors:
        return [], errors
    written = [w["product"] for w in work if w["status"] != "unchanged"]
    if written:
        now = timezone.now()
        for product in written:
            product.updated_at = now
        with transaction.atomic():
            for start in range(0, len(written), CHUNK):
                # Existing rows are updated in place (their id and created_at kept); the ids come back either way.
                Product.objects.bulk_create(written[start:start + CHUNK], update_conflicts=True,
                                            unique_fields=["brand", "sku"], update_fields=_WRITTEN)
            event_record_many(brand=brand, events=[(EVENT_TYPE, product_event_payload(p)) for p in written])
    return sorted(work, key=lambda w: w["index"]), {}
