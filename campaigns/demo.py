"""The campaigns part of `seed_demo`: the brand persona, a promotion that went out, a weekly group routine and a
draft, all through the real services and the real dispatcher."""

from chats.persona.services import persona_save
from privtraffic.tenancy.actors import SystemActor
from privtraffic.tenancy.demo import DemoTeam

from .authoring.services import campaign_create, campaign_schedule
from .sending.dispatcher import campaigns_dispatch


def seed_campaigns(team: DemoTeam, groups) -> int:
    brand = team.brand
    system = SystemActor.for_brand(brand, "seed_demo: campaigns")
    persona_save(brand=brand, actor=system, name="Lumi",
                 bio=f"Your skincare assistant at {brand.name}: routines, restocks and members' offers.")
    welcome = campaign_create(
        brand=brand, actor=system, name="Spring serum restock", kind="promotion", channel="direct",
        body="Hi {first_name}, the spring serum is back at {store_name}. Members get 15% off until Sunday.",
        audience={"all": True})
    campaign_schedule(campaign=welcome, actor=system, send_at=None)
    campaign_create(
        brand=brand, actor=system, name="Friday flash sale", kind="promotion", channel="group",
        body="Friday flash sale at {store_name}: 20:00-21:00 only, reply here to hold yours.",
        audience={"groups": [g.pk for g in groups[:2]]}, recurrence={"days": [4], "time": "20:00"})
    weekly = campaign_create(
        brand=brand, actor=system, name="Monday skin tip", kind="announcement", channel="group",
        body="Monday tip from {rep_name}: sunscreen every morning, even when it is cloudy.",
        audience={"groups": [g.pk for g in groups[:1]]}, recurrence={"days": [0], "time": "09:00"})
    campaign_schedule(campaign=weekly, actor=system)
    campaigns_dispatch()  # the promotion goes out now (its chunks run once this transaction commits)
    return 3
