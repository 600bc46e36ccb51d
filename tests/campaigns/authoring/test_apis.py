"""/api/v1/campaigns/: create, list, edit, schedule, cancel, delete, preview; refusals change nothing."""

import datetime

import pytest

from campaigns.models import Campaign, CampaignStatus, Delivery
from privtraffic.tenancy.parsing import INT64_MAX
from tests import factories
from tests.helpers import api_error

BODY = {"name": "Spring sale", "body": "Hi {first_name}, 20% off.", "audience": {"all": True}}


def _create(api, **fields):
    response = api.post("/api/v1/campaigns/", {**BODY, **fields}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_create_makes_a_draft_the_integrator_reads_back(api, brand):
    created = _create(api, kind="announcement", channel="direct")
    assert created["status"] == "draft" and created["kind"] == "announcement"
    assert created["audience"] == {"all": True} and created["send_at"] is None
    got = api.get(f"/api/v1/campaigns/{created['id']}/").json()
    assert got == created


def test_list_is_cursor_paginated_filtered_by_status_in_constant_queries(api, brand, reachable,
                                                                        django_assert_max_num_queries):
    reachable()
    for n in range(6):
        factories.make_campaign(brand, name=f"Campaign {n}", exclude_segment_id=None)
    scheduled = factories.make_campaign(brand, name="Scheduled one")
    api.post(f"/api/v1/campaigns/{scheduled.pk}/schedule/", {"send_at": "2031-01-02T10:00:00"}, format="json")
    with django_assert_max_num_queries(4):
        page = api.get("/api/v1/campaigns/?limit=3").json()
    assert len(page["results"]) == 3 and page["next"]
    with django_assert_max_num_queries(4):
        rest = api.get(page["next"]).json()
    assert len(rest["results"]) == 3
    seen = {c["id"] for c in page["results"] + rest["results"] + api.get(rest["next"]).json()["results"]}
    assert len(seen) == 7
    only = api.get("/api/v1/campaigns/?status=scheduled").json()["results"]
    assert [c["id"] for c in only] == [scheduled.pk]
    api_error(api.get("/api/v1/campaigns/?status=sideways"), 400, "invalid")
    api_error(api.get("/api/v1/campaigns/?status="), 400, "invalid")


def test_unknown_variables_are_refused_and_nothing_is_saved(api, brand):
    error = api_error(api.post("/api/v1/campaigns/", {**BODY, "body": "Hi {nickname}!"}, format="json"),
                      400, "unknown_variable")
    assert "body" in error["fields"]
    campaign = factories.make_campaign(brand)
    api_error(api.patch(f"/api/v1/campaigns/{campaign.pk}/", {"body": "{coupon_code}"}, format="json"),
              400, "unknown_variable")
    campaign.refresh_from_db()
    assert Campaign.objects.filter(brand=brand).count() == 1 and "{first_name}" in campaign.body


def test_patch_edits_a_draft_and_is_locked_once_sending(api, brand, reachable):
    reachable()
    campaign = factories.make_campaign(brand)
    response = api.patch(f"/api/v1/campaigns/{campaign.pk}/", {"name": "Renamed", "exclude_segment": None},
                         format="json")
    assert response.status_code == 200 and response.json()["name"] == "Renamed"
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SENDING)
    api_error(api.patch(f"/api/v1/campaigns/{campaign.pk}/", {"name": "Too late"}, format="json"),
              409, "campaign_locked")
    assert Campaign.objects.get(pk=campaign.pk).name == "Renamed"


def test_delete_removes_a_draft_only(api, brand, reachable):
    reachable()
    draft = factories.make_campaign(brand, name="Draft")
    assert api.delete(f"/api/v1/campaigns/{draft.pk}/").status_code == 204
    assert not Campaign.objects.filter(pk=draft.pk).exists()
    sent = factories.send_campaign_now(factories.make_campaign(brand, name="Sent"))
    api_error(api.delete(f"/api/v1/campaigns/{sent.pk}/"), 409, "campaign_locked")
    assert Campaign.objects.filter(pk=sent.pk).exists()


def test_schedule_reads_a_time_without_offset_in_the_brand_time_zone(api, brand, reachable):
    reachable()
    campaign = factories.make_campaign(brand)
    response = api.post(f"/api/v1/campaigns/{campaign.pk}/schedule/", {"send_at": "2031-03-06T20:00:00"},
                        format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "scheduled"
    assert body["send_at"] == "2031-03-06T20:00:00+08:00"  # Asia/Shanghai
    campaign.refresh_from_db()
    assert campaign.next_run_at == datetime.datetime(2031, 3, 6, 12, 0, tzinfo=datetime.UTC)


def test_schedule_null_means_now_and_the_dispatcher_sends_it(api, brand, reachable):
    reachable()
    campaign = factories.make_campaign(brand)
    body = api.post(f"/api/v1/campaigns/{campaign.pk}/schedule/", {"send_at": None}, format="json").json()
    assert body["status"] == "scheduled" and body["send_at"] is None and body["next_run_at"]


def test_an_audience_nobody_can_receive_is_refused(api, brand):
    factories.make_customer(brand, "No Consent")
    campaign = factories.make_campaign(brand)
    error = api_error(api.post(f"/api/v1/campaigns/{campaign.pk}/schedule/", {"send_at": None}, format="json"),
                      400, "empty_audience")
    assert "audience" in error["fields"]
    empty_group = factories.make_group(brand)
    grouped = factories.make_campaign(brand, audience={"groups": [empty_group.pk]})
    api_error(api.post(f"/api/v1/campaigns/{grouped.pk}/schedule/", {}, format="json"), 400, "empty_audience")
    assert set(Campaign.objects.filter(brand=brand).values_list("status", flat=True)) == {"draft"}


def test_cancel_stops_a_scheduled_campaign_and_twice_is_a_conflict(api, brand, reachable):
    reachable()
    campaign = factories.make_campaign(brand)
    api.post(f"/api/v1/campaigns/{campaign.pk}/schedule/", {"send_at": "2031-01-01T09:00:00Z"}, format="json")
    body = api.post(f"/api/v1/campaigns/{campaign.pk}/cancel/", format="json").json()
    assert body["status"] == "cancelled" and body["next_run_at"] is None
    api_error(api.post(f"/api/v1/campaigns/{campaign.pk}/cancel/", format="json"), 409, "campaign_locked")


def test_preview_splits_the_audience_by_what_will_happen(api, brand, reachable):
    reachable()
    reachable()
    factories.make_customer(brand, "No Consent")
    reachable("Withdrawn", consent_promotions=False)
    campaign = factories.make_campaign(brand)
    body = api.get(f"/api/v1/campaigns/{campaign.pk}/preview/").json()
    assert body["total"] == 4 and body["will_receive"] == 2 and body["deferred"] == 0
    assert body["skipped"] == {"no_consent": 2}


def test_other_brands_campaigns_groups_and_segments_are_404(api, brand, other_brand):
    theirs = factories.make_campaign(other_brand)
    for method, path in (("get", ""), ("patch", ""), ("delete", ""), ("post", "schedule/"), ("post", "cancel/"),
                         ("get", "stats/"), ("get", "recipients/"), ("get", "preview/")):
        response = getattr(api, method)(f"/api/v1/campaigns/{theirs.pk}/{path}", {}, format="json")
        api_error(response, 404, "not_found")
    their_group = factories.make_group(other_brand)
    api_error(api.post("/api/v1/campaigns/", {**BODY, "audience": {"groups": [their_group.pk]}}, format="json"),
              404, "not_found")
    assert not Campaign.objects.filter(brand=brand).exists()
    theirs.refresh_from_db()
    assert theirs.status == "draft"


HOSTILE_BODIES = [
    {**BODY, "name": 5},
    {**BODY, "name": ["Spring"]},
    {**BODY, "body": {"text": "hi"}},
    {**BODY, "audience": {"groups": ["1"]}},
    {**BODY, "audience": {"groups": [True]}},
    {**BODY, "audience": {"groups": [INT64_MAX + 1]}},
    {**BODY, "audience": {"groups": [2**70]}},
    {**BODY, "audience": {"segment": -1}},
    {**BODY, "audience": {"all": "yes"}},
    {**BODY, "audience": [1, 2]},
    {**BODY, "audience": {"groups": list(range(1, 300))}},
    {**BODY, "exclude_segment": 2**64},
    {**BODY, "exclude_segment": "1"},
    {**BODY, "confirm_hours": "24"},
    {**BODY, "confirm_hours": 10**6},
    {**BODY, "channel": 1},
    {**BODY, "kind": "spam"},
    {**BODY, "send_at": 1700000000},
    {**BODY, "card_payload": [1]},
    {**BODY, "recurrence": {"days": [7], "time": "25:00"}},
    {**BODY, "recurrence": "every day"},
    ["not", "an", "object"],
]


@pytest.mark.parametrize("body", HOSTILE_BODIES)
def test_hostile_bodies_are_a_clear_400_and_change_nothing(api, brand, body):
    campaign = factories.make_campaign(brand)
    before = Campaign.objects.get(pk=campaign.pk)
    response = api.post("/api/v1/campaigns/", body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] in ("invalid", "unknown_variable")
    if isinstance(body, dict):
        response = api.patch(f"/api/v1/campaigns/{campaign.pk}/", body, format="json")
        assert response.status_code == 400, response.content
    assert Campaign.objects.filter(brand=brand).count() == 1
    after = Campaign.objects.get(pk=campaign.pk)
    assert (after.name, after.body, after.audience, after.updated_at) == (
        before.name, before.body, before.audience, before.updated_at)


def _raw(api, method, url, text):
    return getattr(api, method)(url, data=text, content_type="application/json")


def test_nul_bytes_and_deep_json_are_refused_before_anything_is_written(api, brand):
    campaign = factories.make_campaign(brand)
    deep = '{"groups": ' + "[" * 40 + "1" + "]" * 40 + "}"
    for text in ('{"name": "Spring\\u0000", "body": "hi", "audience": {"all": true}}',
                 '{"name": "Spring", "body": "hi", "audience": ' + deep + "}",
                 '{"name": "Spring", "body": "hi", "audience": {"all": true}, "card_payload": {"k\\u0000": 1}}'):
        assert _raw(api, "post", "/api/v1/campaigns/", text).status_code == 400
        assert _raw(api, "patch", f"/api/v1/campaigns/{campaign.pk}/", text).status_code == 400
    assert _raw(api, "post", f"/api/v1/campaigns/{campaign.pk}/schedule/",
                '{"send_at": "2031-01-01T00:00:00\\u0000"}').status_code == 400
    assert Campaign.objects.filter(brand=brand).count() == 1
    campaign.refresh_from_db()
    assert campaign.status == "draft" and campaign.name == "Spring sale"
    assert not Delivery.objects.exists()


def test_huge_and_odd_ids_in_paths_are_404(api, brand):
    for path in (f"/api/v1/campaigns/{2**64}/", f"/api/v1/campaigns/{2**64}/stats/"):
        api_error(api.get(path), 404, "not_found")


def test_preview_counts_quiet_hours_as_deferred_at_the_scheduled_time(api, brand, reachable):
    from crm.consent.services import contact_policy_save

    contact_policy_save(brand=brand, actor=factories.system(brand), quiet_hours_start=datetime.time(22, 0),
                        quiet_hours_end=datetime.time(8, 0), weekly_promotion_budget=3)
    reachable()
    reachable()
    campaign = factories.make_campaign(brand)
    api.post(f"/api/v1/campaigns/{campaign.pk}/schedule/", {"send_at": "2031-05-09T23:30:00"}, format="json")
    body = api.get(f"/api/v1/campaigns/{campaign.pk}/preview/").json()
    assert (body["total"], body["will_receive"], body["deferred"]) == (2, 0, 2)
    assert body["at"] == "2031-05-09T23:30:00+08:00"
    api.patch(f"/api/v1/campaigns/{campaign.pk}/", {"send_at": "2031-05-09T12:00:00+08:00"}, format="json")
    body = api.get(f"/api/v1/campaigns/{campaign.pk}/preview/").json()
    assert (body["will_receive"], body["deferred"]) == (2, 0)
