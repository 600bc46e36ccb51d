"""What a rep can pick when sending an interactive card from the inbox: the app that owns a card kind
registers `fn(brand_id, ref=None) -> [(ref, label), ...]` (its sendable objects, newest first; with `ref`, only
that one if it is sendable) from its AppConfig.ready(); chats lists them without reading that app's tables."""

from __future__ import annotations

from collections.abc import Callable

ChoicesFn = Callable[..., list[tuple[int, str]]]
_pickers: dict[str, ChoicesFn] = {}


def card_choices_register(kind: str, fn: ChoicesFn) -> None:
    _pickers[kind] = fn


def card_choices(kind: str, *, brand_id: int) -> list[tuple[int, str]]:
    """The objects of this kind a card can be sent for ([] when no app offers the kind)."""
    fn = _pickers.get(kind)
    return fn(brand_id) if fn is not None else []


def card_choice(kind: str, *, brand_id: int, ref: int) -> str | None:
    """The label of one sendable object of this kind (None when it is not one: missing, another brand's,
    inactive), read on its own rather than picked out of the whole list."""
    fn = _pickers.get(kind)
    found = fn(brand_id, ref=ref) if fn is not None else []
    return found[0][1] if found else None
