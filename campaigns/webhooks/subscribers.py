"""Every public outbox event becomes a delivery to each endpoint of its brand that wants it.

batch=True: the handler reads endpoints and inserts deliveries of its own event (their first attempts are
queued on commit), so the relay may run it for a chunk of events in one transaction.
"""

from privtraffic.events.models import Event
from privtraffic.events.registry import WILDCARD, subscribe
from privtraffic.tenancy.actors import SystemActor

from .selectors import webhook_endpoints_want
from .services import webhook_deliveries_for_event


@subscribe(WILDCARD, name="campaigns.webhooks", applies=webhook_endpoints_want, batch=True)
def webhooks_on_event(event: Event) -> None:
    webhook_deliveries_for_event(actor=SystemActor.for_brand(event.brand_id, "subscriber:webhooks"), event=event)
