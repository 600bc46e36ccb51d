"""What the builder shows before anything is saved: the audience count split by what will happen, one
recipient's message exactly as the fan-out writes it, and the marketer's test send to their own phone.

All three work on the form's current values (an unsaved Campaign), checked by the same rules as a save.
"""

import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from chats.bulk import BulkMessage, conversations_for_customers, messages_send_bulk
from chats.models import MAX_BODY_LENGTH
from chats.services import message_content_check
from chats.templating import template_check
from crm.customers.services import customer_create
from crm.models import Customer, CustomerSource, Segment
from privtraffic.tenancy.actors import Actor, SystemActor, actor_user_id, authorize
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.models import Brand, Membership
from privtraffic.tenancy.parsing import bad_text, bad_text_error, parse_int
from privtraffic.tenancy.roles import Perm

from ..models import Campaign, CampaignChannel, CardKind
from ..sending.fanout import Rendered, recipient_render
from .audience import Breakdown, audience_breakdown, audience_normalize


def _body(body: Any) -> str:
    if not isinstance(body, str):
        raise ApplicationError("invalid", _("body must be text."), fields={"body": [_("body must be text.")]})
    if bad_text(body):
        raise bad_text_error("body")
    body = body.strip()
    if len(body) > MAX_BODY_LENGTH:
        raise ApplicationError("invalid", _("Messages are at most 4,000 characters."),
                               fields={"body": [_("At most 4,000 characters.")]})
    return body


def draft_message(*, brand: Brand, body: Any, card_kind: str = "", card_payload: dict | None = None,
                  channel: str = CampaignChannel.DIRECT) -> Campaign:
    """An unsaved campaign carrying the form's message (variables and card checked as on save)."""
    body = _body(body)
    template_check(body)
    if card_kind not in CardKind.values:
        card_kind = ""
    if channel not in CampaignChannel.values:
        channel = CampaignChannel.DIRECT
    payload = dict(card_payload or {}) if card_kind else {}
    if body or card_kind:
        body = message_content_check(brand_id=brand.pk, kind=card_kind or "text", body=body, payload=dict(payload))
    return Campaign(brand=brand, body=body, card_kind=card_kind, card_payload=payload, channel=channel)


def draft_breakdown(*, brand: Brand, audience: Any, channel: str, exclude_segment_id: int | None = None,
                    at: datetime.datetime | None = None) -> Breakdown:
    """The builder's live count: who the form's audience reaches at `at` (now when None)."""
    if channel not in CampaignChannel.values:
        raise ApplicationError("invalid", _("Choose a channel."), fields={"channel": [_("Choose a channel.")]})
    normalized = audience_normalize(brand=brand, audience=audience, channel=channel)
    if exclude_segment_id is not None:
        exclude_segment_id = parse_int(exclude_segment_id, "exclude_segment", minimum=1, strings=False)
        if not Segment.objects.filter(brand=brand, pk=exclude_segment_id).exists():
            raise ApplicationError.not_found("segment")
    campaign = Campaign(brand=brand, audience=normalized, channel=channel, exclude_segment_id=exclude_segment_id)
    return audience_breakdown(campaign=campaign, at=at or timezone.now())


def recipient_preview(*, campaign: Campaign, customer: Customer) -> Rendered:
    """The message this customer would get (sender, text, card), rendered by the fan-out's own code."""
    if customer.brand_id != campaign.brand_id:
        raise ApplicationError.not_found("customer")
    return recipient_render(campaign=campaign, customer=customer)


def campaign_send_test(*, brand: Brand, actor: Actor, body: str, card_kind: str = "",
                       card_payload: dict | None = None, channel: str = CampaignChannel.DIRECT) -> Customer:
    """Send the campaign's message, rendered for the staff member themselves, to their own 1:1 chat with the
    brand (/chat/ on their phone). They become a customer of the brand for this (a record linked to their
    user, created once). Not a delivery: no weekly budget slot, no campaign results, no opt-out of anyone."""
    authorize(actor, Perm.MANAGE_CAMPAIGNS, brand, what="brand")
    if not isinstance(actor, Membership):
        raise ApplicationError.forbidden(_("Only a person of the brand's team can send a test to themselves."))
    campaign = draft_message(brand=brand, body=body, card_kind=card_kind, card_payload=card_payload,
                             channel=channel)
    if not campaign.body and not campaign.card_kind:
        raise ApplicationError("invalid", _("Type a message first."), fields={"body": [_("The message is empty.")]})
    system = SystemActor.for_brand(brand, "campaign_send_test")
    with transaction.atomic():
        customer = Customer.objects.select_for_update().filter(brand=brand, user_id=actor_user_id(actor)).first()
        if customer is None:
            user = actor.user
            customer = customer_create(brand=brand, actor=system, name=user.display_name or user.email,
                                       user=user, source=CustomerSource.API, source_ref="campaign test",
                                       consent_chat=True, consent_source="campaign test")
        # A 1:1 campaign is sent under the rep's name: the test comes from the person testing it.
        rep = actor if campaign.channel == CampaignChannel.DIRECT else None
        rendered = recipient_render(campaign=campaign, customer=customer, rep=rep)
        payload = {k: v for k, v in rendered.payload.items() if k != "campaign"} | {"test": True}
        conversation_id = conversations_for_customers(brand=brand, customer_ids=[customer.pk])[customer.pk]
        messages_send_bulk(brand=brand, actor=system, messages=[BulkMessage(
            conversation_id=conversation_id, sender=rendered.sender, kind=rendered.kind, body=rendered.body,
            payload=payload)], event_payload={"campaign_test": True})
    return customer
