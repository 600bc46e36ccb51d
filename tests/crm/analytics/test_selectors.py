import datetime

import pytest
from django.utils import timezone

from crm.analytics.selectors import (
    customer_active_count,
    customer_funnel,
    customer_growth,
    period_start,
    rep_new_customer_counts,
)
from crm.models import Customer, CustomerSource, Survey, SurveyResponse
from tests import factories

pytestmark = pytest.mark.django_db


def test_growth_counts_members_before_the_period_and_joins_per_day(brand, other_brand):
    old = factories.make_customer(brand)
    Customer.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(days=60))
    factories.make_customer(brand)
    factories.make_customer(brand)
    factories.make_customer(other_brand)
    growth = customer_growth(brand, start=period_start(brand, 30))
    assert growth["before"] == 1
    assert growth["by_day"] == {timezone.localdate(timezone=brand.tzinfo): 2}


def test_funnel_follows_link_joiners_to_survey_and_order(brand):
    joined = [factories.make_customer(brand, source=CustomerSource.INVITE_LINK) for _ in range(3)]
    factories.make_customer(brand, source=CustomerSource.IMPORT)  # not through a link: not in the funnel
    survey = Survey.objects.create(brand=brand, title="Skin")
    SurveyResponse.objects.create(brand=brand, survey=survey, customer=joined[0], completed_at=timezone.now())
    SurveyResponse.objects.create(brand=brand, survey=survey, customer=joined[1])  # started, not completed
    factories.make_order(brand, joined[0])
    assert customer_funnel(brand, start=period_start(brand, 7)) == {"joined": 3, "surveyed": 1, "ordered": 1}


def test_active_customers_and_reps_new_customers(brand, rep, other_rep):
    a = factories.make_customer(brand, assigned_rep=rep)
    factories.make_customer(brand, assigned_rep=rep)
    factories.make_customer(brand, assigned_rep=other_rep)
    Customer.objects.filter(pk=a.pk).update(last_active_at=timezone.now())
    start = period_start(brand, 7)
    assert customer_active_count(brand, since=start) == 1
    assert rep_new_customer_counts(brand, start=start) == {rep.pk: 2, other_rep.pk: 1}
