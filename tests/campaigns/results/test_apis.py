"""/api/v1/campaigns/{id}/stats/ and /recipients/."""

import datetime

from django.utils import timezone

from campaigns.models import Delivery
from tests import factories
from tests.helpers import api_error

from .conftest import read


def test_stats_follow_the_contract_and_say_why_recipients_were_skipped(api, brand, reachable):
    mei = reachable("Mei")
    reachable("Bo")
    factories.make_customer(brand, "No Consent")
    reachable("Withdrawn", consent_promotions=False)
    campaign = factories.send_campaign_now(factories.make_campaign(brand))
    read(mei, campaign)
    factories.make_order(brand, mei, total="88.50", placed_at=timezone.now() + datetime.timedelta(minutes=1))
    body = api.get(f"/api/v1/campaigns/{campaign.pk}/stats/").json()
    assert {k: body[k] for k in ("status", "total", "delivered", "skipped", "failed", "read", "redeemed")} == {
        "status": "sent", "total": 4, "delivered": 2, "skipped": 2, "failed": 0, "read": 1, "redeemed": 0}
    assert body["skipped_by_reason"] == {"no_consent": 2}
    assert (body["pending"], body["deferred"], body["clicks"]) == (0, 0, 0)
    assert (body["orders"], body["revenue"]) == (1, {"CNY": "88.50"})


def test_stats_of_a_draft_are_zero(api, brand):
    campaign = factories.make_campaign(brand)
    body = api.get(f"/api/v1/campaigns/{campaign.pk}/stats/").json()
    assert (body["status"], body["total"], body["delivered"], body["orders"]) == ("draft", 0, 0, 0)


def test_recipients_are_cursor_paginated_filtered_and_read_in_constant_queries(api, brand, reachable,
                                                                              django_assert_max_num_queries):
    for n in range(5):
        reachable(f"R{n}")
    for n in range(2):
        factories.make_customer(brand, f"No consent {n}")
    campaign = factories.send_campaign_now(factories.make_campaign(brand))
    with django_assert_max_num_queries(4):
        page = api.get(f"/api/v1/campaigns/{campaign.pk}/recipients/?limit=4").json()
    assert len(page["results"]) == 4 and page["next"]
    with django_assert_max_num_queries(4):
        rest = api.get(page["next"]).json()
    assert len(rest["results"]) == 3 and rest["next"] is None
    row = page["results"][0]
    assert set(row) >= {"customer", "group", "status", "reason", "sent_at"}
    skipped = api.get(f"/api/v1/campaigns/{campaign.pk}/recipients/?status=skipped").json()["results"]
    assert len(skipped) == 2 and {r["reason"] for r in skipped} == {"no_consent"} and skipped[0]["sent_at"] is None
    sent = api.get(f"/api/v1/campaigns/{campaign.pk}/recipients/?status=sent").json()["results"]
    assert len(sent) == 5 and all(r["sent_at"].endswith("+08:00") for r in sent)
    by_reason = api.get(f"/api/v1/campaigns/{campaign.pk}/recipients/?reason=no_consent").json()["results"]
    assert len(by_reason) == 2
    api_error(api.get(f"/api/v1/campaigns/{campaign.pk}/recipients/?status=lost"), 400, "invalid")
    api_error(api.get(f"/api/v1/campaigns/{campaign.pk}/recipients/?reason=%00"), 400, "invalid_characters")


def test_recipients_show_only_this_campaigns_rows(api, brand, other_brand, reachable):
    reachable("Mei")
    mine = factories.send_campaign_now(factories.make_campaign(brand, name="Mine"))
    factories.send_campaign_now(factories.make_campaign(brand, name="Another"))
    results = api.get(f"/api/v1/campaigns/{mine.pk}/recipients/").json()["results"]
    assert [r["id"] for r in results] == list(Delivery.objects.filter(campaign=mine).values_list("id", flat=True))


def test_stats_show_recipients_deferred_by_quiet_hours_as_pending(api, brand, reachable):
    reachable("Mei")
    reachable("Bo")
    campaign = factories.send_campaign_now(factories.make_campaign(brand))
    later = timezone.now() + datetime.timedelta(hours=5)
    Delivery.objects.filter(campaign=campaign).update(status="pending", reason="quiet_hours", not_before=later,
                                                      sent_at=None, message=None)
    body = api.get(f"/api/v1/campaigns/{campaign.pk}/stats/").json()
    assert (body["pending"], body["deferred"], body["delivered"], body["skipped"]) == (2, 2, 0, 0)
    assert body["skipped_by_reason"] == {}
    recipients = api.get(f"/api/v1/campaigns/{campaign.pk}/recipients/?status=pending").json()["results"]
    assert {r["reason"] for r in recipients} == {"quiet_hours"} and all(r["not_before"] for r in recipients)
