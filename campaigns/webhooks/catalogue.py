"""The event types an endpoint may subscribe to: the outbox events that are part of the public contract.

Internal events (staff.updated, group.updated, ...) never leave; "*" means every type listed here.
"""

from django.utils.translation import gettext_lazy as _

ALL = "*"
TEST_EVENT = "webhook.test"

EVENT_TYPES: dict[str, str] = {
    "customer.created": _("A customer was added (API, import, invite link)."),
    "customer.updated": _("A customer's profile changed."),
    "customer.erased": _("A customer's personal data was erased."),
    "member.joined": _("A customer joined a VIP group."),
    "member.left": _("A customer left a VIP group."),
    "message.created": _("A message was written in a conversation."),
    "messages.created": _("A campaign wrote a chunk of messages at once (their ids)."),
    "order.created": _("An order was created."),
    "order.updated": _("An order's status or tracking changed."),
    "survey.answered": _("A customer answered a survey."),
    "campaign.finished": _("A campaign run finished sending."),
    "coupon.claimed": _("A customer claimed a coupon."),
    "coupon.redeemed": _("A coupon was redeemed."),
    "product.updated": _("A product was created or changed."),
    "group_buy.joined": _("A customer joined a group-buy."),
    "group_buy.tier_unlocked": _("A group-buy reached a price tier."),
    "group_buy.settled": _("A group-buy reached its deadline."),
    "event.rsvp": _("A customer answered an event invitation."),
    "event.checked_in": _("A customer checked in at an event."),
}


def wants(events: list[str], event_type: str) -> bool:
    """Does an endpoint subscribed to `events` receive `event_type`?"""
    return event_type in EVENT_TYPES and (ALL in events or event_type in events)
