"""A customer's RSVPs in their data export and on their timeline; erasing them gives their seat to the next in
line."""

from campaigns.events.models import Rsvp
from campaigns.events.services import event_rsvp
from crm.privacy.services import customer_erase, customer_export
from privtraffic.tenancy.actors import CustomerActor
from tests import factories


def test_rsvps_are_exported_and_erasing_frees_the_seat_for_the_waitlist(brand, owner):
    event = factories.make_event(brand, capacity=1, title="Run club")
    ann, bo = factories.make_customer(brand, "Ann"), factories.make_customer(brand, "Bo")
    event_rsvp(actor=CustomerActor(ann), event=event, customer=ann)
    event_rsvp(actor=CustomerActor(bo), event=event, customer=bo)

    exported = customer_export(customer=ann, actor=owner)
    section = exported["event_rsvps"]
    assert [(r["event"]["title"], r["status"]) for r in section] == [("Run club", "going")]

    customer_erase(customer=ann, actor=owner)
    assert Rsvp.objects.get(event=event, customer=ann).status == "cancelled"
    assert Rsvp.objects.get(event=event, customer=bo).status == "going"
    event.refresh_from_db()
    assert event.seats_taken == 1


def test_rsvps_show_on_the_customers_timeline(brand):
    from campaigns.events.crm_hooks import rsvp_timeline

    event = factories.make_event(brand, title="Run club")
    ann = factories.make_customer(brand, "Ann")
    event_rsvp(actor=CustomerActor(ann), event=event, customer=ann)
    entries = rsvp_timeline(ann, 10)
    assert [(e.kind, e.title, e.detail) for e in entries] == [("event", "RSVP to Run club", "Going")]
