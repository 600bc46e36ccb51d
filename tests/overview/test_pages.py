"""The brand home /b/<slug>/: figures, charts, drill-down links, the period and store filters, the checklist."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from chats.models import Message
from chats.services import Sender, message_send
from communities.groups.services import group_member_add
from communities.invites.services import invite_open_record
from crm.models import CustomerSource
from privtraffic.tenancy.roles import Role
from tests import factories

pytestmark = pytest.mark.django_db


def _busy_brand(brand, store, rep, system):
    group = factories.make_group(brand, "Glow Club", store=store)
    invite = factories.make_invite(brand, group=group, store=store)
    for _ in range(4):
        invite_open_record(invite=invite, actor=system)
    customers = [factories.make_customer(brand, source=CustomerSource.INVITE_LINK, assigned_rep=rep, home_store=store,
                                         consent_chat=True) for _ in range(2)]
    for customer in customers:
        group_member_add(group=group, customer=customer, actor=system)
    conversation = factories.make_conversation(brand, customers[0])
    asked = message_send(conversation=conversation, sender=Sender.of_customer(customers[0]), body="Hello?")
    answer = message_send(conversation=conversation, sender=Sender.of_staff(rep), body="Hi!")
    Message.objects.filter(pk=asked.pk).update(created_at=answer.created_at - datetime.timedelta(minutes=2))
    return group, customers


def test_overview_shows_each_panel_with_charts_and_links_to_the_lists_behind(login, brand, store, rep, system,
                                                                             django_assert_max_num_queries):
    group, _customers = _busy_brand(brand, store, rep, system)
    client = login(factories.owner_of(brand))
    with django_assert_max_num_queries(40):  # the first view also writes the period's missing rollup days
        response = client.get(f"/b/{brand.slug}/")
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count('<svg class="chart') == 3
    assert "Members and joins" in page and "Messages" in page and "Invite funnel" in page
    customers = reverse("crm:customers", kwargs={"slug": brand.slug})
    assert f'href="{customers}?joined_days=30"' in page
    assert f'href="{customers}?active_days=30"' in page
    assert f'href="{customers}?joined_days=30&amp;via=invite&amp;surveyed=1"' in page
    assert f'href="{customers}?rep={rep.pk}"' in page
    assert reverse("communities:group_members", kwargs={"slug": brand.slug, "group_id": group.pk}) in page
    assert "2 min" in page  # the median first response
    funnel = re.findall(r'<th scope="row">([^<]+)</th>\s*<td><a href="[^"]+">(\d+)</a>', page)
    assert funnel == [("Opened an invite", "4"), ("Joined", "2"), ("Answered a survey", "0"), ("Ordered", "0")]


def test_a_drill_down_link_lists_exactly_the_customers_counted(login, brand, store, rep, system):
    _busy_brand(brand, store, rep, system)
    factories.make_customer(brand, source=CustomerSource.IMPORT)
    client = login(factories.owner_of(brand))
    page = client.get(f"/b/{brand.slug}/customers/?joined_days=30&via=invite").content.decode()
    assert page.count("data-customer-id=") == 2
    assert "came through an invite link" in page
    assert client.get(f"/b/{brand.slug}/customers/?joined_days=30").content.decode().count("data-customer-id=") == 3
    assert client.get(f"/b/{brand.slug}/customers/?rep={rep.pk}").content.decode().count("data-customer-id=") == 2


@pytest.mark.parametrize("query", ["period=365", "period=%EF%BC%93%EF%BC%90", "store=abc", "store=99999999999999999999"])
def test_bad_period_or_store_is_a_clear_400(login, brand, query):
    response = login(factories.owner_of(brand)).get(f"/b/{brand.slug}/?{query}")
    assert response.status_code == 400


@pytest.mark.parametrize("query", ["joined_days=365", "via=api", "surveyed=yes", "rep=x"])
def test_bad_drill_filter_on_the_customer_list_is_a_clear_400(login, brand, query):
    assert login(factories.owner_of(brand)).get(f"/b/{brand.slug}/customers/?{query}").status_code == 400


def test_another_brands_store_is_a_404(login, brand, other_brand):
    theirs = factories.make_store(other_brand)
    assert login(factories.owner_of(brand)).get(f"/b/{brand.slug}/?store={theirs.pk}").status_code == 404


def test_period_and_store_narrow_the_figures(login, brand, store, rep, system):
    _busy_brand(brand, store, rep, system)
    other_store = factories.make_store(brand, "Pudong")
    client = login(factories.owner_of(brand))
    page = client.get(f"/b/{brand.slug}/?period=7&store={other_store.pk}").content.decode()
    assert re.search(r'id="stat-members"[^>]*><span class="stat-value">0<', page)
    assert f"joined_days=7&amp;store={other_store.pk}" in page
    page = client.get(f"/b/{brand.slug}/?period=7&store={store.pk}").content.decode()
    assert re.search(r'id="stat-members"[^>]*><span class="stat-value">2<', page)


def test_a_rep_sees_their_own_store_only(login, brand, store, rep, system):
    _busy_brand(brand, store, rep, system)
    elsewhere = factories.make_store(brand, "Pudong")
    factories.make_customer(brand, home_store=elsewhere)
    page = login(rep).get(f"/b/{brand.slug}/?store={elsewhere.pk}").content.decode()
    assert 'id="overview-store"' not in page
    assert re.search(r'id="stat-members"[^>]*><span class="stat-value">2<', page)


def test_checklist_shows_the_next_steps_until_done(login, brand, store, rep, system):
    client = login(factories.owner_of(brand))
    page = client.get(f"/b/{brand.slug}/").content.decode()
    assert "Getting started" in page
    assert f'href="{reverse("communities:groups", kwargs={"slug": brand.slug})}">Create a group' in page
    assert "<s>Add your first store</s>" in page and "<s>Invite your first rep</s>" in page
    _busy_brand(brand, store, rep, system)
    assert "Getting started" not in client.get(f"/b/{brand.slug}/").content.decode()


def test_new_brand_sees_every_step_open_and_empty_panels(login, db):
    brand = factories.make_brand("fresh")
    page = login(factories.owner_of(brand)).get(f"/b/{brand.slug}/").content.decode()
    assert page.count("<s>") == 0 and "Add your first store" in page
    assert "No one joined a group in this period." in page


def test_the_url_name_stays_tenancy_overview(brand):
    assert reverse("tenancy:overview", kwargs={"slug": brand.slug}) == f"/b/{brand.slug}/"


def test_times_are_days_in_the_brands_time_zone(login, brand, store, rep, system):
    brand.time_zone = "Asia/Shanghai"
    brand.save()
    customer = factories.make_customer(brand)
    # 23:30 UTC is the next morning in Shanghai: the join belongs to that day's bar.
    at = timezone.now().replace(hour=23, minute=30) - datetime.timedelta(days=2)
    type(customer).objects.filter(pk=customer.pk).update(created_at=at)
    page = login(factories.owner_of(brand)).get(f"/b/{brand.slug}/?period=7").content.decode()
    label = (at + datetime.timedelta(hours=8)).strftime("%b ") + str((at + datetime.timedelta(hours=8)).day)
    assert f"<title>{label} · joined: 1</title>" in page
    assert factories.make_member(brand, Role.MARKETER)


def test_the_campaign_panel_shows_what_each_campaign_did_and_links_to_its_results(login, brand, store, rep, system,
                                                                                   ):
    from campaigns.models import Delivery
    from crm.consent.services import contact_policy_save

    contact_policy_save(brand=brand, actor=system, quiet_hours_start=datetime.time(0, 0),
                        quiet_hours_end=datetime.time(0, 0), weekly_promotion_budget=3)  # any hour of the day
    customers = [factories.make_customer(brand, assigned_rep=rep, home_store=store, consent_chat=True,
                                         consent_promotions=True) for _ in range(3)]
    campaign = factories.send_campaign_now(factories.make_campaign(brand, name="Spring sale"))
    assert Delivery.objects.filter(campaign=campaign, status="sent").count() == 3
    factories.make_order(brand, customers[0], total="199.00")  # placed after the message: last touch
    client = login(factories.owner_of(brand))
    page = client.get(f"/b/{brand.slug}/").content.decode()
    results = reverse("campaigns:results", kwargs={"slug": brand.slug, "campaign_id": campaign.pk})
    row = re.search(rf'<tr><td><a href="{results}">Spring sale</a></td><td>(\d+)</td>.*?<td>(\d+)</td>'
                    rf'<td class="hide-phone">([^<]+)</td></tr>', page)
    assert row is not None and row.groups() == ("3", "1", "199.00 CNY")
    # Another store's view counts that store's customers only: none here.
    other = factories.make_store(brand, "Xuhui")
    assert "No campaign reached customers in this period." in client.get(f"/b/{brand.slug}/?store={other.pk}").content.decode()


def test_a_rep_has_no_campaign_panel(login, brand, store, rep):
    assert 'id="campaigns-panel"' not in login(rep).get(f"/b/{brand.slug}/").content.decode()
