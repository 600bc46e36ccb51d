"""Each sent delivery records its own message, sender and time (the fan-out marks a chunk in one UPDATE)."""

import datetime

from django.utils import timezone

from campaigns.models import CampaignRun, Delivery, DeliveryStatus, SkipReason
from campaigns.sending.fanout import delivery_chunk_send
from chats.models import BrandPersona, Message
from crm.consent.services import contact_policy_save
from tests import factories


def test_every_sent_delivery_points_at_its_own_message_with_its_sender(brand, rep, reachable):
    persona = BrandPersona.objects.create(brand=brand, name="Bella")
    by_rep = [reachable(f"Rep Customer{i}", assigned_rep=rep) for i in range(3)]
    by_persona = [reachable(f"Persona Customer{i}") for i in range(2)]
    campaign = factories.send_campaign_now(factories.make_campaign(brand))

    deliveries = {d.customer_id: d for d in Delivery.objects.filter(campaign=campaign).select_related("message")}
    assert len(deliveries) == 5
    for customer in by_rep + by_persona:
        delivery = deliveries[customer.pk]
        assert delivery.status == DeliveryStatus.SENT and delivery.reason == "" and delivery.sent_at is not None
        assert delivery.message.conversation.customer_id == customer.pk
        assert delivery.message.client_msg_id == f"campaign-delivery:{delivery.pk}"
        assert delivery.message.body == f"Hi {customer.first_name}, 20% off this week."
    assert {deliveries[c.pk].rep_id for c in by_rep} == {rep.pk}
    assert {deliveries[c.pk].persona_id for c in by_rep} == {None}
    assert {deliveries[c.pk].rep_id for c in by_persona} == {None}
    assert {deliveries[c.pk].persona_id for c in by_persona} == {persona.pk}
    assert Message.objects.filter(brand=brand).count() == 5


def test_a_recipient_deferred_by_quiet_hours_is_sent_later_and_loses_the_deferral(brand, reachable):
    system = factories.system(brand)
    mei = reachable("Mei Lin")
    local = timezone.now().astimezone(brand.tzinfo)
    contact_policy_save(brand=brand, actor=system, weekly_promotion_budget=3,
                        quiet_hours_start=(local - datetime.timedelta(hours=1)).time().replace(second=0, microsecond=0),
                        quiet_hours_end=(local + datetime.timedelta(hours=1)).time().replace(second=0, microsecond=0))
    campaign = factories.send_campaign_now(factories.make_campaign(brand))
    delivery = Delivery.objects.get(campaign=campaign, customer=mei)
    assert delivery.status == DeliveryStatus.PENDING and delivery.reason == SkipReason.QUIET_HOURS
    assert delivery.not_before > timezone.now() and delivery.message_id is None

    # The quiet hours are over: the deferral time has passed and the chunk runs again.
    contact_policy_save(brand=brand, actor=system, weekly_promotion_budget=3,
                        quiet_hours_start=datetime.time(0, 0), quiet_hours_end=datetime.time(0, 0))
    Delivery.objects.filter(pk=delivery.pk).update(not_before=timezone.now() - datetime.timedelta(minutes=1))
    result = delivery_chunk_send(brand=brand, actor=system, run_id=CampaignRun.objects.get(campaign=campaign).pk,
                                 chunk=delivery.chunk)

    assert result.sent == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT and delivery.reason == "" and delivery.not_before is None
    assert Message.objects.get(pk=delivery.message_id).conversation.customer_id == mei.pk


def test_a_chunk_records_the_runs_progress_when_it_finishes_not_when_it_started(brand, reachable):
    reachable("Mei Lin")
    campaign = factories.send_campaign_now(factories.make_campaign(brand))
    run = CampaignRun.objects.get(campaign=campaign)
    delivery = Delivery.objects.get(run=run)
    # sent_at is the chunk's start; a slow chunk stamped with it would look quiet to the dispatcher.
    assert run.progress_at > delivery.sent_at


def test_a_new_run_counts_its_progress_from_after_its_recipients_are_written(brand, reachable):
    from campaigns.authoring.services import campaign_schedule
    from campaigns.sending.dispatcher import campaigns_dispatch

    reachable("Mei Lin")
    campaign = factories.make_campaign(brand)
    campaign_schedule(campaign=campaign, actor=factories.system(brand), send_at=None)
    campaigns_dispatch()  # the chunk task is queued on commit and does not run here
    run = CampaignRun.objects.get(campaign=campaign)
    # started_at is the dispatcher's pass; the quiet-run clock starts once the deliveries exist.
    assert run.progress_at > run.started_at
