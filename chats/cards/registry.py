"""Interactive cards: a coupon to claim, a group-buy to join, an event to RSVP to.

A card message carries `payload.ref`, the id of the object it shows. What the viewer sees on it (their
claimed code, the group-buy's progress, their seat) and what its buttons do belong to the app that owns
the object: that app registers the kind here from its AppConfig.ready() (chats sits below campaigns and
imports nothing of it), and chats serves it to the customer's phone and the rep's inbox the same way.

    card_kind_register(CardKind(kind="group_buy", brand_of=..., state=..., actions={"join": ...}))

`brand_of(ref)` answers the brand id of an object (None when there is none); `state(actor=, ref=)`
answers a CardState for the viewer (a CustomerActor on the phone, a Membership in the inbox); each action
`fn(actor=, ref=)` does one thing (raising ApplicationError when it may not) and answers the new state.
Handlers scope every lookup by `actor.brand_id`, so another brand's ref is `not_found`. An optional
`on_post(brand_id, [(ref, conversation_id), ...])` runs inside the transaction that writes card messages of
the kind (one rep's card or a campaign's chunk): the owning app remembers where its card went, with the write.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from privtraffic.tenancy.errors import ApplicationError


@dataclass
class CardAction:
    verb: str
    label: str
    primary: bool = True


@dataclass
class CardLink:
    label: str
    url: str


@dataclass
class CardProgress:
    value: int
    max: int
    label: str


@dataclass
class CardState:
    """What one viewer sees on a card. Every string is already translated for the request's language."""

    title: str
    lines: list[str] = field(default_factory=list)
    image_url: str | None = None
    code: str | None = None  # shown large, to read out or type at a till
    qr_url: str | None = None  # a path on this site (an SVG), e.g. an event check-in code
    badge: str | None = None  # "Claimed", "Going", "Waitlist #3"
    progress: CardProgress | None = None
    actions: list[CardAction] = field(default_factory=list)
    links: list[CardLink] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class CardKind:
    kind: str
    brand_of: Callable[[int], int | None]
    state: Callable[..., CardState]
    actions: dict[str, Callable[..., CardState]] = field(default_factory=dict)
    on_post: Callable[[int, list[tuple[int, int]]], None] | None = None


_kinds: dict[str, CardKind] = {}


def card_kind_register(card: CardKind) -> None:
    existing = _kinds.get(card.kind)
    if existing is not None and existing != card:
        raise ValueError(f"Card kind {card.kind!r} is already registered.")
    _kinds[card.kind] = card


def card_kinds() -> list[str]:
    return sorted(_kinds)


def card_kind(kind: str) -> CardKind:
    card = _kinds.get(kind)
    if card is None:
        raise ApplicationError.not_found("card")
    return card


def card_brand(kind: str, ref: Any) -> int | None:
    """The brand id of the object a card names; None for an unknown kind, a ref that is not a database id
    (wrong type, zero, beyond 64 bits) or a missing object."""
    card = _kinds.get(kind)
    if card is None or not isinstance(ref, int) or isinstance(ref, bool) or not 0 < ref < 2 ** 63:
        return None
    return card.brand_of(ref)


def card_posts_record(*, brand_id: int, kind: str, posts: list[tuple[Any, int]]) -> None:
    """Tell the kind's app that its cards were just posted: `posts` is [(ref, conversation_id), ...], written in
    the caller's transaction (so the record commits or rolls back with the messages)."""
    card = _kinds.get(kind)
    posts = [(ref, cid) for ref, cid in posts if isinstance(ref, int) and not isinstance(ref, bool)]
    if card is not None and card.on_post is not None and posts:
        card.on_post(brand_id, posts)


def card_ref_belongs(*, kind: str, ref: Any, brand_id: int) -> bool:
    """Whether `ref` names an object of this kind in this brand (card payload validation)."""
    return card_brand(kind, ref) == brand_id
