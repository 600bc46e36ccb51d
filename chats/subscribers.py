"""How chat reacts to community events: join/leave notices and the welcome message."""

from django.utils.translation import gettext as _

from communities.models import VipGroup
from crm.models import Customer
from privtraffic.events.registry import subscribe

from .models import MessageKind
from .realtime import announce_visibility_change, brand_staff_group, broadcast_on_commit
from .services import Sender, conversation_for_customer, conversation_for_group, message_send


def _group_conversation_of(event):
    """The group and conversation a membership event is about; the member's sockets re-check it now."""
    group = VipGroup.objects.filter(brand_id=event.brand_id, pk=event.payload["group_id"]).first()
    if group is None:
        return None, None
    conversation = conversation_for_group(group=group)
    conversation.group = group  # the notices' message_send checks it: no second read
    announce_visibility_change(brand_id=group.brand_id, conversation_id=conversation.pk,
                               customer_ids=[event.payload["customer_id"]])
    return group, conversation


@subscribe("member.joined", name="chats.member_joined")
def post_join_messages(event) -> None:
    group, conversation = _group_conversation_of(event)
    if group is None:
        return
    name = event.payload["customer_name"]
    if group.system_messages:
        message_send(conversation=conversation, sender=Sender.system(), kind=MessageKind.SYSTEM,
                     body=_("%(name)s joined the group.") % {"name": name},
                     payload={"event": "member.joined", "customer_id": event.payload["customer_id"]},
                     client_msg_id=f"join-{event.id}")
    if group.welcome_message.strip():
        first_name = name.split()[0] if name.strip() else name
        message_send(conversation=conversation, sender=Sender.bot(group.name, key=f"group:{group.pk}"), kind=MessageKind.TEXT,
                     body=f"@{first_name} {group.welcome_message.strip()}",
                     payload={"welcome_for": event.payload["customer_id"]},
                     client_msg_id=f"welcome-{event.id}")


@subscribe("member.left", name="chats.member_left")
def post_leave_message(event) -> None:
    group, conversation = _group_conversation_of(event)
    if group is None:
        return
    if not group.system_messages:
        return
    name = event.payload["customer_name"]
    text = (_("%(name)s was removed from the group.") if event.payload["reason"] == "removed"
            else _("%(name)s left the group.")) % {"name": name}
    message_send(conversation=conversation, sender=Sender.system(), kind=MessageKind.SYSTEM,
                 body=text, payload={"event": "member.left", "customer_id": event.payload["customer_id"]},
                 client_msg_id=f"left-{event.id}")


@subscribe("staff.updated", name="chats.staff_updated")
def refresh_staff_sockets(event) -> None:
    """A role, store or active flag changed: the brand's staff sockets re-read what they may see."""
    broadcast_on_commit(brand_staff_group(event.brand_id), {"type": "identity.refresh"})


@subscribe("group.updated", name="chats.group_updated")
def recheck_group_visibility(event) -> None:
    group = VipGroup.objects.filter(brand_id=event.brand_id, pk=event.payload["group_id"]).first()
    if group is not None:
        announce_visibility_change(brand_id=group.brand_id, conversation_id=conversation_for_group(group=group).pk)


@subscribe("customer.reassigned", name="chats.customer_reassigned")
def introduce_new_rep(event) -> None:
    """The customer's 1:1 chat moves with its whole history; the new rep is introduced in it."""
    customer = Customer.objects.filter(brand_id=event.brand_id, pk=event.payload["customer_id"]).select_related(
        "assigned_rep__user").first()
    if customer is None:
        return
    conversation = conversation_for_customer(customer=customer)
    announce_visibility_change(brand_id=customer.brand_id, conversation_id=conversation.pk,
                               customer_ids=[customer.pk])
    if customer.assigned_rep is not None:
        message_send(conversation=conversation, sender=Sender.system(), kind=MessageKind.SYSTEM,
                     body=_("%(rep)s is now your shopping assistant. Ask anything here.")
                     % {"rep": customer.assigned_rep.user.display_name},
                     payload={"event": "customer.reassigned", "rep": customer.assigned_rep_id},
                     client_msg_id=f"rep-{event.id}")


@subscribe("customer.erased", name="chats.customer_erased")
def forget_erased_customer(event) -> None:
    """An erased customer's messages stay (bodies too) but show as from "Former member" (communities took
    them out of their groups during the erasure). Safe to run twice: renamed messages stay renamed."""
    from crm.privacy.services import ERASED_NAME

    from .models import Message
    from .realtime import customer_group

    customer_id = event.payload["customer_id"]
    (Message.objects.filter(brand_id=event.brand_id, sender_customer_id=customer_id)
     .exclude(sender_name=ERASED_NAME).update(sender_name=ERASED_NAME))
    # Sockets signed in as this person re-read who they are: the login is no longer linked to the customer.
    broadcast_on_commit(customer_group(customer_id), {"type": "identity.refresh"})
