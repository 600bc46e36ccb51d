"""/api/v1/events/ (read): the brand's events and their RSVPs, with the one error object."""

from campaigns.events.services import event_rsvp
from privtraffic.tenancy.actors import CustomerActor
from tests import factories
from tests.helpers import api_error


def test_events_and_rsvps_are_listed_for_the_brand_only(api, brand, other_brand, django_assert_max_num_queries):
    event = factories.make_event(brand, capacity=1, title="Run club")
    factories.make_event(other_brand, title="Theirs")
    ann, bo = factories.make_customer(brand, "Ann"), factories.make_customer(brand, "Bo")
    for c in (ann, bo):
        event_rsvp(actor=CustomerActor(c), event=event, customer=c)
    with django_assert_max_num_queries(6):
        listing = api.get("/api/v1/events/").json()
    assert [e["title"] for e in listing["results"]] == ["Run club"]
    assert listing["results"][0]["seats_left"] == 0 and listing["results"][0]["seats_taken"] == 1
    detail = api.get(f"/api/v1/events/{event.pk}/").json()
    assert detail["capacity"] == 1 and detail["status"] == "published"
    rsvps = api.get(f"/api/v1/events/{event.pk}/rsvps/").json()["results"]
    assert sorted((r["customer"], r["status"]) for r in rsvps) == sorted([(ann.pk, "going"), (bo.pk, "waitlisted")])
    waiting = api.get(f"/api/v1/events/{event.pk}/rsvps/?status=waitlisted").json()["results"]
    assert [(r["customer"], r["waitlist_position"]) for r in waiting] == [(bo.pk, 1)]


def test_bad_ids_and_filters_are_clear_errors(api, brand, other_brand):
    theirs = factories.make_event(other_brand)
    assert api_error(api.get(f"/api/v1/events/{theirs.pk}/"), 404, "not_found")
    assert api_error(api.get(f"/api/v1/events/{theirs.pk}/rsvps/"), 404, "not_found")
    mine = factories.make_event(brand)
    assert api_error(api.get(f"/api/v1/events/{mine.pk}/rsvps/?status=maybe"), 400, "invalid")
