import pytest

from privtraffic.events.models import Event
from privtraffic.events.services import event_relay
from tests import factories


def relay(brand, *types: str) -> int:
    """Run the outbox relay over the brand's pending events (of these types), as the relay task would."""
    events = Event.objects.filter(brand=brand, relayed_at__isnull=True)
    if types:
        events = events.filter(type__in=types)
    done = 0
    for event in events.order_by("created_at"):
        done += bool(event_relay(event=event))
    return done


@pytest.fixture
def customer(brand, rep, store):
    user = factories.make_user(password=None)
    return factories.make_customer(brand, "Mei Lin", email=user.email, user=user, assigned_rep=rep,
                                   home_store=store)


ITEMS = [{"sku": "SER-30", "name": "Vitamin C Serum 30ml", "quantity": 2, "price": "199.00"},
         {"sku": "MASK-5", "name": "Sheet mask (5)", "quantity": 1, "price": "59.90"}]
