"""Results: delivered, read (read state), clicks, last-touch attribution within the brand's window, per group and
per rep, over time in the brand's time zone."""

import datetime
from decimal import Decimal

from django.utils import timezone

from campaigns.models import CampaignSettings, Delivery
from campaigns.results import selectors
from tests import factories

from .conftest import PRODUCT, days_ago, join, read


def test_stats_count_delivered_skipped_and_read_from_read_state(brand, rep, reachable):
    mei, bo = reachable("Mei Lin", assigned_rep=rep), reachable("Bo Chen")
    factories.make_customer(brand, "No Consent")
    campaign = factories.send_campaign_now(factories.make_campaign(brand))
    read(mei, campaign)
    stats = selectors.campaign_stats(brand, campaign=campaign)
    assert stats | {"revenue": None} == stats | {
        "status": "sent", "total": 3, "delivered": 2, "skipped": 1, "failed": 0, "pending": 0, "deferred": 0,
        "skipped_by_reason": {"no_consent": 1}, "read": 1, "readers": 1, "clicks": 0, "clicked": 0, "redeemed": 0,
        "orders": 0, "revenue": None, "attribution_days": 5}
    read(bo, campaign)
    assert selectors.campaign_stats(brand, campaign=campaign)["read"] == 2


def test_reading_only_an_earlier_message_is_not_reading_the_campaign(brand, reachable):
    from chats.services import Sender, conversation_for_customer, conversation_mark_read, message_send

    mei = reachable("Mei Lin")
    conversation = conversation_for_customer(customer=mei)
    earlier = message_send(conversation=conversation, sender=Sender.of_customer(mei), body="hello")
    conversation_mark_read(conversation=conversation, participant_key=f"customer:{mei.pk}", reader_name="Mei",
                           seq=earlier.seq)
    campaign = factories.send_campaign_now(factories.make_campaign(brand))
    assert selectors.campaign_stats(brand, campaign=campaign)["read"] == 0


def test_orders_count_for_the_last_campaign_that_reached_the_customer_within_the_window(brand, rep, reachable,
                                                                                        sent_at):
    mei, bo, cy = reachable("Mei", assigned_rep=rep), reachable("Bo"), reachable("Cy")
    first = factories.send_campaign_now(factories.make_campaign(brand, name="First"))
    second = factories.send_campaign_now(factories.make_campaign(brand, name="Second"))
    start = days_ago(8)
    sent_at(first, start)
    sent_at(second, start + datetime.timedelta(days=2))
    at = lambda days: start + datetime.timedelta(days=days)  # noqa: E731
    factories.make_order(brand, mei, total="100.00", placed_at=at(1))  # first (second not sent yet)
    factories.make_order(brand, mei, total="50.00", placed_at=at(3))  # second: the latest touch
    factories.make_order(brand, bo, total="70.00", placed_at=at(6))  # second, 4 days after it
    factories.make_order(brand, bo, total="30.00", placed_at=at(7.5))  # 5.5 days after: outside the window
    factories.make_order(brand, cy, total="999.00", placed_at=at(1), status="cancelled")  # not revenue
    factories.make_order(brand, cy, total="999.00", placed_at=at(-1))  # before any campaign
    factories.make_order(brand, factories.make_customer(brand), total="999.00", placed_at=at(1))  # never reached

    first_stats = selectors.campaign_stats(brand, campaign=first)
    assert (first_stats["orders"], first_stats["revenue"]) == (1, {"CNY": "100.00"})
    second_stats = selectors.campaign_stats(brand, campaign=second)
    assert (second_stats["orders"], second_stats["revenue"]) == (2, {"CNY": "120.00"})

    CampaignSettings.objects.create(brand=brand, attribution_days=7)
    second_stats = selectors.campaign_stats(brand, campaign=second)
    assert (second_stats["orders"], second_stats["revenue"], second_stats["attribution_days"]) == (
        3, {"CNY": "150.00"}, 7)
    assert selectors.campaign_stats(brand, campaign=first)["orders"] == 1  # never counted twice

    by_rep = {row.key: row for row in selectors.campaign_breakdowns(brand, campaign=second,
                                                                    no_rep_label="Brand")["reps"]}
    assert by_rep[rep.pk].label == "Rita Rep" and (by_rep[rep.pk].delivered, by_rep[rep.pk].orders) == (1, 1)
    assert by_rep[None].label == "Brand" and (by_rep[None].delivered, by_rep[None].orders) == (2, 2)
    assert by_rep[None].revenue == {"CNY": "100.00"}


def test_a_group_post_counts_its_members_reads_and_orders_per_group(brand, reachable):
    vip, fans = factories.make_group(brand, "VIP"), factories.make_group(brand, "Fans")
    mei, bo, cy = reachable("Mei"), reachable("Bo"), reachable("Cy")
    join(vip, mei, days_ago(30))
    join(vip, bo, days_ago(30))
    join(fans, cy, days_ago(30))
    campaign = factories.send_campaign_now(factories.make_campaign(
        brand, body="New arrivals at {store_name}", channel="group", audience={"groups": [vip.pk, fans.pk]}))
    read(mei, campaign)
    read(bo, campaign)
    late = reachable("Late joiner")
    join(vip, late)  # joined after the post: their order is not the campaign's
    Delivery.objects.filter(campaign=campaign).update(sent_at=days_ago(1))
    factories.make_order(brand, mei, total="80.00")
    factories.make_order(brand, late, total="500.00", placed_at=timezone.now())
    factories.make_order(brand, factories.make_customer(brand), total="500.00")

    stats = selectors.campaign_stats(brand, campaign=campaign)
    assert (stats["total"], stats["delivered"], stats["read"], stats["readers"]) == (2, 2, 1, 2)
    assert (stats["orders"], stats["revenue"]) == (1, {"CNY": "80.00"})
    groups = {row.label: row for row in selectors.campaign_breakdowns(brand, campaign=campaign,
                                                                      no_rep_label="Brand")["groups"]}
    assert (groups["VIP"].delivered, groups["VIP"].read, groups["VIP"].orders) == (1, 1, 1)
    assert (groups["Fans"].delivered, groups["Fans"].read, groups["Fans"].orders) == (1, 0, 0)


def test_a_direct_campaign_to_groups_breaks_down_by_the_recipients_groups(brand, reachable):
    vip, fans = factories.make_group(brand, "VIP"), factories.make_group(brand, "Fans")
    mei, bo = reachable("Mei"), reachable("Bo")
    join(vip, mei)
    join(vip, bo)
    join(fans, bo)
    campaign = factories.send_campaign_now(factories.make_campaign(brand, audience={"groups": [vip.pk, fans.pk]}))
    read(bo, campaign)
    factories.make_order(brand, bo, total="10.00", placed_at=timezone.now() + datetime.timedelta(minutes=1))
    groups = {row.label: row for row in selectors.campaign_breakdowns(brand, campaign=campaign,
                                                                      no_rep_label="Brand")["groups"]}
    assert (groups["VIP"].delivered, groups["VIP"].read, groups["VIP"].orders) == (2, 1, 1)
    assert (groups["Fans"].delivered, groups["Fans"].read, groups["Fans"].orders) == (1, 1, 1)
    assert groups["Fans"].revenue == {"CNY": "10.00"}


def test_results_read_in_a_constant_number_of_queries(brand, rep, reachable, django_assert_max_num_queries):
    def measure():
        campaign = factories.send_campaign_now(factories.make_campaign(brand, card_kind="product",
                                                                       card_payload=PRODUCT))
        for customer in reachable_customers[:2]:
            read(customer, campaign)
            factories.make_order(brand, customer, placed_at=timezone.now() + datetime.timedelta(minutes=1))
        with django_assert_max_num_queries(8) as stats_queries:
            selectors.campaign_stats(brand, campaign=campaign)
        with django_assert_max_num_queries(10) as breakdown_queries:
            selectors.campaign_breakdowns(brand, campaign=campaign, no_rep_label="Brand")
        with django_assert_max_num_queries(3) as series_queries:
            selectors.campaign_series(brand, campaign=campaign)
        return len(stats_queries), len(breakdown_queries), len(series_queries)

    reachable_customers = [reachable(f"C{n}", assigned_rep=rep) for n in range(3)]
    small = measure()
    reachable_customers += [reachable(f"D{n}") for n in range(15)]
    CampaignSettings.objects.create(brand=brand, attribution_days=1)
    assert measure() == small


def test_deliveries_and_reads_over_time_are_bucketed_in_the_brand_time_zone(brand, reachable, sent_at):
    mei, bo = reachable("Mei"), reachable("Bo")
    campaign = factories.send_campaign_now(factories.make_campaign(brand))
    now = timezone.now().replace(minute=30)
    Delivery.objects.filter(campaign=campaign, customer=mei).update(sent_at=now - datetime.timedelta(hours=3))
    Delivery.objects.filter(campaign=campaign, customer=bo).update(sent_at=now - datetime.timedelta(hours=1))
    read(mei, campaign)
    series = selectors.campaign_series(brand, campaign=campaign, now=now)
    assert series.unit == "hour" and len(series.buckets) == 4
    assert series.buckets[0].utcoffset() == datetime.timedelta(hours=8)  # Asia/Shanghai
    assert series.delivered == [1, 0, 1, 0] and sum(series.read) == 1

    sent_at(campaign, now - datetime.timedelta(days=4))
    daily = selectors.campaign_series(brand, campaign=campaign, now=now)
    assert daily.unit == "day" and 5 <= len(daily.buckets) <= 6
    first = daily.buckets[0]
    assert (first.hour, first.minute) == (0, 0) and first.astimezone(datetime.UTC).hour == 16  # local midnight
    assert daily.delivered[0] == 2 and sum(daily.delivered) == 2


def test_no_deliveries_yet_means_an_empty_chart_and_zero_figures(brand, reachable):
    reachable()
    campaign = factories.make_campaign(brand)
    assert selectors.campaign_series(brand, campaign=campaign).buckets == []
    stats = selectors.campaign_stats(brand, campaign=campaign)
    assert (stats["total"], stats["orders"], stats["revenue"]) == (0, 0, {})
    assert selectors.campaign_breakdowns(brand, campaign=campaign, no_rep_label="x") == {"groups": [], "reps": []}
    assert Decimal("0") == sum(Decimal(v) for v in stats["revenue"].values())
