"""A campaign of kind group_buy carries the card: authoring accepts {"title", "ref"} of the brand's group-buy,
the fan-out posts it, and the groups it went to are remembered (joins refresh it there, tiers are announced)."""

import pytest

from campaigns.groupbuys.models import GroupBuyPost
from chats.models import Message
from privtraffic.tenancy.errors import ApplicationError
from tests import factories


def test_a_group_buy_campaign_posts_the_card_and_its_groups_are_remembered(brand, deal,
                                                                            django_capture_on_commit_callbacks):
    group = factories.make_group(brand, "Serum lovers")
    campaign = factories.make_campaign(brand, name="Team buy", kind="group_buy", body="Join us!", channel="group",
                                       card_kind="group_buy", card_payload={"title": deal.title, "ref": deal.pk},
                                       audience={"groups": [group.pk]})
    with django_capture_on_commit_callbacks(execute=True):
        campaign = factories.send_campaign_now(campaign)
    (card,) = Message.objects.filter(kind="group_buy")
    assert card.payload["ref"] == deal.pk and card.conversation.group_id == group.pk
    assert GroupBuyPost.objects.filter(group_buy=deal, conversation=card.conversation).count() == 1


def test_a_campaign_cannot_carry_another_brands_group_buy(brand, other_brand):
    theirs = factories.make_group_buy(other_brand)
    with pytest.raises(ApplicationError) as refused:
        factories.make_campaign(brand, kind="group_buy", card_kind="group_buy",
                                card_payload={"title": "x", "ref": theirs.pk})
    assert refused.value.status == 404


def test_the_builder_offers_open_group_buys_and_saves_the_card(brand, marketer, login, deal):
    from campaigns.models import Campaign
    from tests.campaigns.authoring.test_pages import builder_post

    ended = factories.make_group_buy(brand, title="Old deal", status="succeeded")
    client = login(marketer)
    page = client.get(f"/b/{brand.slug}/campaigns/new/").content.decode()
    assert 'data-card="group_buy"' in page and "Serum team buy" in page and "Old deal" not in page
    refused = client.post(f"/b/{brand.slug}/campaigns/new/",
                          builder_post(kind="group_buy", card_kind="group_buy", group_buy=str(ended.pk)))
    assert refused.status_code == 400 and not Campaign.objects.exists()
    response = client.post(f"/b/{brand.slug}/campaigns/new/",
                           builder_post(kind="group_buy", card_kind="group_buy", group_buy=str(deal.pk)))
    assert response.status_code == 302
    campaign = Campaign.objects.get()
    assert campaign.card_kind == "group_buy" and campaign.card_payload == {"title": deal.title, "ref": deal.pk}
    edit = client.get(f"/b/{brand.slug}/campaigns/{campaign.pk}/edit/").content.decode()
    assert f'<option value="{deal.pk}" selected>' in edit
