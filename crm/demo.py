"""Demo orders for `seed_demo`: a third of the demo customers bought something, so profiles, segments and
lifecycle stages have real figures to show."""

import datetime
import random
from decimal import Decimal

from django.utils import timezone

from privtraffic.tenancy.models import Brand

from .customers.lifecycle import lifecycle_stage_of
from .models import Customer, Order, OrderStatus

# Demo Beauty sells skincare: its orders, survey and chats all speak of skin, never of anything else.
PRODUCTS = [("SERUM-30", "Hydrating serum 30 ml", Decimal("399.00")), ("CLEANSE-150", "Gentle cleanser 150 ml", Decimal("159.00")),
            ("SPF50", "Daily sunscreen SPF 50", Decimal("229.00")), ("MASK-5", "Sheet masks, 5 pack", Decimal("129.00"))]
STATUSES = [OrderStatus.DELIVERED] * 6 + [OrderStatus.SHIPPED, OrderStatus.PAID, OrderStatus.CANCELLED]


def seed_orders(brand: Brand) -> int:
    """Bulk-created (the demo has 1,500 customers): figures are set the way crm.orders keeps them."""
    rng = random.Random(11)
    now = timezone.now()
    orders, buyers = [], []
    for customer in Customer.objects.filter(brand=brand).order_by("pk"):
        if rng.random() > 0.33:
            continue
        counted = []
        for n in range(rng.randint(1, 4)):
            sku, name, price = rng.choice(PRODUCTS)
            quantity = rng.randint(1, 3)
            order = Order(brand=brand, customer=customer, external_id=f"DEMO-{customer.pk}-{n}", currency="CNY",
                          total=price * quantity, status=rng.choice(STATUSES),
                          items=[{"sku": sku, "name": name, "quantity": quantity, "price": str(price)}],
                          placed_at=now - datetime.timedelta(days=rng.randint(1, 200), hours=rng.randint(0, 23)))
            orders.append(order)
            if order.status != OrderStatus.CANCELLED:
                counted.append(order)
        customer.order_count = len(counted)
        customer.lifetime_value = sum((o.total for o in counted), Decimal("0"))
        customer.last_order_at = max((o.placed_at for o in counted), default=None)
        customer.lifecycle_stage = lifecycle_stage_of(customer, now=now)
        buyers.append(customer)
    Order.objects.bulk_create(orders, batch_size=500)
    Customer.objects.bulk_update(buyers, ["order_count", "lifetime_value", "last_order_at", "lifecycle_stage"],
                                 batch_size=500)
    return len(orders)


def seed_onboarding_survey(brand: Brand) -> None:
    """The survey the demo join flow asks after joining, with rules that tag the answers."""
    from privtraffic.tenancy.actors import SystemActor

    from .surveys import services as surveys

    actor = SystemActor.for_brand(brand, "demo:onboarding-survey")
    survey = surveys.survey_create(brand=brand, actor=actor, title="Tell us about your skin",
                                   intro="Two quick questions, so our advice and offers fit you.", is_onboarding=True)
    skin = surveys.question_add(survey=survey, actor=actor, kind="single", text="How would you describe your skin?",
                                choices=["Dry", "Oily", "Combination", "Sensitive"])
    surveys.question_add(survey=survey, actor=actor, kind="scale",
                         text="How many steps is your daily skincare routine? (1 one step, 5 five or more)")
    surveys.rule_add(question=skin, actor=actor, action="add_tag", value="Dry", tag_name="dry-skin")
    surveys.rule_add(question=skin, actor=actor, action="add_tag", value="Oily", tag_name="oily-skin")
    surveys.rule_add(question=skin, actor=actor, action="add_tag", value="Sensitive", tag_name="sensitive-skin")
    surveys.survey_activate(survey=survey, actor=actor)


# The catalogue of Demo Beauty (`make run` shows it on the Products page and in the inbox's product picker).
CATALOGUE = [
    {"sku": "SERUM-30", "name": "Hydrating serum 30 ml", "price": "399.00",
     "description": "Hyaluronic acid and panthenol for dry, tight skin. Morning and evening."},
    {"sku": "CLEANSE-150", "name": "Gentle cleanser 150 ml", "price": "159.00",
     "description": "A low-foam gel cleanser for sensitive skin."},
    {"sku": "SPF50", "name": "Daily sunscreen SPF 50", "price": "229.00",
     "description": "Light, no white cast, under make-up."},
    {"sku": "MASK-5", "name": "Sheet masks, 5 pack", "price": "129.00",
     "description": "Soothing cica sheet masks, 20 minutes each."},
    {"sku": "VITC-15", "name": "Vitamin C brightening serum 15 ml", "price": "289.00",
     "description": "10% vitamin C for an even tone; use with SPF."},
    {"sku": "NIGHT-50", "name": "Repair night cream 50 ml", "price": "459.00",
     "description": "Ceramides and peptides while you sleep."},
    {"sku": "TONER-200", "name": "Rose toner 200 ml", "price": "189.00", "active": False,
     "description": "Discontinued: replaced by the new essence toner."},
]


def seed_products(brand: Brand) -> int:
    """The demo brand's catalogue, through the same upsert integrators use (safe to run twice)."""
    from privtraffic.tenancy.actors import SystemActor

    from .products.services import product_upsert_bulk

    items = [{**item, "currency": "CNY",
              "url": f"https://shop.demo-beauty.example/products/{item['sku'].lower()}"} for item in CATALOGUE]
    return len(product_upsert_bulk(brand=brand, actor=SystemActor.for_brand(brand, "demo:products"), items=items))
