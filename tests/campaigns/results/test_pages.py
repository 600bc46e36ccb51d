"""The results page: figures, the SVG chart, per group / per rep tables and the attribution window."""

import datetime

from django.utils import timezone

from campaigns.models import CampaignSettings
from tests import factories

from .conftest import read


def _url(brand, campaign):
    return f"/b/{brand.slug}/campaigns/{campaign.pk}/results/"


def test_the_marketer_sees_figures_chart_and_tables(login, brand, marketer, rep, reachable):
    mei = reachable("Mei Lin", assigned_rep=rep)
    reachable("Bo Chen")
    campaign = factories.send_campaign_now(factories.make_campaign(brand, name="Spring sale"))
    read(mei, campaign)
    factories.make_order(brand, mei, total="120.00", placed_at=timezone.now() + datetime.timedelta(minutes=1))
    response = login(marketer).get(_url(brand, campaign))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Spring sale" in html and "<svg" in html and 'class="bar"' in html and "<polyline" in html
    assert 'data-stat="delivered">2<' in html and 'data-stat="read">1<' in html
    assert 'data-stat="orders">1<' in html and "120.00 CNY" in html
    assert "Rita Rep" in html  # per rep


def test_a_campaign_not_sent_yet_has_no_chart(login, brand, marketer):
    campaign = factories.make_campaign(brand)
    html = login(marketer).get(_url(brand, campaign)).content.decode()
    assert "<svg" not in html and "Nothing has been delivered yet." in html


def test_reps_may_not_see_results_and_other_brands_campaigns_are_404(login, brand, other_brand, rep, marketer):
    campaign = factories.make_campaign(brand)
    assert login(rep).get(_url(brand, campaign)).status_code == 403
    theirs = factories.make_campaign(other_brand)
    assert login(marketer).get(_url(brand, theirs)).status_code == 404
    assert login(marketer).get(f"/b/{brand.slug}/campaigns/{2**64}/results/").status_code == 404


def test_the_attribution_window_is_set_on_the_page(login, brand, marketer, rep):
    campaign = factories.make_campaign(brand)
    client = login(marketer)
    response = client.post(_url(brand, campaign), {"attribution_days": "7"})
    assert response.status_code == 302
    assert CampaignSettings.objects.get(brand=brand).attribution_days == 7
    for bad in ("0", "91", "٣", "seven", ""):
        assert client.post(_url(brand, campaign), {"attribution_days": bad}).status_code == 400
    assert CampaignSettings.objects.get(brand=brand).attribution_days == 7
    assert login(rep).post(_url(brand, campaign), {"attribution_days": "3"}).status_code == 403
    assert CampaignSettings.objects.get(brand=brand).attribution_days == 7


def test_the_page_reads_in_a_constant_number_of_queries(login, brand, marketer, rep, reachable,
                                                        django_assert_max_num_queries):
    client = login(marketer)

    def measure(n):
        for i in range(n):
            reachable(f"C{n}-{i}", assigned_rep=rep if i % 2 else None)
        campaign = factories.send_campaign_now(factories.make_campaign(brand, name=f"Run {n}"))
        with django_assert_max_num_queries(30) as queries:
            assert client.get(_url(brand, campaign)).status_code == 200
        return len(queries)

    assert measure(2) == measure(12)
