"""Helpers shared by the communities page tests."""

from communities.groups.services import group_member_add
from crm.customers.services import customer_create
from tests import factories

GROUP_FORM = {
    "name": "Beauty VIP", "store": "", "topic": "New arrivals", "description": "For our best customers",
    "rules": "Be kind", "welcome_message": "Welcome!", "capacity": "200", "announce_only": "on",
    "system_messages": "on", "overflow_group": "",
}


def make_named_customer(brand, name):
    return customer_create(brand=brand, actor=factories.system(brand), name=name, email=f"{name.lower().replace(' ', '.')}@example.test")


def group_with_members(brand, count, name="VIP", **fields):
    group = factories.make_group(brand, name, **fields)
    for i in range(count):
        group_member_add(group=group, actor=factories.system(group.brand_id), customer=make_named_customer(brand, f"{name} Fan {i}"))
    group.refresh_from_db()
    return group


def page_url(brand, path=""):
    return f"/b/{brand.slug}/{path}"
