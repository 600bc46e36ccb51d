import datetime

import pytest

from crm.consent.services import contact_policy_save
from tests import factories


@pytest.fixture(autouse=True)
def no_quiet_hours(db, request):
    """Campaign tests run at any hour of the day: no quiet hours unless a test sets them."""
    if "brand" in request.fixturenames:
        brand = request.getfixturevalue("brand")
        contact_policy_save(brand=brand, actor=factories.system(brand), quiet_hours_start=datetime.time(0, 0),
                            quiet_hours_end=datetime.time(0, 0), weekly_promotion_budget=3)


@pytest.fixture
def reachable(brand):
    """A customer who agreed to chat and promotions."""
    def make(name=None, **fields):
        fields.setdefault("consent_chat", True)
        fields.setdefault("consent_promotions", True)
        return factories.make_customer(brand, name, **fields)
    return make
