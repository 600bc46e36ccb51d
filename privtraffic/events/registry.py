"""Subscribers by event type. Apps register theirs in AppConfig.ready()."""

from collections.abc import Callable
from dataclasses import dataclass

WILDCARD = "*"


@dataclass(frozen=True)
class Subscriber:
    name: str
    handler: Callable
    event_types: frozenset[str]
    # Optional `applies(brand_id, event_type) -> bool`: False means this brand's events of that type are not
    # handed to the subscriber at all (a "*" subscriber that only some brands use keeps the others' bulk relay
    # at one UPDATE per chunk).
    applies: Callable[[int, str], bool] | None = None
    # True: the handler may run for a chunk of events in one transaction (see `subscribe`).
    batch: bool = False

    def wants(self, event_type: str, brand_id: int | None = None) -> bool:
        if not (WILDCARD in self.event_types or event_type in self.event_types):
            return False
        return brand_id is None or self.applies is None or self.applies(brand_id, event_type)


_subscribers: dict[str, Subscriber] = {}


def subscribe(*event_types: str, name: str, applies: Callable[[int, str], bool] | None = None,
              batch: bool = False):
    """Decorator: `handler(event)` runs once per event of these types (or "*" for all).

    The relay records a receipt in the handler's transaction, so a handler's own
    database writes happen exactly once per event even when delivery repeats.

    `batch=True` declares that the handler takes no lock another writer also takes (no `SELECT ... FOR UPDATE`,
    no UPDATE of shared rows such as a conversation's seq or a customer; inserting rows of its own and reading
    are fine): the relay may then run it for a chunk of events in one transaction, one commit for the chunk.
    An event is relayed in a chunk only if every subscriber it has says so; the others get a transaction each,
    so a handler's locks are never held across events (a chunk holding a conversation's seq lock deadlocked
    against campaign senders).
    """

    def register(handler: Callable) -> Callable:
        if name in _subscribers and _subscribers[name].handler is not handler:
            raise ValueError(f"Subscriber name {name!r} is already taken.")
        _subscribers[name] = Subscriber(name=name, handler=handler, event_types=frozenset(event_types),
                                        applies=applies, batch=batch)
        return handler

    return register


def unsubscribe(name: str) -> None:
    _subscribers.pop(name, None)


def subscribers_for(event_type: str, brand_id: int | None = None) -> list[Subscriber]:
    """The subscribers of this type; with `brand_id`, those that apply to that brand's events."""
    return [s for s in _subscribers.values() if s.wants(event_type, brand_id)]
