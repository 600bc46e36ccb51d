"""The marketer's campaign pages: list, builder (live count, preview, test send), calendar, campaign page."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from campaigns.models import Campaign, CampaignStatus, Delivery
from chats.models import Message
from crm.models import Customer, PromotionContact
from crm.segments.services import segment_save
from crm.surveys import services as survey_services
from tests import factories
from tests.helpers import api_error


def url(brand, path=""):
    return f"/b/{brand.slug}/campaigns/{path}"


def builder_post(**overrides):
    data = {"name": "Spring sale", "kind": "promotion", "body": "Hi {first_name}, 20% off at {store_name}.",
            "card_kind": "", "audience_type": "all", "exclude_segment": "", "channel": "direct",
            "confirm_mode": "auto", "confirm_hours": "24", "when": "now", "send_at": "", "repeat": "days",
            "time": "", "cron": "", "action": "draft"}
    data.update(overrides)
    return data


# --- access ---------------------------------------------------------------------------------------------------


def test_a_rep_gets_403_on_every_page_and_endpoint(brand, rep, login):
    campaign = factories.make_campaign(brand)
    client = login(rep)
    for path in ("", "new/", "calendar/", f"{campaign.pk}/", f"{campaign.pk}/edit/", f"{campaign.pk}/progress/",
                 "builder/customers/?q=a"):
        assert client.get(url(brand, path)).status_code == 403, path
    for path in ("builder/breakdown/", "builder/preview/", "builder/send-test/", "new/", f"{campaign.pk}/"):
        assert client.post(url(brand, path), builder_post(action="delete")).status_code == 403, path
    assert Campaign.objects.filter(pk=campaign.pk).exists()
    assert "Campaigns" not in client.get(f"/b/{brand.slug}/").content.decode()


def test_another_brands_campaign_is_404(brand, other_brand, marketer, login):
    theirs = factories.make_campaign(other_brand)
    client = login(marketer)
    for path in (f"{theirs.pk}/", f"{theirs.pk}/edit/", f"{theirs.pk}/progress/"):
        assert client.get(url(brand, path)).status_code == 404, path
    assert client.post(url(brand, f"{theirs.pk}/"), {"action": "delete"}).status_code == 404
    assert client.post(url(brand, f"{theirs.pk}/edit/"), builder_post(name="Mine now")).status_code == 404
    assert Campaign.objects.get(pk=theirs.pk).name == "Spring sale"


# --- list -----------------------------------------------------------------------------------------------------


def test_the_list_says_what_to_do_first_and_the_nav_links_it(brand, marketer, login):
    client = login(marketer)
    page = client.get(url(brand)).content.decode()
    assert "Write your first campaign" in page and url(brand, "new/") in page
    assert f'href="{url(brand)}"' in client.get(f"/b/{brand.slug}/").content.decode()


def test_the_list_shows_status_kind_channel_audience_next_run_and_progress(
        brand, marketer, login, reachable, django_assert_max_num_queries):
    reachable("Mei Lin")
    reachable("Bo Chen")
    factories.send_campaign_now(factories.make_campaign(brand, name="Flash sale"))
    later = factories.make_campaign(brand, name="Monday tip", kind="announcement",
                                    recurrence={"days": [0], "time": "09:00"})
    from campaigns.authoring.services import campaign_schedule
    campaign_schedule(campaign=later, actor=factories.system(brand))
    client = login(marketer)
    with CaptureQueriesContext(connection) as few:
        client.get(url(brand))
    for n in range(5):
        factories.make_campaign(brand, name=f"Draft {n}")
    with django_assert_max_num_queries(len(few)):  # the same queries for 2 campaigns or 7
        page = client.get(url(brand)).content.decode()
    assert len(few) <= 9  # measured: 9 (8 + the nav's open-task badge), whatever the number of campaigns
    assert "Flash sale" in page and "Monday tip" in page and "Draft 4" in page
    assert "Sent" in page and "Announcement" in page and "All reachable customers" in page
    assert 'value="2"' in page and "2 / 2" in page  # the sent run's progress
    later.refresh_from_db()
    local = later.next_run_at.astimezone(brand.tzinfo)
    assert local.strftime("%Y-%m-%d %H:%M") in page and local.hour == 9
    # A status filter, and a bad one is a clear 400.
    only_sent = client.get(url(brand), {"status": "sent"}).content.decode()
    assert "Flash sale" in only_sent and "Monday tip" not in only_sent
    assert client.get(url(brand), {"status": "sent\u0663"}).status_code == 400
    assert client.get(url(brand), {"page": "\u0662"}).status_code == 400


# --- builder --------------------------------------------------------------------------------------------------


def test_the_builder_creates_a_draft_with_groups_card_and_exclusion(brand, marketer, login, reachable):
    vip = factories.make_group(brand, "VIP Shanghai")
    factories.make_group(brand, "VIP Beijing")
    segment = segment_save(brand=brand, actor=marketer, name="Unhappy",
                           definition={"all": [{"field": "active_within_days", "op": "lte", "value": 7}]})
    client = login(marketer)
    page = client.get(url(brand, "new/")).content.decode()
    for text in ("VIP Shanghai", "Unhappy", "{first_name}", "{rep_name}", "{store_name}", "Send a test to myself",
                 "Asia/Shanghai", "Save draft", "Schedule", "Send now"):
        assert text in page, text
    coupon = factories.make_coupon(brand, code="SPRING-10", title="10% off")
    response = client.post(url(brand, "new/"), builder_post(
        audience_type="groups", groups=[str(vip.pk)], exclude_segment=str(segment.pk), card_kind="coupon",
        coupon=str(coupon.pk), coupon_title=""))
    campaign = Campaign.objects.get(brand=brand)
    assert response.status_code == 302 and response["Location"] == url(brand, f"{campaign.pk}/")
    assert campaign.status == CampaignStatus.DRAFT and campaign.audience == {"groups": [vip.pk]}
    assert campaign.exclude_segment_id == segment.pk
    assert campaign.card_kind == "coupon" and campaign.card_payload == {"title": "10% off", "ref": coupon.pk}
    detail = client.get(url(brand, f"{campaign.pk}/")).content.decode()
    assert "VIP Shanghai" in detail and "Unhappy" in detail and "Delete" in detail


def test_unknown_variables_and_bad_cards_are_shown_beside_their_fields(brand, marketer, login):
    client = login(marketer)
    response = client.post(url(brand, "new/"), builder_post(body="Hi {nickname}"))
    assert response.status_code == 400
    form = response.context["form"]
    assert "Unknown variable: {nickname}" in form.errors["body"][0]
    # A product card is picked from the catalogue (issue 11): none picked, or another brand's, is the product's error.
    response = client.post(url(brand, "new/"), builder_post(card_kind="product"))
    assert response.status_code == 400 and "product" in response.context["form"].errors
    theirs = factories.make_product(factories.make_brand())
    response = client.post(url(brand, "new/"), builder_post(card_kind="product", product=str(theirs.pk)))
    assert response.status_code == 400 and "product" in response.context["form"].errors
    # Each card kind's picker carries its own card's errors (a `payload.ref` error is not always the coupon's).
    for kind in ("group_buy", "event", "coupon"):
        response = client.post(url(brand, "new/"), builder_post(card_kind=kind))
        errors = response.context["form"].errors
        assert response.status_code == 400 and kind in errors, (kind, errors)
        assert not {"coupon", "event", "group_buy", "survey"} - {kind} & set(errors), (kind, errors)
    response = client.post(url(brand, "new/"), builder_post(name="", audience_type="groups"))
    errors = response.context["form"].errors
    assert "name" in errors and "groups" in errors
    assert 'class="error" role="alert"' in response.content.decode()
    response = client.post(url(brand, "new/"), builder_post(when="at", send_at="tomorrow"))
    assert "send_at" in response.context["form"].errors
    response = client.post(url(brand, "new/"), builder_post(when="recurring", repeat="cron", cron="99 * * * *"))
    assert "when" in response.context["form"].errors
    assert not Campaign.objects.exists()


def test_a_survey_card_is_picked_from_the_active_surveys(brand, marketer, login):
    system = factories.system(brand)
    survey = survey_services.survey_create(brand=brand, actor=system, title="Skin check")
    survey_services.question_add(survey=survey, actor=system, kind="text", text="Your skin?")
    draft = survey_services.survey_create(brand=brand, actor=system, title="Not live yet")
    client = login(marketer)
    page = client.get(url(brand, "new/")).content.decode()
    assert "No active survey" in page
    survey_services.survey_activate(survey=survey, actor=system)
    page = client.get(url(brand, "new/")).content.decode()
    assert "Skin check" in page and "Not live yet" not in page
    response = client.post(url(brand, "new/"), builder_post(card_kind="survey", survey=str(draft.pk)))
    assert response.status_code == 400 and "survey" in response.context["form"].errors
    client.post(url(brand, "new/"), builder_post(card_kind="survey", survey=str(survey.pk)))
    campaign = Campaign.objects.get()
    assert campaign.card_payload == {"survey_id": survey.pk, "title": "Skin check", "url": f"/s/{survey.pk}/"}


@pytest.mark.parametrize("field,value", [
    ("confirm_hours", "\u0662\u0664"), ("confirm_hours", "99999999999999999999999"), ("groups", "\u0663"),
    ("exclude_segment", "\uff11"), ("send_at", "\uff12\uff10\uff12\uff16-12-01T10:00"), ("kind", "promotion\u0660"),
    ("survey", "\u0661"),
])
def test_hostile_input_changes_nothing(brand, marketer, login, field, value):
    campaign = factories.make_campaign(brand, name="Before")
    client = login(marketer)
    extra = {"audience_type": "groups"} if field == "groups" else {}
    extra.update({"card_kind": "survey"} if field == "survey" else {})
    extra.update({"when": "at"} if field == "send_at" else {})
    response = client.post(url(brand, f"{campaign.pk}/edit/"), builder_post(name="After", **extra, **{field: value}))
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert Campaign.objects.get(pk=campaign.pk).name == "Before"
    # NUL bytes never reach a view.
    assert client.post(url(brand, f"{campaign.pk}/edit/"), builder_post(name="After\x00")).status_code == 400
    assert Campaign.objects.get(pk=campaign.pk).name == "Before"


def test_schedule_at_a_time_in_the_brand_time_zone_then_unschedule(brand, marketer, login, reachable):
    reachable("Mei Lin")
    client = login(marketer)
    response = client.post(url(brand, "new/"), builder_post(when="at", send_at="2030-01-15T20:00", action="schedule"))
    assert response.status_code == 302
    campaign = Campaign.objects.get()
    assert campaign.status == CampaignStatus.SCHEDULED
    assert campaign.next_run_at == datetime.datetime(2030, 1, 15, 12, 0, tzinfo=datetime.UTC)  # 20:00 Shanghai
    edit = client.get(url(brand, f"{campaign.pk}/edit/")).content.decode()
    assert 'value="2030-01-15T20:00"' in edit
    detail = client.get(url(brand, f"{campaign.pk}/")).content.decode()
    assert "2030-01-15 20:00" in detail and "Unschedule" in detail and "Cancel campaign" in detail
    client.post(url(brand, f"{campaign.pk}/"), {"action": "unschedule"})
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT and campaign.next_run_at is None


def test_a_recurring_schedule_from_days_and_time(brand, marketer, login, reachable):
    reachable("Mei Lin")
    client = login(marketer)
    client.post(url(brand, "new/"), builder_post(when="recurring", repeat="days", days=["4"], time="20:00",
                                                 action="schedule"))
    campaign = Campaign.objects.get()
    assert campaign.recurrence == {"days": [4], "time": "20:00"} and campaign.status == CampaignStatus.SCHEDULED
    local = campaign.next_run_at.astimezone(brand.tzinfo)
    assert local.weekday() == 4 and local.strftime("%H:%M") == "20:00"


def test_an_empty_audience_is_refused_and_nothing_is_saved(brand, marketer, login):
    factories.make_customer(brand, "No Consent")
    client = login(marketer)
    response = client.post(url(brand, "new/"), builder_post(action="send_now"))
    assert response.status_code == 400
    assert "can receive it now" in response.context["form"].errors["audience_type"][0]
    assert not Campaign.objects.exists()


def test_send_now_schedules_for_now_and_the_dispatcher_sends_it(brand, marketer, login, reachable,
                                                                 django_capture_on_commit_callbacks):
    mei = reachable("Mei Lin")
    client = login(marketer)
    response = client.post(url(brand, "new/"), builder_post(action="send_now", when="at", send_at="2030-01-01T10:00"))
    campaign = Campaign.objects.get()
    assert response.status_code == 302 and campaign.status == CampaignStatus.SCHEDULED
    assert campaign.send_at is None and campaign.next_run_at <= timezone.now()
    from campaigns.sending.dispatcher import campaigns_dispatch
    with django_capture_on_commit_callbacks(execute=True):
        campaigns_dispatch()
    assert Message.objects.get(conversation__customer=mei).body == "Hi Mei, 20% off at Acme Beauty."


def test_a_sending_campaign_is_locked(brand, marketer, login, reachable):
    reachable("Mei Lin")
    campaign = factories.send_campaign_now(factories.make_campaign(brand))
    client = login(marketer)
    response = client.get(url(brand, f"{campaign.pk}/edit/"))
    assert response.status_code == 302 and response["Location"] == url(brand, f"{campaign.pk}/")
    client.post(url(brand, f"{campaign.pk}/edit/"), builder_post(name="Changed"))
    assert Campaign.objects.get(pk=campaign.pk).name == "Spring sale"


# --- the live count ---------------------------------------------------------------------------------------------


def test_the_count_is_split_by_what_will_happen(brand, marketer, login, reachable):
    from crm.consent.services import contact_policy_save

    reachable("Mei Lin")
    reachable("Bo Chen")
    factories.make_customer(brand, "No Consent")
    tired = reachable("Tired Tan")
    for n in range(3):
        PromotionContact.objects.create(brand=brand, customer=tired, created_at=timezone.now(), lane="rep",
                                        ref=f"test:{n}")
    client = login(marketer)
    answer = client.post(url(brand, "builder/breakdown/"), builder_post()).json()
    assert answer["total"] == 4 and answer["will_receive"] == 2
    assert {r["reason"]: r["count"] for r in answer["skipped"]} == {"no_consent": 1, "budget": 1}
    assert {r["label"] for r in answer["skipped"]} == {"No consent", "Over the weekly budget"}
    # Counted at the chosen time: quiet hours then defer (never drop), and this week's budget no longer applies.
    contact_policy_save(brand=brand, actor=factories.system(brand), quiet_hours_start=datetime.time(22, 0),
                        quiet_hours_end=datetime.time(8, 0), weekly_promotion_budget=3)
    night = client.post(url(brand, "builder/breakdown/"), builder_post(when="at", send_at="2030-01-15T23:00")).json()
    assert {r["reason"]: r["count"] for r in night["skipped"]} == {"quiet_hours": 3, "no_consent": 1}
    assert night["will_receive"] == 0


def test_the_count_endpoint_refuses_bad_input_clearly(brand, other_brand, marketer, login):
    theirs = factories.make_group(other_brand)
    client = login(marketer)
    error = api_error(client.post(url(brand, "builder/breakdown/"), builder_post(audience_type="groups",
                                                                                groups=[str(theirs.pk)])),
                      400, "invalid")
    assert "groups" in error["fields"]
    api_error(client.post(url(brand, "builder/breakdown/"), builder_post(channel="group")), 400, "invalid")
    assert client.post(url(brand, "builder/breakdown/"), builder_post(confirm_hours="x\x00")).status_code == 400


# --- preview and test send --------------------------------------------------------------------------------------


def test_the_preview_renders_what_one_customer_gets(brand, store, rep, marketer, login, reachable):
    mei = reachable("Mei Lin", assigned_rep=rep)
    client = login(marketer)
    found = client.get(url(brand, "builder/customers/"), {"q": "mei"}).json()["results"]
    assert found == [{"id": mei.pk, "name": "Mei Lin"}]
    answer = client.post(url(brand, "builder/preview/"), builder_post(
        customer=str(mei.pk), body="Hi {first_name}, {rep_name} here at {store_name}.", card_kind="coupon",
        coupon=str(factories.make_coupon(brand, code="SPRING-10").pk), coupon_title="10% off <b>")).json()
    assert answer["body"] == f"Hi Mei, {rep.user.display_name} here at {store.name}."
    assert answer["sender_name"] == rep.user.display_name
    assert 'data-card="coupon:' in answer["html"] and "10% off &lt;b&gt;" in answer["html"]
    assert 'class="msg-opt-out" href="/o/' in answer["html"]
    # Unknown variables: the service's message.
    error = api_error(client.post(url(brand, "builder/preview/"), builder_post(customer=str(mei.pk),
                                                                              body="Hi {nick}")), 400,
                      "unknown_variable")
    assert "{nick}" in error["message"]


def test_the_preview_of_another_brands_customer_is_404(brand, other_brand, marketer, login):
    theirs = factories.make_customer(other_brand, "Their Customer")
    client = login(marketer)
    api_error(client.post(url(brand, "builder/preview/"), builder_post(customer=str(theirs.pk))), 404, "not_found")
    api_error(client.post(url(brand, "builder/preview/"), builder_post(customer="\u0661")), 404, "not_found")
    assert client.get(url(brand, "builder/customers/"), {"q": "Their"}).json()["results"] == []


def test_send_a_test_to_myself(brand, marketer, login, django_capture_on_commit_callbacks):
    client = login(marketer)
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(url(brand, "builder/send-test/"), builder_post(body="Hi {first_name} from {rep_name}"))
    assert answer.status_code == 200 and answer.json()["ok"]
    me = Customer.objects.get(brand=brand, user=marketer.user)
    message = Message.objects.get(conversation__customer=me)
    first = marketer.user.display_name.split()[0] if marketer.user.display_name.strip() else ""
    assert message.body == f"Hi {first} from {marketer.user.display_name}".strip()
    assert message.payload["opt_out_url"].startswith("/o/") and "campaign" not in message.payload
    # Twice: the same customer record; no budget slot, no delivery.
    client.post(url(brand, "builder/send-test/"), builder_post())
    assert Customer.objects.filter(brand=brand, user=marketer.user).count() == 1
    assert Message.objects.filter(conversation__customer=me).count() == 2
    assert not PromotionContact.objects.exists() and not Delivery.objects.exists()
    # It shows on the person's own /chat/, with the opt-out link of a text message.
    assert "/chat/" in answer.json()["message"]
    chat = client.get(f"/chat/direct/{me.pk}/").content.decode()
    assert f"Hi {first} from" in chat and 'class="msg-opt-out" href="/o/' in chat
    error = api_error(client.post(url(brand, "builder/send-test/"), builder_post(body="{oops}")), 400,
                      "unknown_variable")
    assert error["fields"]


# --- the campaign page ------------------------------------------------------------------------------------------


def test_the_campaign_page_shows_runs_and_progress_json(brand, marketer, login, reachable):
    reachable("Mei Lin")
    factories.make_customer(brand, "No Consent")
    campaign = factories.send_campaign_now(factories.make_campaign(brand))
    client = login(marketer)
    page = client.get(url(brand, f"{campaign.pk}/")).content.decode()
    assert "Runs" in page and "No consent" in page
    # The results page (a colleague's) is linked once its route exists; never a dead link.
    try:
        results = reverse("campaigns:results", kwargs={"slug": brand.slug, "campaign_id": campaign.pk})
    except NoReverseMatch:
        results = None
    assert (results is None and "/results/" not in page) or f'href="{results}"' in page
    assert "data-progress-url" in page and "campaign_progress.js" in page
    progress = client.get(url(brand, f"{campaign.pk}/progress/")).json()
    assert progress["status"] == "sent" and progress["total"] == 2
    assert progress["sent"] == 1 and progress["skipped"] == 1 and progress["pending"] == 0
    assert progress["reasons"] == [{"reason": "no_consent", "label": "No consent", "count": 1}]


def test_cancel_and_delete_buttons_per_status(brand, marketer, login, reachable):
    reachable("Mei Lin")
    client = login(marketer)
    draft = factories.make_campaign(brand, name="Draft")
    page = client.get(url(brand, f"{draft.pk}/")).content.decode()
    assert "Delete this draft?" in page and "Cancel campaign" not in page
    from campaigns.authoring.services import campaign_schedule
    scheduled = campaign_schedule(campaign=factories.make_campaign(brand, name="Later"), actor=marketer,
                                  send_at=timezone.now() + datetime.timedelta(days=3))
    client.post(url(brand, f"{scheduled.pk}/"), {"action": "cancel"})
    assert Campaign.objects.get(pk=scheduled.pk).status == CampaignStatus.CANCELLED
    # Deleting a cancelled campaign is refused with the service's message; the draft goes.
    response = client.post(url(brand, f"{scheduled.pk}/"), {"action": "delete"}, follow=True)
    assert "Only a draft can be deleted" in response.content.decode()
    client.post(url(brand, f"{draft.pk}/"), {"action": "delete"})
    assert not Campaign.objects.filter(pk=draft.pk).exists()
    assert client.post(url(brand, f"{scheduled.pk}/"), {"action": "explode"}, follow=True).status_code == 200


# --- calendar ---------------------------------------------------------------------------------------------------


def test_the_calendar_shows_one_off_and_recurring_campaigns_in_the_brand_time_zone(brand, marketer, login,
                                                                                     reachable):
    from campaigns.authoring.services import campaign_schedule

    reachable("Mei Lin")
    one_off = factories.make_campaign(brand, name="New year")
    # 23:30 Shanghai on 31 December is 15:30 UTC: it belongs to the 31st on the calendar.
    campaign_schedule(campaign=one_off, actor=marketer,
                      send_at=datetime.datetime(2030, 12, 31, 15, 30, tzinfo=datetime.UTC))
    weekly = factories.make_campaign(brand, name="Friday flash", recurrence={"days": [4], "time": "20:00"})
    campaign_schedule(campaign=weekly, actor=marketer)
    client = login(marketer)
    page = client.get(url(brand, "calendar/"), {"year": "2030", "month": "12"}).content.decode()
    assert "December 2030" in page and "New year" in page and "23:30" in page
    assert page.count("Friday flash") >= 4 + 1  # every Friday of the month, and the schedule list
    assert "year=2030&amp;month=11" in page and "year=2031&amp;month=1" in page
    assert client.get(url(brand, "calendar/"), {"month": "13"}).status_code == 400
    assert client.get(url(brand, "calendar/"), {"month": "\u0661"}).status_code == 400
    assert client.get(url(brand, "calendar/"), {"year": "99999999999999999999999"}).status_code == 400
    assert "Nothing scheduled" not in client.get(url(brand, "calendar/")).content.decode()


def test_progress_while_sending_counts_what_is_still_waiting(brand, marketer, login, reachable):
    from campaigns.authoring.services import campaign_schedule
    from campaigns.sending.dispatcher import campaigns_dispatch

    reachable("Mei Lin")
    reachable("Bo Chen")
    campaign = campaign_schedule(campaign=factories.make_campaign(brand), actor=marketer, send_at=None)
    campaigns_dispatch()  # the run starts; its chunk tasks (queued on commit) have not run
    client = login(marketer)
    page = client.get(url(brand, f"{campaign.pk}/")).content.decode()
    assert 'data-status="sending"' in page and "Cancel campaign" in page and "Edit" not in page
    progress = client.get(url(brand, f"{campaign.pk}/progress/")).json()
    assert progress["status"] == "sending" and progress["status_label"] == "Sending"
    assert (progress["total"], progress["pending"], progress["sent"]) == (2, 2, 0)
    client.post(url(brand, f"{campaign.pk}/"), {"action": "cancel"})
    progress = client.get(url(brand, f"{campaign.pk}/progress/")).json()
    assert progress["status"] == "cancelled" and progress["pending"] == 0
    assert progress["reasons"] == [{"reason": "cancelled", "label": "Campaign cancelled", "count": 2}]


def test_channels_confirm_mode_and_group_posts(brand, marketer, login, reachable):
    vip = factories.make_group(brand, "VIP Shanghai")
    client = login(marketer)
    # The brand persona must exist before it can speak: said beside the channel.
    response = client.post(url(brand, "new/"), builder_post(channel="persona"))
    assert response.status_code == 400 and "brand persona" in response.context["form"].errors["channel"][0]
    # A group post has no {first_name}, and goes to groups.
    response = client.post(url(brand, "new/"), builder_post(channel="group", audience_type="groups",
                                                            groups=[str(vip.pk)]))
    assert "{first_name}" in response.context["form"].errors["body"][0]
    count = client.post(url(brand, "builder/breakdown/"), builder_post(channel="group", audience_type="groups",
                                                                     groups=[str(vip.pk)])).json()
    assert count == {"total": 1, "will_receive": 1, "skipped": [], "groups": True}
    # Each rep confirms, within the hours given.
    client.post(url(brand, "new/"), builder_post(confirm_mode="rep_confirms", confirm_hours="48"))
    campaign = Campaign.objects.get()
    assert (campaign.confirm_mode, campaign.confirm_hours) == ("rep_confirms", 48)
    response = client.post(url(brand, f"{campaign.pk}/edit/"), builder_post(confirm_mode="rep_confirms",
                                                                           confirm_hours="500"))
    assert "confirm_hours" in response.context["form"].errors
    assert Campaign.objects.get().confirm_hours == 48


def test_the_product_card_is_picked_from_the_catalogue(client, brand, marketer, login):
    serum = factories.make_product(brand, "VC-30", name="Vitamin C Serum", image_url="https://cdn.acme.example/vc.jpg",
                                   url="https://shop.acme.example/vc")
    factories.make_product(brand, "OLD", name="Retired Serum", active=False)
    login(marketer)
    page = client.get(url(brand, "new/")).content.decode()
    assert "Vitamin C Serum · 199.00 CNY" in page and "Retired Serum" not in page and "data-product-search" in page

    response = client.post(url(brand, "new/"), builder_post(card_kind="product", product=str(serum.pk)))

    assert response.status_code == 302, response.context["form"].errors
    campaign = Campaign.objects.get()
    assert campaign.card_payload == {"product_id": serum.pk, "name": "Vitamin C Serum", "price": "199.00",
                                     "currency": "CNY", "url": "https://shop.acme.example/vc",
                                     "image_url": "https://cdn.acme.example/vc.jpg"}
    edit = client.get(url(brand, f"{campaign.pk}/edit/")).content.decode()
    assert f'<option value="{serum.pk}" selected>' in edit
