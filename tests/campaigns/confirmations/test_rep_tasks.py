"""Rep-confirmed sends: each rep gets a task with their recipients and sends it with one click, under their own
name and greeting; nobody else may send it; a task past its deadline expires and its recipients are skipped."""

import datetime
import threading

import pytest
from django.db import connection
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from campaigns.confirmations.selectors import rep_task_open_count
from campaigns.confirmations.services import rep_task_send
from campaigns.models import (
    CampaignRun,
    CampaignStatus,
    Delivery,
    DeliveryStatus,
    RepTask,
    RepTaskStatus,
    RunStatus,
)
from campaigns.sending.dispatcher import campaigns_dispatch
from chats.models import Message
from crm.consent.services import contact_policy_save
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.roles import Role
from tests import factories


def confirmed_campaign(brand, **fields):
    return factories.send_campaign_now(factories.make_campaign(brand, confirm_mode="rep_confirms", **fields))


@pytest.fixture
def crowd(brand, rep, other_rep, reachable):
    """Two customers of `rep`, one of `other_rep`, one without a rep."""
    return {"mei": reachable("Mei Lin", assigned_rep=rep), "bo": reachable("Bo Chen", assigned_rep=rep),
            "omar_fan": reachable("Ola Wu", assigned_rep=other_rep), "nobody": reachable("Nan Li")}


def task_of(rep):
    return RepTask.objects.get(rep=rep)


def test_each_rep_gets_a_task_and_the_customers_without_a_rep_go_out_at_once(brand, rep, other_rep, crowd):
    campaign = confirmed_campaign(brand)

    assert campaign.status == CampaignStatus.SENDING
    tasks = {t.rep_id: t for t in RepTask.objects.all()}
    assert set(tasks) == {rep.pk, other_rep.pk}
    assert all(t.status == RepTaskStatus.OPEN for t in tasks.values())
    deliveries = {d.customer_id: d for d in Delivery.objects.all()}
    assert deliveries[crowd["nobody"].pk].status == DeliveryStatus.SENT
    assert {deliveries[crowd[k].pk].status for k in ("mei", "bo", "omar_fan")} == {DeliveryStatus.PENDING}
    assert Message.objects.count() == 1


def test_the_rep_sends_their_task_under_their_name_with_their_greeting(brand, rep, other_rep, crowd):
    campaign = confirmed_campaign(brand)

    result = rep_task_send(task=task_of(rep), actor=rep, greeting="  Hello {first_name}, it's {rep_name}!  ")

    assert (result.sent, result.skipped, result.deferred) == (2, 0, 0)
    mei = Message.objects.get(conversation__customer=crowd["mei"])
    assert mei.body == "Hello Mei, it's Rita Rep!\nHi Mei, 20% off this week."
    assert mei.sender_name == "Rita Rep" and mei.payload["opt_out_url"].startswith("/o/")
    task = task_of(rep)
    assert task.status == RepTaskStatus.SENT and task.sent_at and task.greeting == "Hello {first_name}, it's {rep_name}!"
    assert Delivery.objects.get(customer=crowd["bo"]).rep_id == rep.pk
    # The other rep has not sent yet: the run goes on; once they do, the campaign is sent.
    assert CampaignRun.objects.get().status == RunStatus.SENDING
    rep_task_send(task=task_of(other_rep), actor=other_rep, greeting="")
    assert CampaignRun.objects.get().status == RunStatus.DONE
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENT
    assert Message.objects.get(conversation__customer=crowd["omar_fan"]).body == "Hi Ola, 20% off this week."


def test_a_second_click_sends_nothing_twice(brand, rep, crowd):
    confirmed_campaign(brand)
    rep_task_send(task=task_of(rep), actor=rep, greeting="")

    with pytest.raises(ApplicationError) as exc:
        rep_task_send(task=task_of(rep), actor=rep, greeting="again")
    assert (exc.value.code, exc.value.status) == ("task_closed", 409)
    assert Message.objects.filter(conversation__customer__assigned_rep=rep).count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_clicks_at_once_send_each_recipient_once(brand, rep, reachable, settings):
    settings.CAMPAIGN_CHUNK_SIZE = 3
    contact_policy_save(brand=brand, actor=factories.system(brand), quiet_hours_start=datetime.time(0, 0),
                        quiet_hours_end=datetime.time(0, 0), weekly_promotion_budget=3)
    for i in range(10):
        reachable(f"Fan {i:02d}", assigned_rep=rep)
    campaign = factories.make_campaign(brand, confirm_mode="rep_confirms")
    factories.send_campaign_now(campaign)
    task = task_of(rep)
    outcomes, barrier = [], threading.Barrier(2)

    def click():
        barrier.wait()
        try:
            outcomes.append(rep_task_send(task=task, actor=rep, greeting="Hi").sent)
        except ApplicationError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sum(o for o in outcomes if isinstance(o, int)) == 10
    assert Message.objects.count() == 10
    assert Delivery.objects.filter(status=DeliveryStatus.SENT).count() == 10
    assert task_of(rep).status == RepTaskStatus.SENT
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENT


def test_nobody_but_the_rep_may_send_their_task(brand, rep, other_rep, manager, owner, crowd, other_brand):
    confirmed_campaign(brand)
    task = task_of(rep)
    stranger = factories.make_member(other_brand, Role.OWNER)

    for actor in (other_rep, manager, owner, factories.system(brand), stranger):
        with pytest.raises(ApplicationError) as exc:
            rep_task_send(task=task, actor=actor, greeting="")
        assert exc.value.status == 404, actor
    assert task_of(rep).status == RepTaskStatus.OPEN
    assert not Message.objects.filter(conversation__customer__assigned_rep=rep).exists()


def test_a_greeting_with_an_unknown_variable_is_refused(brand, rep, crowd):
    confirmed_campaign(brand)

    with pytest.raises(ApplicationError) as exc:
        rep_task_send(task=task_of(rep), actor=rep, greeting="Hi {nickname}")
    assert exc.value.code == "unknown_variable" and "greeting" in exc.value.fields
    with pytest.raises(ApplicationError) as exc:
        rep_task_send(task=task_of(rep), actor=rep, greeting="x" * 201)
    assert "greeting" in exc.value.fields
    with pytest.raises(ApplicationError) as exc:
        rep_task_send(task=task_of(rep), actor=rep, greeting="Hi\x00")
    assert exc.value.code == "invalid_characters"
    assert task_of(rep).status == RepTaskStatus.OPEN and task_of(rep).greeting == ""
    assert Message.objects.count() == 1  # only the customer without a rep


def test_past_the_deadline_the_task_expires_and_each_recipient_is_skipped_not_confirmed(brand, rep, crowd):
    campaign = confirmed_campaign(brand, confirm_hours=2)
    task = task_of(rep)
    late = task.deadline + datetime.timedelta(seconds=1)

    with pytest.raises(ApplicationError) as exc:
        rep_task_send(task=task, actor=rep, greeting="", now=late)
    assert exc.value.code == "task_closed"

    with TestCase.captureOnCommitCallbacks(execute=True):
        result = campaigns_dispatch(now=late)
    assert result.tasks_expired == 2
    assert task_of(rep).status == RepTaskStatus.EXPIRED
    mine = Delivery.objects.filter(customer__in=[crowd["mei"], crowd["bo"], crowd["omar_fan"]])
    assert {(d.status, d.reason) for d in mine} == {(DeliveryStatus.SKIPPED, "not_confirmed")}
    assert CampaignRun.objects.get().status == RunStatus.DONE
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENT
    assert rep_task_open_count(brand, actor=rep) == 0
    with pytest.raises(ApplicationError) as exc:
        rep_task_send(task=task, actor=rep, greeting="")
    assert exc.value.code == "task_closed"


def test_a_cancelled_campaign_closes_its_tasks(brand, rep, crowd):
    from campaigns.authoring.services import campaign_cancel

    campaign = confirmed_campaign(brand)
    campaign_cancel(campaign=campaign, actor=factories.system(brand))

    with pytest.raises(ApplicationError) as exc:
        rep_task_send(task=task_of(rep), actor=rep, greeting="")
    assert exc.value.code == "task_closed"
    assert not Message.objects.filter(conversation__customer__assigned_rep=rep).exists()


def test_sent_in_quiet_hours_the_rest_goes_out_when_they_end_from_the_rep_with_the_greeting(brand, rep, crowd):
    confirmed_campaign(brand)
    contact_policy_save(brand=brand, actor=factories.system(brand), quiet_hours_start=datetime.time(22, 0),
                        quiet_hours_end=datetime.time(8, 0), weekly_promotion_budget=3)
    night = datetime.datetime(2027, 1, 15, 23, 0, tzinfo=brand.tzinfo)
    morning = datetime.datetime(2027, 1, 16, 8, 0, 30, tzinfo=brand.tzinfo)
    RepTask.objects.update(deadline=morning)

    result = rep_task_send(task=task_of(rep), actor=rep, greeting="Morning {first_name}!", now=night)

    assert (result.sent, result.deferred) == (0, 2)
    assert task_of(rep).status == RepTaskStatus.SENT
    deferred = Delivery.objects.get(customer=crowd["mei"])
    assert (deferred.status, deferred.reason) == (DeliveryStatus.PENDING, "quiet_hours")
    assert deferred.not_before == datetime.datetime(2027, 1, 16, 8, 0, tzinfo=brand.tzinfo)
    with TestCase.captureOnCommitCallbacks(execute=True):
        campaigns_dispatch(now=morning)
    mei = Message.objects.get(conversation__customer=crowd["mei"])
    assert mei.body == "Morning Mei!\nHi Mei, 20% off this week." and mei.sender_name == "Rita Rep"
    assert Delivery.objects.get(customer=crowd["mei"]).status == DeliveryStatus.SENT


# --- pages ----------------------------------------------------------------------------------------------------


def tasks_url(brand):
    return reverse("campaigns:tasks", kwargs={"slug": brand.slug})


def task_url(brand, task):
    return reverse("campaigns:task", kwargs={"slug": brand.slug, "task_id": task.pk})


def test_the_rep_sees_their_open_tasks(brand, rep, other_rep, crowd, login, django_assert_max_num_queries):
    campaign = confirmed_campaign(brand, name="Friday flash sale")
    client = login(rep)

    with django_assert_max_num_queries(12):
        page = client.get(tasks_url(brand))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Friday flash sale" in html and "Bo Chen" in html and "Mei Lin" in html and "Ola Wu" not in html
    assert "2 recipients" in html
    assert "Hi Bo, 20% off this week." in html  # the message as the first recipient reads it
    deadline = task_of(rep).deadline.astimezone(brand.tzinfo)
    assert deadline.strftime("%Y-%m-%d %H:%M") in html  # in the brand's time zone
    assert task_url(brand, task_of(rep)) in html
    assert campaign.name not in login(factories.make_member(brand, Role.REP, store=rep.store)).get(
        tasks_url(brand)).content.decode()


def test_the_list_costs_the_same_for_one_task_or_many(brand, rep, reachable, login, django_assert_max_num_queries):
    for i in range(4):
        reachable(f"Fan {i}", assigned_rep=rep)
        confirmed_campaign(brand, name=f"Campaign {i}")
    client = login(rep)
    with django_assert_max_num_queries(12):
        page = client.get(tasks_url(brand))
    assert page.content.decode().count("data-task=") == 4


def test_the_rep_previews_their_greeting_then_sends_with_one_click(brand, rep, crowd, login):
    confirmed_campaign(brand)
    task = task_of(rep)
    client = login(rep)

    page = client.get(task_url(brand, task))
    assert page.status_code == 200 and "Bo Chen" in page.content.decode() and ">Send<" in page.content.decode()
    preview = client.post(task_url(brand, task), {"greeting": "Dear {first_name}", "action": "preview"})
    assert preview.status_code == 200 and "Dear Bo<br>Hi Bo, 20% off this week." in preview.content.decode()
    assert not Message.objects.filter(conversation__customer__assigned_rep=rep).exists()

    bad = client.post(task_url(brand, task), {"greeting": "Dear {nick}", "action": "send"})
    assert bad.status_code == 400 and "{nick}" in bad.content.decode()
    assert not Message.objects.filter(conversation__customer__assigned_rep=rep).exists()

    sent = client.post(task_url(brand, task), {"greeting": "Dear {first_name}", "action": "send"}, follow=True)
    assert sent.redirect_chain[-1][0] == tasks_url(brand)
    assert "Sent to 2 customers." in sent.content.decode()
    assert Message.objects.get(conversation__customer=crowd["mei"]).body.startswith("Dear Mei\n")

    again = client.post(task_url(brand, task), {"greeting": "", "action": "send"})
    assert again.status_code == 409 and "already sent" in again.content.decode()
    assert Message.objects.filter(conversation__customer__assigned_rep=rep).count() == 2


def test_someone_elses_task_is_not_found(brand, rep, other_rep, manager, owner, crowd, login, other_brand):
    confirmed_campaign(brand)
    task = task_of(rep)
    for member in (other_rep, manager, owner):
        client = login(member)
        assert client.get(task_url(brand, task)).status_code == 404
        assert client.post(task_url(brand, task), {"greeting": "", "action": "send"}).status_code == 404
    stranger = factories.make_member(other_brand, Role.OWNER)
    client = login(stranger)
    assert client.get(reverse("campaigns:task", kwargs={"slug": other_brand.slug, "task_id": task.pk})
                      ).status_code == 404
    assert task_of(rep).status == RepTaskStatus.OPEN
    assert not Message.objects.filter(conversation__customer__assigned_rep=rep).exists()


def test_the_nav_shows_the_rep_how_many_tasks_wait(brand, rep, crowd, login, marketer):
    confirmed_campaign(brand)
    client = login(rep)
    inbox = client.get(reverse("chats:inbox", kwargs={"slug": brand.slug})).content.decode()
    assert f'href="{tasks_url(brand)}"' in inbox and '<span class="badge" aria-label="1 task to send">1</span>' in inbox

    rep_task_send(task=task_of(rep), actor=rep, greeting="")
    inbox = client.get(reverse("chats:inbox", kwargs={"slug": brand.slug})).content.decode()
    assert f'href="{tasks_url(brand)}"' in inbox and 'aria-label="1 task to send"' not in inbox
    # A marketer with no customers of their own has no such entry.
    other = login(marketer).get(reverse("tenancy:overview", kwargs={"slug": brand.slug})).content.decode()
    assert tasks_url(brand) not in other


def test_a_past_deadline_task_is_no_longer_listed(brand, rep, crowd, login):
    confirmed_campaign(brand)
    RepTask.objects.filter(rep=rep).update(deadline=timezone.now() - datetime.timedelta(minutes=1))
    client = login(rep)
    assert "Nothing to send right now." in client.get(tasks_url(brand)).content.decode()
    page = client.get(task_url(brand, task_of(rep))).content.decode()
    assert ">Send<" not in page and "deadline has passed" in page
