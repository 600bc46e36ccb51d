"""Consent, quiet hours and the weekly promotion budget, all read through crm.consent (one selector for every lane)."""

import datetime
import threading
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chats.models import Message
from chats.services import Sender, message_send
from crm.consent import selectors as reach
from crm.consent import services as consent
from crm.models import ConsentChange, ContactLane, ContactPolicy, Customer, PromotionContact
from crm.privacy.services import customer_erase
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.roles import Role
from tests import factories
from tests.helpers import api_error

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def _at(hour, minute=0, day=23):
    """A moment in the brand's time zone (Asia/Shanghai), as aware UTC."""
    return datetime.datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI).astimezone(datetime.UTC)


@pytest.fixture
def fan(brand):
    return factories.make_customer(brand, name="Fan Bing", consent_chat=True, consent_promotions=True)


def _promo(brand, customer, at):
    return reach.customer_reach(brand=brand, customer=customer, purpose=reach.Purpose.PROMOTIONAL, at=at)


def test_a_consenting_customer_is_reachable_in_the_afternoon_with_the_budget_left(brand, fan):
    answer = _promo(brand, fan, _at(15))

    assert answer.reachable and answer.reason == ""
    assert answer.promotions_left_this_week == 3


@pytest.mark.parametrize("hour, minute, quiet", [(21, 59, False), (22, 0, True), (2, 0, True), (7, 59, True),
                                                 (8, 0, False)])
def test_quiet_hours_run_over_midnight_in_the_brand_time_zone(brand, fan, hour, minute, quiet):
    answer = _promo(brand, fan, _at(hour, minute))

    assert answer.reachable is not quiet
    if quiet:
        assert answer.reason == "quiet_hours"
        assert "22:00-08:00" in answer.message
        # The answer says when sending is possible again: 08:00 brand time.
        assert answer.next_possible_at.astimezone(SHANGHAI).time() == datetime.time(8, 0)


def test_quiet_hours_follow_the_brand_time_zone(brand, fan):
    brand.time_zone = "Europe/Berlin"
    brand.save()
    fifteen_in_shanghai = _at(15)  # 08:00 in Berlin: still allowed, 23:00 Shanghai is 16:00 in Berlin

    assert _promo(brand, fan, fifteen_in_shanghai).reachable
    assert _promo(brand, fan, _at(23)).reachable
    assert _promo(brand, fan, _at(6)).reason == "quiet_hours"  # 23:00 the day before in Berlin


def test_same_start_and_end_means_no_quiet_hours(brand, fan):
    ContactPolicy.objects.create(brand=brand, quiet_hours_start=datetime.time(0), quiet_hours_end=datetime.time(0))

    assert _promo(brand, fan, _at(3)).reachable


@pytest.mark.parametrize("fields, reason", [
    ({"consent_chat": False}, "no_chat_consent"),
    ({"consent_promotions": False}, "no_promotions_consent"),
])
def test_missing_consent_says_which(brand, fan, fields, reason):
    Customer.objects.filter(pk=fan.pk).update(**fields)
    fan.refresh_from_db()

    answer = _promo(brand, fan, _at(15))

    assert (answer.reachable, answer.reason) == (False, reason)
    assert answer.message


def test_erased_customers_are_reachable_for_nothing(brand, fan):
    customer_erase(customer=fan, actor=factories.system(fan.brand_id))
    fan.refresh_from_db()

    for purpose in (reach.Purpose.PROMOTIONAL, reach.Purpose.TRANSACTIONAL):
        assert reach.customer_reach(brand=brand, customer=fan, purpose=purpose).reason == "erased"


def test_transactional_ignores_consent_quiet_hours_and_budget(brand):
    quiet = factories.make_customer(brand)  # no consent at all
    ContactPolicy.objects.create(brand=brand, weekly_promotion_budget=0)

    answer = reach.customer_reach(brand=brand, customer=quiet, purpose=reach.Purpose.TRANSACTIONAL, at=_at(3))

    assert answer.reachable


def test_the_budget_is_shared_by_every_lane_and_says_when_it_frees_up(brand, fan):
    first = _at(10, day=18)
    consent.promotion_contact_claim(customer=fan, lane=ContactLane.BROADCAST, ref="campaign:1", at=first)
    consent.promotion_contact_claim(customer=fan, lane=ContactLane.REP, ref="message:2", at=_at(11, day=20))
    consent.promotion_contact_claim(customer=fan, lane=ContactLane.PERSONA, ref="campaign:3", at=_at(12, day=22))

    answer = _promo(brand, fan, _at(15))
    assert (answer.reachable, answer.reason, answer.promotions_left_this_week) == (False, "weekly_budget_spent", 0)
    assert answer.next_possible_at == first + datetime.timedelta(days=7)
    with pytest.raises(ApplicationError) as exc:
        consent.promotion_contact_claim(customer=fan, lane=ContactLane.REP, at=_at(15))
    assert exc.value.code == "weekly_budget_spent" and exc.value.status == 409
    assert PromotionContact.objects.filter(customer=fan).count() == 3
    # Seven days after the first one, a slot is free again.
    assert _promo(brand, fan, first + datetime.timedelta(days=7, hours=5)).reachable


def test_a_claim_in_quiet_hours_is_refused(brand, fan):
    with pytest.raises(ApplicationError) as exc:
        consent.promotion_contact_claim(customer=fan, lane=ContactLane.BROADCAST, at=_at(23))

    assert exc.value.code == "quiet_hours"
    assert not PromotionContact.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_lanes_racing_for_the_last_slots_never_overspend(brand, fan):
    ContactPolicy.objects.create(brand=brand, weekly_promotion_budget=2, quiet_hours_start=datetime.time(0),
                                 quiet_hours_end=datetime.time(0))
    outcomes, barrier = [], threading.Barrier(6)

    def claim(lane):
        barrier.wait()
        try:
            consent.promotion_contact_claim(customer=fan, lane=lane)
            outcomes.append("sent")
        except ApplicationError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    lanes = [ContactLane.BROADCAST, ContactLane.REP, ContactLane.PERSONA] * 2
    threads = [threading.Thread(target=claim, args=(lane,)) for lane in lanes]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(outcomes) == ["sent", "sent"] + ["weekly_budget_spent"] * 4
    assert PromotionContact.objects.filter(customer=fan).count() == 2


def test_bulk_reach_costs_the_same_for_ten_or_a_hundred(brand):
    def ask(n):
        customers = [factories.make_customer(brand, consent_chat=True, consent_promotions=True) for _ in range(n)]
        with CaptureQueriesContext(connection) as queries:
            answers = reach.customers_reach(brand=brand, customers=customers, purpose=reach.Purpose.PROMOTIONAL,
                                            at=_at(15))
        assert all(a.reachable for a in answers.values()) and len(answers) == n
        return len(queries)

    assert ask(10) == ask(100) == 2


def test_customers_of_another_brand_are_left_out(brand, other_brand):
    stranger = factories.make_customer(other_brand, consent_chat=True, consent_promotions=True)

    assert reach.customers_reach(brand=brand, customers=[stranger], purpose=reach.Purpose.PROMOTIONAL) == {}
    with pytest.raises(ApplicationError) as exc:
        reach.customer_reach(brand=brand, customer=stranger, purpose=reach.Purpose.PROMOTIONAL)
    assert exc.value.status == 404


# --- consent history ---------------------------------------------------------------------------------------


def test_consent_changes_are_kept_with_their_source(api, brand):
    created = api.post("/api/v1/customers/", {"name": "Gao", "consent_chat": True}, format="json").json()
    api.patch(f"/api/v1/customers/{created['id']}/", {"consent_promotions": True}, format="json")
    api.patch(f"/api/v1/customers/{created['id']}/", {"consent_promotions": False}, format="json")

    history = list(ConsentChange.objects.filter(customer_id=created["id"]).order_by("id")
                   .values_list("channel", "granted", "source"))
    assert history == [("chat", True, "api"), ("promotions", True, "api"), ("promotions", False, "api")]


# --- STOP and the opt-out link -----------------------------------------------------------------------------


@pytest.mark.parametrize("word", ["STOP", "stop", " Stop. ", "退订", "TD"])
def test_stop_in_the_1to1_chat_withdraws_promotions_and_confirms(brand, fan, word):
    conversation = factories.make_conversation(brand, fan)

    message_send(conversation=conversation, sender=Sender.of_customer(fan), body=word)

    fan.refresh_from_db()
    assert fan.consent_promotions is False and fan.consent_chat is True
    assert ConsentChange.objects.filter(customer=fan, channel="promotions", granted=False,
                                        source="stop_command").count() == 1
    reply = Message.objects.filter(conversation=conversation).order_by("-seq").first()
    assert reply.sender_type == "system" and "no longer receive promotions" in reply.body
    assert _promo(brand, fan, _at(15)).reason == "no_promotions_consent"


def test_stop_inside_a_sentence_is_just_a_message(brand, fan):
    conversation = factories.make_conversation(brand, fan)

    message_send(conversation=conversation, sender=Sender.of_customer(fan), body="don't stop sending deals")

    fan.refresh_from_db()
    assert fan.consent_promotions is True
    assert Message.objects.filter(conversation=conversation).count() == 1


def test_opt_out_link_asks_then_unsubscribes_in_one_tap(client, brand, fan):
    url = consent.opt_out_url(fan)

    page = client.get(url)
    fan.refresh_from_db()
    assert page.status_code == 200 and fan.consent_promotions is True  # a link preview changes nothing
    assert "Stop promotions" in page.content.decode()

    done = client.post(url)

    fan.refresh_from_db()
    assert done.status_code == 200 and "You are unsubscribed" in done.content.decode()
    assert fan.consent_promotions is False
    assert ConsentChange.objects.filter(customer=fan, source="opt_out_link").count() == 1
    client.post(url)  # twice: still one change in the history
    assert ConsentChange.objects.filter(customer=fan, source="opt_out_link").count() == 1


@pytest.mark.parametrize("token", ["nonsense", "eyJiIjoxLCJjIjoxfQ:1vN:forged"])
def test_a_bad_opt_out_link_is_404_and_changes_nothing(client, fan, token):
    response = client.post(f"/o/{token}/")

    assert response.status_code == 404
    fan.refresh_from_db()
    assert fan.consent_promotions is True


# --- a rep's promotional cards -----------------------------------------------------------------------------


@pytest.fixture
def rep(brand):
    return factories.make_member(brand, Role.REP, store=factories.make_store(brand))


def _send_card(client, brand, conversation, n):
    return client.post(f"/b/{brand.slug}/inbox/{conversation.pk}/", {
        "action": "coupon", "coupon_ref": str(factories.make_coupon(brand, code=f"SAVE{n}0").pk),
        "coupon_title": "10% off", "body": "",
        "client_msg_id": f"card-{n}"})


def test_a_reps_coupon_card_in_1to1_spends_budget_and_carries_the_opt_out_link(client, brand, fan, rep):
    ContactPolicy.objects.create(brand=brand, weekly_promotion_budget=1, quiet_hours_start=datetime.time(0),
                                 quiet_hours_end=datetime.time(0))
    fan.assigned_rep = rep
    fan.save()
    conversation = factories.make_conversation(brand, fan)
    client.force_login(rep.user)

    assert _send_card(client, brand, conversation, 1).status_code == 302
    refused = _send_card(client, brand, conversation, 2)

    cards = Message.objects.filter(conversation=conversation, kind="coupon")
    assert cards.count() == 1
    assert cards.get().payload["opt_out_url"] == consent.opt_out_url(fan)
    assert PromotionContact.objects.filter(customer=fan, lane="rep").count() == 1
    assert refused.status_code == 409
    assert "promotions in the last 7 days" in refused.content.decode()


def test_rep_replies_are_never_held_back(brand, fan, rep):
    ContactPolicy.objects.create(brand=brand, weekly_promotion_budget=0)
    Customer.objects.filter(pk=fan.pk).update(consent_promotions=False)
    conversation = factories.make_conversation(brand, fan)

    message_send(conversation=conversation, sender=Sender.of_staff(factories.owner_of(brand)), body="Your order shipped")

    assert Message.objects.filter(conversation=conversation, body="Your order shipped").exists()


# --- API and dashboard -------------------------------------------------------------------------------------


def test_reach_api_says_why_not(api, brand, fan, other_brand):
    Customer.objects.filter(pk=fan.pk).update(consent_promotions=False, consent_promotions_at=timezone.now())

    body = api.get(f"/api/v1/customers/{fan.pk}/reach/").json()
    assert body["reachable"] is False and body["reason"] == "no_promotions_consent"
    assert "opted out" in body["message"]
    assert api.get(f"/api/v1/customers/{fan.pk}/reach/?purpose=transactional").json()["reachable"] is True
    api_error(api.get(f"/api/v1/customers/{fan.pk}/reach/?purpose=spam"), 400, "invalid")
    stranger = factories.make_customer(other_brand)
    api_error(api.get(f"/api/v1/customers/{stranger.pk}/reach/"), 404, "not_found")


def test_owner_sets_the_contact_policy_and_bad_input_changes_nothing(client, brand):
    client.force_login(factories.owner_of(brand).user)
    url = f"/b/{brand.slug}/customers/contact-policy/"

    bad = client.post(url, {"quiet_hours_start": "25:00", "quiet_hours_end": "08:00", "weekly_promotion_budget": "-1"})
    assert bad.status_code == 400
    assert not ContactPolicy.objects.filter(brand=brand).exists()

    good = client.post(url, {"quiet_hours_start": "21:30", "quiet_hours_end": "09:00", "weekly_promotion_budget": "5"})
    assert good.status_code == 302
    policy = ContactPolicy.objects.get(brand=brand)
    assert (policy.quiet_hours_start, policy.quiet_hours_end, policy.weekly_promotion_budget) == (
        datetime.time(21, 30), datetime.time(9, 0), 5)


def test_a_rep_cannot_change_the_contact_policy(client, brand, rep):
    client.force_login(rep.user)

    assert client.post(f"/b/{brand.slug}/customers/contact-policy/", {
        "quiet_hours_start": "00:00", "quiet_hours_end": "00:00", "weekly_promotion_budget": "50"}).status_code == 403
    assert not ContactPolicy.objects.filter(brand=brand).exists()


def test_profile_page_shows_why_and_the_timeline(client, brand, fan):
    factories.make_order(brand, fan, external_id="SO-77", total="88.00")
    consent.promotions_opt_out(customer=fan, actor=factories.system(fan.brand_id), source="stop_command")
    client.force_login(factories.owner_of(brand).user)

    page = client.get(f"/b/{brand.slug}/customers/{fan.pk}/").content.decode()

    assert 'data-promotion-reach="no_promotions_consent"' in page
    assert "Order SO-77: 88.00 CNY" in page
    assert "Withdrew promotions" in page and "stop command" in page
    assert "1 · 88.00 CNY" in page


# --- every path that sends a card, and stale copies --------------------------------------------------------


def test_an_api_card_in_1to1_is_a_promotion_and_cannot_choose_its_opt_out_link(api, brand, fan):
    ContactPolicy.objects.create(brand=brand, weekly_promotion_budget=1, quiet_hours_start=datetime.time(0),
                                 quiet_hours_end=datetime.time(0))
    conversation = factories.make_conversation(brand, fan)
    url = f"/api/v1/conversations/{conversation.pk}/messages/"
    card = {"kind": "coupon", "body": "", "payload": {"code": "API10", "title": "10% off",
                                                      "opt_out_url": "javascript:alert(1)"}}

    sent = api.post(url, {**card, "client_msg_id": "a1"}, format="json")

    assert sent.status_code == 201, sent.content
    assert sent.json()["payload"]["opt_out_url"] == consent.opt_out_url(fan)
    assert PromotionContact.objects.get(customer=fan).lane == ContactLane.BROADCAST
    api_error(api.post(url, {**card, "client_msg_id": "a2"}, format="json"), 409, "weekly_budget_spent")
    assert Message.objects.filter(conversation=conversation, kind="coupon").count() == 1


def test_stop_decides_on_the_current_row_not_a_stale_copy(brand):
    stale = factories.make_customer(brand, consent_chat=True)  # a socket loaded them unsubscribed...
    Customer.objects.filter(pk=stale.pk).update(consent_promotions=True)  # ...then they subscribed elsewhere

    message_send(conversation=factories.make_conversation(brand, stale), sender=Sender.of_customer(stale), body="STOP")

    assert Customer.objects.get(pk=stale.pk).consent_promotions is False


def test_saving_the_policy_twice_updates_the_one_row(brand):
    consent.contact_policy_save(brand=brand, actor=factories.system(brand), quiet_hours_start=datetime.time(23), quiet_hours_end=datetime.time(7),
                              weekly_promotion_budget=2)
    consent.contact_policy_save(brand=brand, actor=factories.system(brand), quiet_hours_start=datetime.time(21), quiet_hours_end=datetime.time(9),
                              weekly_promotion_budget=4)

    assert list(ContactPolicy.objects.filter(brand=brand).values_list("weekly_promotion_budget", flat=True)) == [4]
