import pytest

from chats.models import StatDay
from chats.tasks import fill_overview_rollups
from tests import factories

pytestmark = pytest.mark.django_db


def test_hourly_task_rolls_up_every_brands_finished_days_once(brand, other_brand):
    assert fill_overview_rollups() == 180  # 90 finished days of each brand
    assert StatDay.objects.filter(brand=brand).count() == 90
    assert fill_overview_rollups() == 0
    factories.make_brand("later")
    assert fill_overview_rollups() == 90
