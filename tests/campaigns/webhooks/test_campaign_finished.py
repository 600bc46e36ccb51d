"""campaign.finished: recorded once when a run has nothing left pending, and delivered to webhooks."""

import json

import pytest

from campaigns.models import CampaignRun
from campaigns.sending.dispatcher import run_finish_if_done
from campaigns.webhooks.models import WebhookDelivery
from privtraffic.events.models import Event
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_finished_run_records_campaign_finished_once(brand, rep, reachable, private_ok, receiver):
    endpoint = factories.make_webhook_endpoint(brand, url=receiver.url, events=["campaign.finished"])
    reachable("Mei Lin", assigned_rep=rep)
    factories.make_customer(brand, "No Consent")
    campaign = factories.send_campaign_now(factories.make_campaign(brand))
    run = CampaignRun.objects.get(campaign=campaign)

    event = Event.objects.get(brand=brand, type="campaign.finished")
    assert event.payload["campaign_id"] == campaign.pk and event.payload["run_id"] == run.pk
    assert (event.payload["total"], event.payload["sent"], event.payload["skipped"]) == (2, 1, 1)
    assert run_finish_if_done(run_id=run.pk) is False  # finishing again records nothing
    assert Event.objects.filter(brand=brand, type="campaign.finished").count() == 1

    # The relay ran on commit: the endpoint got it (and only it: the chunk's messages.created is filtered out).
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.status == "succeeded"
    assert [json.loads(r.body)["type"] for r in receiver.requests] == ["campaign.finished"]
    assert json.loads(receiver.requests[0].body)["data"]["campaign_id"] == campaign.pk
