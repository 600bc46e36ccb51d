"""What a rep can pick when sending an interactive card from the inbox: the app that owns a card kind
registers `fn(brand_id) -> [(ref, label), ...]` (its sendable objects, newest first) from its
AppConfig.ready(); chats lists them without reading that app's tables."""

from __future__ import annotations

from collections.abc import Callable

ChoicesFn = Callable[[int], list[tuple[int, str]]]
_pickers: dict[str, ChoicesFn] = {}


def card_choices_register(kind: str, fn: ChoicesFn) -> None:
    _pickers[kind] = fn


def card_choices(kind: str, *, brand_id: int) -> list[tuple[int, str]]:
    """The objects of this kind a card can be sent for ([] when no app offers the kind)."""
    fn = _pickers.get(kind)
    return fn(brand_id) if fn is not None else []
