from campaigns.models import CampaignRun, CampaignStatus, Delivery, DeliveryStatus, RunStatus
from chats.models import Conversation, Message
from tests import factories


def test_a_promotion_reaches_each_consenting_customer_once_from_their_rep(brand, rep, reachable):
    mei = reachable("Mei Lin", assigned_rep=rep)
    bo = reachable("Bo Chen")
    factories.make_customer(brand, "No Consent")
    campaign = factories.send_campaign_now(factories.make_campaign(brand))

    assert campaign.status == CampaignStatus.SENT
    run = CampaignRun.objects.get(campaign=campaign)
    assert run.status == RunStatus.DONE and run.total == 3
    by_customer = {d.customer_id: d for d in Delivery.objects.filter(run=run)}
    assert by_customer[mei.pk].status == DeliveryStatus.SENT and by_customer[mei.pk].rep_id == rep.pk
    assert by_customer[bo.pk].status == DeliveryStatus.SENT and by_customer[bo.pk].rep_id is None
    skipped = [d for d in by_customer.values() if d.status == DeliveryStatus.SKIPPED]
    assert [d.reason for d in skipped] == ["no_consent"]
    message = Message.objects.get(conversation=Conversation.objects.get(customer=mei))
    assert message.body == "Hi Mei, 20% off this week."
    assert message.sender_name == rep.user.display_name and message.seq == 1
    assert message.payload["opt_out_url"].startswith("/o/")
    bo_message = Message.objects.get(conversation__customer=bo)
    assert bo_message.sender_type == "bot" and bo_message.sender_name == brand.name
