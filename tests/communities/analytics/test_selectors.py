import datetime

import pytest
from django.utils import timezone

from communities.analytics.selectors import group_joins_count, group_top_by_joins, invite_open_count
from communities.groups.services import group_member_add
from communities.invites.services import invite_open_record
from communities.models import GroupMember
from tests import factories

pytestmark = pytest.mark.django_db


def test_invite_opens_are_counted_per_brand_and_store(brand, other_brand, store, system):
    invite = factories.make_invite(brand, store=store)
    for _ in range(3):
        invite_open_record(invite=invite, actor=system)
    invite_open_record(invite=factories.make_invite(other_brand), actor=factories.system(other_brand))
    start = timezone.now() - datetime.timedelta(days=1)
    assert invite_open_count(brand, start=start) == 3
    assert invite_open_count(brand, start=start, store_id=store.pk) == 3
    assert invite_open_count(brand, start=start, store_id=factories.make_store(brand).pk) == 0


def test_recording_an_open_for_another_brands_invite_is_refused(brand, other_brand):
    from privtraffic.tenancy.errors import ApplicationError

    with pytest.raises(ApplicationError) as exc:
        invite_open_record(invite=factories.make_invite(other_brand), actor=factories.system(brand))
    assert exc.value.status == 404


def test_top_groups_rank_the_periods_joins(brand, system):
    busy, quiet, old = (factories.make_group(brand, name) for name in ("Busy", "Quiet", "Old"))
    for group, n in ((busy, 3), (quiet, 1), (old, 2)):
        for _ in range(n):
            group_member_add(group=group, customer=factories.make_customer(brand), actor=system)
    GroupMember.objects.filter(group=old).update(joined_at=timezone.now() - datetime.timedelta(days=40))
    start = timezone.now() - datetime.timedelta(days=30)
    top = group_top_by_joins(brand, start=start)
    assert [(g.name, g.joins) for g in top] == [("Busy", 3), ("Quiet", 1)]
    assert group_joins_count(brand, start=start) == 4
