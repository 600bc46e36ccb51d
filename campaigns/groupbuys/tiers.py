"""Price tiers of a group-buy: validated, ascending, and what a participant count unlocks."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from privtraffic.tenancy.errors import ApplicationError

MAX_TIERS = 10
MAX_THRESHOLD = 100_000


@dataclass(frozen=True)
class Tier:
    min: int
    price: Decimal

    def as_json(self) -> dict[str, Any]:
        return {"min": self.min, "price": str(self.price)}


def _invalid(message: str) -> ApplicationError:
    return ApplicationError("invalid", message, fields={"tiers": [message]})


def tiers_clean(raw: Any, *, list_price: Decimal | None = None) -> list[Tier]:
    """Tiers from JSON ([{"min": 2, "price": "179.00"}, ...]): 1-10 of them, thresholds 2..100,000 strictly
    ascending, prices positive with at most two decimals, strictly descending, and below the list price."""
    if not isinstance(raw, list) or not raw:
        raise _invalid(_("Give at least one price tier."))
    if len(raw) > MAX_TIERS:
        raise _invalid(_("At most %(n)d price tiers.") % {"n": MAX_TIERS})
    tiers: list[Tier] = []
    for item in raw:
        if not isinstance(item, dict) or set(item) != {"min", "price"}:
            raise _invalid(_("Each tier is a number of people and a price."))
        minimum, price = item["min"], item["price"]
        if not isinstance(minimum, int) or isinstance(minimum, bool) or not 2 <= minimum <= MAX_THRESHOLD:
            raise _invalid(_("A tier needs between 2 and 100,000 people."))
        if not isinstance(price, str | int) or isinstance(price, bool):
            raise _invalid(_("A tier's price must be a number like 159.00."))
        try:
            value = Decimal(str(price))
        except InvalidOperation:
            raise _invalid(_("A tier's price must be a number like 159.00.")) from None
        if not value.is_finite() or value <= 0 or value >= Decimal("1e10") or value.as_tuple().exponent < -2:
            raise _invalid(_("A tier's price must be a number like 159.00."))
        tiers.append(Tier(min=minimum, price=value.quantize(Decimal("0.01"))))
    for before, after in zip(tiers, tiers[1:], strict=False):
        if after.min <= before.min:
            raise _invalid(_("Tiers go up in the number of people."))
        if after.price >= before.price:
            raise _invalid(_("Each tier's price must be lower than the one before."))
    if list_price is not None and tiers[0].price >= list_price:
        raise _invalid(_("The first tier's price must be below the product's price."))
    return tiers


def tiers_parse_lines(text: str) -> list[dict[str, Any]]:
    """The dashboard's form: one tier per line, "5 159.00" or "5: 159.00" (people, price)."""
    rows: list[dict[str, Any]] = []
    for line in text.replace("：", ":").splitlines():
        line = line.strip()
        if not line:
            continue
        parts = line.replace(":", " ").replace("=", " ").replace("->", " ").split()
        if len(parts) != 2 or not parts[0].isascii() or not parts[0].isdigit() or len(parts[0]) > 7:
            raise _invalid(_("Write each tier as people and price, like \"5 159.00\"."))
        rows.append({"min": int(parts[0]), "price": parts[1]})
    return rows


def tiers_of(raw: list[dict[str, Any]]) -> list[Tier]:
    """Stored tiers (already clean) as Tier values."""
    return [Tier(min=int(t["min"]), price=Decimal(str(t["price"]))) for t in raw]


def tier_reached(tiers: list[Tier], count: int) -> int:
    """How many tiers `count` participants unlock (0: none)."""
    return sum(1 for t in tiers if t.min <= count)


def money(amount: Decimal, currency: str) -> str:
    return f"{amount:.2f} {currency}"
