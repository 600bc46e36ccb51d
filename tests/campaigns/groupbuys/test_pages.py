"""The dashboard pages of group-buys and the customer's referral page /g/<code>/."""

import datetime

from django.utils import timezone

from campaigns.groupbuys.models import GroupBuy, GroupBuyParticipant, GroupBuyPost
from campaigns.groupbuys.services import group_buy_join
from chats.models import Message
from crm.models import Customer
from privtraffic.tenancy.actors import CustomerActor
from tests import factories


def _future(days=3):
    return (timezone.localtime(timezone.now() + datetime.timedelta(days=days))).strftime("%Y-%m-%dT%H:%M")


def test_the_list_shows_group_buys_and_the_nav_links_to_it(login, brand, marketer, deal,
                                                           django_assert_max_num_queries):
    client = login(marketer)
    for _ in range(3):
        factories.make_group_buy(brand)
    with django_assert_max_num_queries(12):
        response = client.get(f"/b/{brand.slug}/group-buys/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Serum team buy" in html and f'href="/b/{brand.slug}/group-buys/"' in html
    assert client.get(f"/b/{brand.slug}/group-buys/?status=open").status_code == 200
    assert client.get(f"/b/{brand.slug}/group-buys/?status=nonsense").status_code == 400


def test_a_marketer_creates_a_group_buy_with_tiers_and_a_deadline_in_the_brands_zone(login, brand, marketer, deal):
    brand.time_zone = "Asia/Shanghai"
    brand.save(update_fields=["time_zone"])
    client = login(marketer)
    assert client.get(f"/b/{brand.slug}/group-buys/new/").status_code == 200
    response = client.post(f"/b/{brand.slug}/group-buys/new/", {
        "product": deal.product_id, "title": "Team serum", "tiers": "2 179.00\n5 159.00\n10 139.00",
        "deadline": "2031-05-01T20:00"})
    assert response.status_code == 302
    created = GroupBuy.objects.get(title="Team serum")
    assert created.deadline == datetime.datetime(2031, 5, 1, 12, 0, tzinfo=datetime.UTC)
    assert created.tiers == [{"min": 2, "price": "179.00"}, {"min": 5, "price": "159.00"},
                             {"min": 10, "price": "139.00"}]
    assert created.currency == "CNY" and created.status == "open"


def test_bad_input_on_the_form_is_shown_and_saves_nothing(login, brand, marketer, deal, other_brand):
    client = login(marketer)
    theirs = factories.make_group_buy(other_brand)
    before = GroupBuy.objects.count()
    for data in [
        {"product": deal.product_id, "title": "x", "tiers": "5 159\n2 179", "deadline": _future()},
        {"product": deal.product_id, "title": "x", "tiers": "2 179", "deadline": "2001-01-01T00:00"},
        {"product": deal.product_id, "title": "x", "tiers": "2 179", "deadline": "tomorrow"},
        {"product": theirs.product_id, "title": "x", "tiers": "2 179", "deadline": _future()},
        {"product": "１", "title": "x", "tiers": "2 179", "deadline": _future()},
        {"product": deal.product_id, "title": "", "tiers": "2 179", "deadline": _future()},
    ]:
        response = client.post(f"/b/{brand.slug}/group-buys/new/", data)
        assert response.status_code == 400, data
    assert GroupBuy.objects.count() == before


def test_edit_changes_an_open_group_buy(login, brand, marketer, deal):
    client = login(marketer)
    assert client.get(f"/b/{brand.slug}/group-buys/{deal.pk}/edit/").status_code == 200
    response = client.post(f"/b/{brand.slug}/group-buys/{deal.pk}/edit/", {
        "product": deal.product_id, "title": "Renamed", "tiers": "3 170", "deadline": _future()})
    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.title == "Renamed" and deal.tiers == [{"min": 3, "price": "170.00"}]


def test_the_page_shows_participants_referrals_per_referrer_and_status(login, brand, marketer, deal):
    ann = group_buy_join(actor=CustomerActor(factories.make_customer(brand, "Ann Lee")), group_buy_id=deal.pk)
    for name in ("Bo", "Cy"):
        group_buy_join(actor=CustomerActor(factories.make_customer(brand, name)), group_buy_id=deal.pk,
                       referral_code=ann.participant.referral_code)
    response = login(marketer).get(f"/b/{brand.slug}/group-buys/{deal.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-referrer="{ann.participant.customer_id}"><td>Ann Lee</td><td>2</td><td>0</td>' in html
    assert html.count("data-participant=") == 3 and "Open" in html


def test_posting_the_card_in_a_group_records_where_it_went(login, brand, marketer, deal):
    group = factories.make_group(brand, "Serum lovers")
    response = login(marketer).post(f"/b/{brand.slug}/group-buys/{deal.pk}/post/", {"group": group.pk})
    assert response.status_code == 302
    (card,) = Message.objects.filter(kind="group_buy")
    assert card.payload == {"title": deal.title, "ref": deal.pk}
    assert GroupBuyPost.objects.filter(group_buy=deal, conversation=card.conversation).exists()


def test_reps_may_not_manage_group_buys(login, brand, rep, deal):
    client = login(rep)
    assert client.get(f"/b/{brand.slug}/group-buys/").status_code == 403
    assert client.get(f"/b/{brand.slug}/group-buys/{deal.pk}/").status_code == 403


# --- /g/<code>/ ----------------------------------------------------------------------------------------


def _referrer(brand, deal, **fields):
    return group_buy_join(actor=CustomerActor(factories.make_customer(brand, "Ann Lee", **fields)),
                          group_buy_id=deal.pk).participant


def test_a_newcomer_by_a_referral_link_becomes_a_customer_a_participant_and_the_referrers_referral(
        client, brand, deal, store, rep):
    ann = _referrer(brand, deal, home_store=store, assigned_rep=rep)
    page = client.get(f"/g/{ann.referral_code}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Ann invites you to a group-buy" in html and "1 more to unlock 179.00 CNY" in html
    response = client.post(f"/g/{ann.referral_code}/", {"name": "Dee", "consent_chat": "on"})
    assert response.status_code == 302
    dee = Customer.objects.get(brand=brand, name="Dee")
    assert (dee.source, dee.source_ref, dee.home_store_id, dee.assigned_rep_id) == (
        "referral", ann.referral_code, store.pk, rep.pk)
    joined = GroupBuyParticipant.objects.get(group_buy=deal, customer=dee)
    assert joined.referred_by_id == ann.pk and joined.new_customer
    deal.refresh_from_db()
    assert deal.participant_count == 2
    after = client.get(response["Location"]).content.decode()  # signed in on this device now
    assert "You are in." in after and f"/g/{joined.referral_code}/" in after


def test_a_signed_in_customer_of_the_brand_joins_from_the_link(client, brand, deal):
    ann = _referrer(brand, deal)
    user = factories.make_user(password=None)
    bo = factories.make_customer(brand, "Bo", email=user.email, user=user)
    client.force_login(user)
    assert "Welcome" not in client.get(f"/g/{ann.referral_code}/").content.decode()
    assert client.post(f"/g/{ann.referral_code}/").status_code == 302
    joined = GroupBuyParticipant.objects.get(group_buy=deal, customer=bo)
    assert joined.referred_by_id == ann.pk and not joined.new_customer


def test_the_newcomer_form_needs_consent_and_a_name(client, brand, deal):
    ann = _referrer(brand, deal)
    assert client.post(f"/g/{ann.referral_code}/", {"name": "Dee"}).status_code == 400
    assert client.post(f"/g/{ann.referral_code}/", {"name": "", "consent_chat": "on"}).status_code == 400
    assert not Customer.objects.filter(name="Dee").exists()


def test_an_unknown_link_is_not_found_and_an_ended_deal_says_so(client, brand):
    assert client.get("/g/nosuchcode123/").status_code == 404
    deal = factories.make_group_buy(brand)
    ann = _referrer(brand, deal)
    GroupBuy.objects.filter(pk=deal.pk).update(deadline=timezone.now() - datetime.timedelta(minutes=1))
    page = client.get(f"/g/{ann.referral_code}/")
    assert page.status_code == 200 and "This group-buy has ended." in page.content.decode()
    refused = client.post(f"/g/{ann.referral_code}/", {"name": "Dee", "consent_chat": "on"})
    assert refused.status_code == 400
    assert not Customer.objects.filter(name="Dee").exists()  # all or nothing: no customer left behind
