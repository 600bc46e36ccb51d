"""The chat part of `seed_demo`: realistic history in groups and 1:1 chats, through the real write path."""

import random

from communities.models import GroupMember
from crm.models import Customer
from privtraffic.tenancy.actors import SystemActor
from privtraffic.tenancy.demo import DemoTeam
from privtraffic.tenancy.models import Membership
from privtraffic.tenancy.roles import Role

from .inbox.services import quick_reply_save
from .services import Sender, conversation_for_customer, conversation_for_group, message_send

GROUP_LINES = [
    ("staff", "Good morning everyone! Our spring serum restock lands on Friday — members get first pick."),
    ("customer", "Will the 50 ml size be back too?"),
    ("staff", "Yes, both 30 ml and 50 ml. Reply here and we'll hold one for you."),
    ("customer", "Hold one 50 ml for me please 🙏"),
    ("customer", "Same here! Also is the gift box available?"),
    ("staff", "Gift boxes are free this week with any set. See you in store!"),
]
DIRECT_LINES = [
    ("customer", "Hi! I bought the cleanser last week. Can I use it with the vitamin C serum?"),
    ("rep", "Hi {first_name}! Yes — cleanser first, then the serum in the morning. Avoid using it with retinol."),
    ("customer", "Great, thanks. Do you have the travel size?"),
    ("rep", "We do, 199 CNY. I can put one aside for you at the counter."),
]


QUICK_REPLIES = [
    ("Greeting", "Hi {first_name}! This is {rep_name} from {store_name}. How can I help?"),
    ("Hold at counter", "I've put one aside for you at {store_name}. It's yours until Sunday."),
    ("Thanks", "Thank you {first_name}! See you soon."),
]


def seed_conversations(team: DemoTeam, groups) -> int:
    rng = random.Random(7)
    system = SystemActor.for_brand(team.brand, "seed_demo: chats")
    for title, body in QUICK_REPLIES:
        quick_reply_save(brand=team.brand, actor=system, title=title, body=body)
    owner = Membership.objects.get(brand=team.brand, role=Role.OWNER)
    sent = 0
    for group in groups:
        conversation = conversation_for_group(group=group)
        members = list(GroupMember.objects.filter(group=group, left_at__isnull=True).select_related("customer")[:20])
        if not members:
            continue
        for index, (who, text) in enumerate(GROUP_LINES):
            if who == "customer" and group.announce_only:
                continue
            sender = Sender.of_staff(owner) if who == "staff" else Sender.of_customer(rng.choice(members).customer)
            message_send(conversation=conversation, sender=sender, body=text, client_msg_id=f"demo-{group.pk}-{index}")
            sent += 1
    for rep in team.reps:
        for customer in Customer.objects.filter(brand=team.brand, assigned_rep=rep).order_by("pk")[:10]:
            conversation = conversation_for_customer(customer=customer)
            for index, (who, text) in enumerate(DIRECT_LINES[: rng.randint(1, len(DIRECT_LINES))]):
                sender = Sender.of_staff(rep) if who == "rep" else Sender.of_customer(customer)
                message_send(conversation=conversation, sender=sender, body=text.format(first_name=customer.first_name),
                             client_msg_id=f"demo-{index}")
                sent += 1
    return sent
