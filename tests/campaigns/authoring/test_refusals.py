"""Campaigns refuse what cannot be sent, with clear errors: unknown variables (on save), empty audiences (on
schedule), and another brand's groups, segments and surveys (404, never confirming they exist)."""

import pytest

from campaigns.authoring.selectors import campaign_get
from campaigns.authoring.services import campaign_create, campaign_schedule, campaign_update
from campaigns.models import Campaign, CampaignStatus
from chats.services import survey_card_payload
from crm.models import Segment
from crm.surveys import services as surveys
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.roles import Role
from tests import factories


def refused(call, **kwargs):
    with pytest.raises(ApplicationError) as exc:
        call(**kwargs)
    return exc.value


def test_unknown_variables_are_refused_on_save_saying_which(brand):
    error = refused(campaign_create, brand=brand, actor=factories.system(brand), name="Sale",
                    body="Hi {nickname}, {first_name}!", audience={"all": True})
    assert error.code == "unknown_variable" and error.status == 400
    assert "{nickname}" in error.message and "{first_name}" in error.message  # which, and what may be used
    assert "{nickname}" in error.fields["body"][0]
    assert not Campaign.objects.exists()

    campaign = factories.make_campaign(brand)
    error = refused(campaign_update, campaign=campaign, actor=factories.system(brand), body="Hi {coupon_code}")
    assert error.code == "unknown_variable"
    campaign.refresh_from_db()
    assert campaign.body == "Hi {first_name}, 20% off this week."


def test_a_group_post_has_no_first_name(brand):
    group = factories.make_group(brand)
    error = refused(campaign_create, brand=brand, actor=factories.system(brand), name="Post", channel="group",
                    body="Hi {first_name}", audience={"groups": [group.pk]})
    assert error.code == "unknown_variable" and "body" in error.fields


def test_an_empty_audience_is_refused_on_schedule(brand):
    campaign = factories.make_campaign(brand)
    error = refused(campaign_schedule, campaign=campaign, actor=factories.system(brand), send_at=None)
    assert (error.code, list(error.fields)) == ("empty_audience", ["audience"])
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT and campaign.next_run_at is None


def test_an_audience_nobody_may_receive_is_refused_on_schedule(brand):
    factories.make_customer(brand, "No Consent")
    nobody = Segment.objects.create(brand=brand, name="Nobody",
                                    definition={"all": [{"field": "tag", "op": "has", "value": "none-such"}]})
    for audience in ({"all": True}, {"segment": nobody.pk}):
        campaign = factories.make_campaign(brand, audience=audience)
        error = refused(campaign_schedule, campaign=campaign, actor=factories.system(brand), send_at=None)
        assert error.code == "empty_audience", audience
        assert error.message
        campaign.refresh_from_db()
        assert campaign.status == CampaignStatus.DRAFT


def test_another_brands_groups_segments_and_surveys_are_not_found(brand, other_brand):
    their_group = factories.make_group(other_brand)
    their_segment = Segment.objects.create(brand=other_brand, name="Theirs",
                                           definition={"all": [{"field": "tag", "op": "has", "value": "vip"}]})
    their_survey = surveys.survey_create(brand=other_brand, actor=factories.system(other_brand), title="Theirs")
    mine = factories.make_group(brand)
    system = factories.system(brand)
    attempts = [
        {"audience": {"groups": [their_group.pk]}},
        {"audience": {"groups": [mine.pk, their_group.pk]}},
        {"audience": {"segment": their_segment.pk}},
        {"audience": {"all": True}, "exclude_segment_id": their_segment.pk},
        {"audience": {"all": True}, "card_kind": "survey", "card_payload": survey_card_payload(survey=their_survey)},
    ]
    for fields in attempts:
        error = refused(campaign_create, brand=brand, actor=system, name="Sale", body="Hi", **fields)
        assert (error.code, error.status) == ("not_found", 404), fields
        assert str(their_group.pk) not in error.message
    assert not Campaign.objects.exists()

    campaign = factories.make_campaign(brand)
    for fields in attempts:
        error = refused(campaign_update, campaign=campaign, actor=system, **fields)
        assert error.status == 404, fields
    campaign.refresh_from_db()
    assert campaign.audience == {"all": True} and campaign.exclude_segment_id is None


def test_another_brands_campaign_is_not_found(brand, other_brand):
    campaign = factories.make_campaign(brand)
    assert refused(campaign_get, brand=other_brand, campaign_id=campaign.pk).status == 404
    stranger = factories.make_member(other_brand, Role.OWNER)
    for call in (campaign_schedule, campaign_update):
        assert refused(call, campaign=campaign, actor=stranger).status == 404
