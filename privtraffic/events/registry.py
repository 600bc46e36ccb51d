"""Subscribers by event type. Apps register theirs in AppConfig.ready()."""

from collections.abc import Callable
from dataclasses import dataclass

WILDCARD = "*"


@dataclass(frozen=True)
class Subscriber:
    name: str
    handler: Callable
    event_types: frozenset[str]

    def wants(self, event_type: str) -> bool:
        return WILDCARD in self.event_types or event_type in self.event_types


_subscribers: dict[str, Subscriber] = {}


def subscribe(*event_types: str, name: str):
    """Decorator: `handler(event)` runs once per event of these types (or "*" for all).

    The relay records a receipt in the handler's transaction, so a handler's own
    database writes happen exactly once per event even when delivery repeats.
    """

    def register(handler: Callable) -> Callable:
        if name in _subscribers and _subscribers[name].handler is not handler:
            raise ValueError(f"Subscriber name {name!r} is already taken.")
        _subscribers[name] = Subscriber(name=name, handler=handler, event_types=frozenset(event_types))
        return handler

    return register


def unsubscribe(name: str) -> None:
    _subscribers.pop(name, None)


def subscribers_for(event_type: str) -> list[Subscriber]:
    return [s for s in _subscribers.values() if s.wants(event_type)]
