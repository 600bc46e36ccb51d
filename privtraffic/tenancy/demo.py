"""The tenancy part of `seed_demo`: brand demo, its stores and team with known passwords."""

from dataclasses import dataclass, field

from allauth.account.models import EmailAddress

from privtraffic.accounts.models import User

from .actors import SystemActor
from .models import Brand, Membership, Store
from .roles import Role
from .services import brand_create, store_create

DEMO_SLUG = "demo"
DEMO_PASSWORD = "demo-pass-2026"

STORES = [
    ("Shanghai Jing'an", "1601 Nanjing West Rd", "Shanghai", "200040"),
    ("Beijing Sanlitun", "19 Sanlitun Rd", "Beijing", "100027"),
    ("Shenzhen Nanshan", "2888 Shennan Blvd", "Shenzhen", "518057"),
]
REP_NAMES = ["Li Na", "Wang Fang", "Zhang Wei", "Liu Yang", "Chen Jing", "Zhao Lei"]


@dataclass
class DemoTeam:
    brand: Brand
    owner: User
    marketer: User
    stores: list[Store] = field(default_factory=list)
    reps: list[Membership] = field(default_factory=list)


def _demo_user(email: str, name: str) -> User:
    user = User.objects.create_user(email=email, password=DEMO_PASSWORD, name=name)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def seed_team() -> DemoTeam:
    owner = _demo_user("owner@demo.test", "Olivia Owner")
    brand = brand_create(name="Demo Beauty", slug=DEMO_SLUG, owner=owner)
    marketer = _demo_user("marketer@demo.test", "Mia Marketer")
    Membership.objects.create(brand=brand, user=marketer, role=Role.MARKETER)
    team = DemoTeam(brand=brand, owner=owner, marketer=marketer)
    for name, address, city, postal_code in STORES:
        team.stores.append(
            store_create(brand=brand, actor=SystemActor.for_brand(brand, "seed_demo"), name=name, address=address, city=city, postal_code=postal_code)
        )
    manager = _demo_user("manager@demo.test", "Sam Manager")
    Membership.objects.create(brand=brand, user=manager, role=Role.STORE_MANAGER, store=team.stores[0])
    for index, name in enumerate(REP_NAMES, start=1):
        user = _demo_user(f"rep{index}@demo.test", name)
        store = team.stores[(index - 1) % len(team.stores)]
        team.reps.append(Membership.objects.create(brand=brand, user=user, role=Role.REP, store=store))
    return team


DEMO_LOGINS = [
    ("owner", "owner@demo.test"),
    ("marketer", "marketer@demo.test"),
    ("store manager", "manager@demo.test"),
    ("rep", "rep1@demo.test … rep6@demo.test"),
]
