"""Small factories for tests: real rows through the real services where it matters."""

import itertools

from allauth.account.models import EmailAddress

from privtraffic.accounts.models import User
from privtraffic.tenancy.actors import ApiKeyActor, SystemActor
from privtraffic.tenancy.models import ApiKey, Brand, Membership, Store
from privtraffic.tenancy.roles import Role
from privtraffic.tenancy.services import api_key_create, brand_create

PASSWORD = "correct-horse-battery-9"
_seq = itertools.count(1)


def make_user(email: str | None = None, *, password: str | None = PASSWORD, name: str = "", verified=True) -> User:
    email = email or f"user{next(_seq)}@example.test"
    user = User.objects.create_user(email=email, password=password, name=name)
    EmailAddress.objects.create(user=user, email=email, verified=verified, primary=True)
    return user


def system(brand: Brand, reason: str = "tests") -> SystemActor:
    """The brand's own machinery as an actor: what tasks, subscribers and seeding act as."""
    return SystemActor.for_brand(brand, reason)


def api_actor(brand: Brand) -> ApiKeyActor:
    """An integrator's key of `brand`, as the API base hands it to services."""
    make_api_key(brand)
    return ApiKeyActor(api_key=ApiKey.objects.filter(brand=brand).latest("id"))


def make_brand(slug: str | None = None, *, name: str | None = None, owner: User | None = None) -> Brand:
    n = next(_seq)
    slug = slug or f"brand-{n}"
    return brand_create(name=name or f"Brand {n}", slug=slug, owner=owner or make_user(f"owner-{slug}@example.test"))


def make_store(brand: Brand, name: str | None = None, **fields) -> Store:
    return Store.objects.create(brand=brand, name=name or f"Store {next(_seq)}", **fields)


def make_member(brand: Brand, role: str = Role.REP, *, store: Store | None = None, user: User | None = None) -> Membership:
    if store is None and role in (Role.REP, Role.STORE_MANAGER):
        store = make_store(brand)
    return Membership.objects.create(brand=brand, user=user or make_user(), role=role, store=store)


def make_api_key(brand: Brand, name: str = "test key") -> str:
    _, raw_key = api_key_create(brand=brand, actor=system(brand), name=name)
    return raw_key


def owner_of(brand: Brand) -> Membership:
    return Membership.objects.get(brand=brand, role=Role.OWNER)


def make_customer(brand: Brand, name: str | None = None, **fields):
    from crm.customers.services import customer_create

    n = next(_seq)
    fields.setdefault("email", f"customer{n}@example.test")
    fields.setdefault("actor", system(brand))
    return customer_create(brand=brand, name=name or f"Customer {n}", **fields)


def make_group(brand: Brand, name: str | None = None, **fields):
    from communities.groups.services import group_create

    return group_create(brand=brand, actor=system(brand), name=name or f"VIP {next(_seq)}", **fields)


def make_invite(brand: Brand, *, group=None, rep=None, **fields):
    from communities.invites.services import invite_link_create

    if group is None and rep is None:
        group = make_group(brand)
    return invite_link_create(brand=brand, actor=system(brand), group=group, rep=rep, **fields)


def make_conversation(brand: Brand, customer=None):
    from chats.services import conversation_for_customer

    return conversation_for_customer(customer=customer or make_customer(brand))


def make_order(brand: Brand, customer=None, *, total: str = "100.00", **fields):
    from crm.orders.services import order_create

    fields.setdefault("external_id", f"SO-{next(_seq)}")
    fields.setdefault("currency", brand.default_currency)
    fields.setdefault("actor", system(brand))
    return order_create(brand=brand, customer=customer or make_customer(brand), total=total, **fields)


def make_campaign(brand: Brand, *, name: str = "Spring sale", body: str = "Hi {first_name}, 20% off this week.",
                  audience=None, **fields):
    from campaigns.authoring.services import campaign_create

    return campaign_create(brand=brand, actor=system(brand), name=name, body=body,
                           audience=audience or {"all": True}, **fields)


def send_campaign_now(campaign):
    """Schedule for now and run the dispatcher once (chunks run eagerly in tests); returns the fresh campaign."""
    from django.test import TestCase

    from campaigns.authoring.services import campaign_schedule
    from campaigns.sending.dispatcher import campaigns_dispatch

    campaign_schedule(campaign=campaign, actor=system(campaign.brand), send_at=None)
    with TestCase.captureOnCommitCallbacks(execute=True):  # the chunk tasks queued on commit run eagerly
        campaigns_dispatch()
    campaign.refresh_from_db()
    return campaign


def make_rep_task(brand: Brand, rep: Membership | None = None):
    """An open rep-confirmed task (no recipients) of a draft campaign's run, due in a day."""
    import datetime

    from django.utils import timezone

    from campaigns.models import CampaignRun, RepTask

    campaign = make_campaign(brand, confirm_mode="rep_confirms")
    now = timezone.now()
    run = CampaignRun.objects.create(brand=brand, campaign=campaign, due_at=now, status="sending", started_at=now)
    return RepTask.objects.create(brand=brand, run=run, rep=rep or make_member(brand, Role.REP),
                                  deadline=now + datetime.timedelta(days=1))
def make_persona(brand: Brand, name: str = "Lumi"):
    """The brand persona, with an avatar on record (the file itself need not exist)."""
    from chats.models import BrandPersona

    persona, _ = BrandPersona.objects.get_or_create(brand=brand, defaults={
        "name": name, "avatar": "persona-avatars/factory.png"})
    return persona


def make_attachment(brand: Brand, conversation=None):
    from chats.models import Attachment

    conversation = conversation or make_conversation(brand)
    return Attachment.objects.create(brand=brand, conversation=conversation, file="chat-files/factory.png",
                                     name="factory.png", content_type="image/png", size=1, uploaded_by="system")


def make_webhook_endpoint(brand: Brand, url: str = "https://192.0.2.10/hooks", events=("*",), **fields):
    """An endpoint made directly (no address check: the isolation matrix makes one per brand). The default
    URL (TEST-NET-1) is refused at send time, so a test that relays events never reaches the network."""
    from campaigns.webhooks.models import WebhookEndpoint
    from campaigns.webhooks.services import secret_generate

    return WebhookEndpoint.objects.create(brand=brand, url=url, events=list(events), secret=secret_generate(),
                                          **fields)


def make_webhook_delivery(brand: Brand, endpoint=None, **fields):
    import uuid

    from campaigns.webhooks.models import WebhookDelivery

    endpoint = endpoint or make_webhook_endpoint(brand)
    event_id = uuid.uuid4()
    return WebhookDelivery.objects.create(
        brand=brand, endpoint=endpoint, event_id=event_id, event_type="customer.created",
        msg_id=f"msg_{event_id.hex}", body='{"type":"customer.created","timestamp":"2026-01-01T00:00:00+00:00",'
                                            '"data":{}}', **fields)


def make_product(brand: Brand, sku: str | None = None, *, name: str = "Vitamin C Serum 30ml", price: str = "199.00",
                 **fields):
    """A product of the brand's catalogue (active unless told)."""
    from decimal import Decimal

    from crm.models import Product

    sku = sku or f"SKU-{Product.objects.filter(brand=brand).count() + 1}-{brand.slug}"
    fields.setdefault("currency", "CNY")
    return Product.objects.create(brand=brand, sku=sku, name=name, price=Decimal(price), **fields)


def make_coupon(brand: Brand, *, title: str = "20% off your next visit", value="20", **fields):
    """A live coupon: a shared code (unique per call) unless personal_codes=True."""
    from campaigns.coupons.services import coupon_create

    fields.setdefault("kind", "percent")
    if not fields.get("personal_codes"):
        fields.setdefault("code", f"SAVE{next(_seq)}")
    return coupon_create(brand=brand, actor=system(brand), title=title, value=value, **fields)
def make_event(brand: Brand, *, title: str = "Saturday run club", capacity: int = 20, starts_in_hours: float = 72,
               hours: float = 2, **fields):
    """A published community event starting `starts_in_hours` from now (campaigns.events)."""
    import datetime

    from django.utils import timezone

    from campaigns.events.services import event_create

    starts_at = timezone.now().replace(microsecond=0) + datetime.timedelta(hours=starts_in_hours)
    fields.setdefault("place", "Riverside park, north gate")
    fields.setdefault("actor", system(brand))
    return event_create(brand=brand, title=title, capacity=capacity, starts_at=starts_at,
                        ends_at=starts_at + datetime.timedelta(hours=hours), **fields)
def make_group_buy(brand: Brand, *, title: str = "Serum team buy", tiers=None, deadline=None, price: str = "199.00",
                   **fields):
    """An open group-buy of a new product (list price `price` CNY), tiers 2 -> 179, 5 -> 159, 10 -> 139."""
    import datetime
    from decimal import Decimal

    from django.utils import timezone

    from campaigns.models import GroupBuy
    from crm.models import Product

    n = next(_seq)
    product = Product.objects.create(brand=brand, sku=f"GB-{n}", name=f"Vitamin C Serum {n}", price=Decimal(price),
                                     currency="CNY", image_url="https://img.example.test/serum.png")
    return GroupBuy.objects.create(
        brand=brand, product=product, title=title, currency="CNY",
        tiers=tiers or [{"min": 2, "price": "179.00"}, {"min": 5, "price": "159.00"}, {"min": 10, "price": "139.00"}],
        deadline=deadline or timezone.now() + datetime.timedelta(days=2), **fields)
