"""Reads of the product catalogue: the dashboard list, the API list and the card pickers (inbox, campaigns)."""

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.models import Brand

from ..models import Product

PICK_LIMIT = 20  # what a card picker lists at once: type more to narrow it


def product_list(brand: Brand, *, search: str = "", active: bool | None = None) -> QuerySet[Product]:
    """The brand's products, by name; `search` matches the name or the SKU (case-insensitive), `active`
    keeps only active (True) or inactive (False) ones."""
    qs = Product.objects.filter(brand=brand)
    search = (search or "").strip()
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(sku__icontains=search))
    if active is not None:
        qs = qs.filter(active=active)
    return qs.order_by("name", "id")


def product_get(brand: Brand, *, product_id: int) -> Product:
    """One product of the brand; another brand's or a missing id is 404."""
    product = Product.objects.filter(brand=brand, pk=product_id).first()
    if product is None:
        raise ApplicationError.not_found("product")
    return product


def product_active_get(brand: Brand, *, product_id: int) -> Product:
    """An active product of the brand, for a card (an inactive one is not offered)."""
    product = product_get(brand, product_id=product_id)
    if not product.active:
        raise ApplicationError("product_inactive", _("This product is not active."), status=409,
                               fields={"product": [_("Not active.")]})
    return product


def product_pick_list(brand: Brand, *, search: str = "", limit: int = PICK_LIMIT) -> list[Product]:
    """Active products matching `search`, for a card picker."""
    return list(product_list(brand, search=search[:100], active=True)[:limit])


def product_by_skus(brand: Brand, *, skus: list[str]) -> dict[str, Product]:
    return {p.sku: p for p in Product.objects.filter(brand=brand, sku__in=skus)}


def product_choices(brand: Brand, *, chosen_id: int | None = None) -> list[Product]:
    """What a picker offers before anything is typed: the first active products, and the chosen one (if active)."""
    products = product_pick_list(brand)
    if chosen_id is not None and all(p.pk != chosen_id for p in products):
        products += list(Product.objects.filter(brand=brand, pk=chosen_id, active=True))
    return products
