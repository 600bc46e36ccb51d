"""The communities part of `seed_demo`: customers, four VIP groups (one full, with overflow), invite links."""

import random

from django.utils import timezone

from crm.models import Customer, CustomerSource
from privtraffic.tenancy.actors import SystemActor
from privtraffic.tenancy.demo import DemoTeam

from .groups.services import group_create, group_member_add
from .invites.services import invite_link_create
from .models import GroupMember, VipGroup

FIRST = ["Mei", "Wei", "Jing", "Lei", "Xin", "Yan", "Hui", "Ling", "Tao", "Fang", "Jun", "Ying", "Hao", "Min", "Qing"]
LAST = ["Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Zhao", "Huang", "Zhou", "Wu", "Xu", "Sun", "Hu", "Zhu", "Gao"]
CUSTOMER_COUNT = 1500


def _bulk_members(group: VipGroup, customers: list[Customer], already: int = 0) -> None:
    # Seeding writes rows in bulk; member_count is set to exactly what was written.
    now = timezone.now()
    GroupMember.objects.bulk_create(
        [GroupMember(brand_id=group.brand_id, group=group, customer=c, joined_at=now) for c in customers]
    )
    VipGroup.objects.filter(pk=group.pk).update(member_count=already + len(customers))


def seed_communities(team: DemoTeam) -> dict:
    brand = team.brand
    rng = random.Random(2026)
    customers = Customer.objects.bulk_create([
        Customer(
            brand=brand, name=f"{rng.choice(FIRST)} {rng.choice(LAST)}", email=f"customer{i}@demo.test",
            source=rng.choice([CustomerSource.INVITE_LINK, CustomerSource.REP, CustomerSource.STORE]),
            home_store=team.stores[i % len(team.stores)], assigned_rep=team.reps[i % len(team.reps)],
            consent_chat=True, consent_chat_at=timezone.now(), consent_promotions=i % 3 != 0,
        )
        for i in range(CUSTOMER_COUNT)
    ])
    system = SystemActor.for_brand(brand, "seed_demo")
    common = {"rules": "Be kind. No ads. Offers are for members only.",
              "welcome_message": "Welcome! Introduce yourself and tell us your favourite product."}
    flagship = group_create(brand=brand, actor=system, name="Shanghai VIP Club", store=team.stores[0],
                            topic="First looks and members-only offers", **common)
    skincare = group_create(brand=brand, actor=system, name="Skincare Lovers", topic="Routines, swaps and reviews",
                            capacity=300, **common)
    beijing = group_create(brand=brand, actor=system, name="Beijing Sanlitun Insiders", store=team.stores[1], **common)
    events = group_create(brand=brand, actor=system, name="Events & Workshops", announce_only=True, capacity=200)

    _bulk_members(flagship, customers[:500])
    # The 501st joiner goes through the real path, which opens "Shanghai VIP Club #2".
    overflow = group_member_add(group=flagship, customer=customers[500], actor=system, follow_overflow=True).group
    _bulk_members(overflow, customers[501:620], already=1)
    _bulk_members(skincare, customers[620:850])
    _bulk_members(beijing, customers[850:1000])
    _bulk_members(events, customers[1000:1150])

    groups = [flagship, skincare, beijing, events]
    invites = [invite_link_create(brand=brand, actor=system, group=g, label="Till QR", created_by=team.owner) for g in groups]
    invites += [invite_link_create(brand=brand, actor=system, rep=rep, label="Shopping assistant") for rep in team.reps]
    return {"customers": len(customers), "groups": groups + [overflow], "invites": invites}
