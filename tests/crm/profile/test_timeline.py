"""The profile timeline (crm.profile.timeline): every kind of event, newest first, at a fixed number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chats.services import Sender, message_send
from communities.groups.services import group_member_add
from crm.consent.services import promotions_opt_out
from crm.profile.services import customer_note_add
from crm.profile.timeline import customer_timeline
from crm.surveys import answering
from crm.surveys import services as surveys
from tests import factories

pytestmark = pytest.mark.django_db


def _life(brand, customer, n=1):
    for i in range(n):
        group = factories.make_group(brand, f"Club {customer.pk}-{i}")
        group_member_add(group=group, actor=factories.system(group.brand_id), customer=customer)
        message_send(conversation=factories.make_conversation(brand, customer), sender=Sender.of_customer(customer),
                     body=f"question {i}", client_msg_id=f"m{i}")
        factories.make_order(brand, customer, total="10.00")
        customer_note_add(customer=customer, actor=factories.system(customer.brand_id), body=f"note {i}")


def test_the_timeline_shows_each_kind_newest_first(brand):
    customer = factories.make_customer(brand, "Lin", consent_chat=True, consent_promotions=True)
    _life(brand, customer)
    survey = surveys.survey_create(brand=brand, actor=factories.system(brand), title="About you")
    question = surveys.question_add(survey=survey, actor=factories.system(survey.brand_id), kind="scale", text="Grill often?")
    surveys.survey_activate(survey=survey, actor=factories.system(survey.brand_id))
    answering.survey_answer_submit(survey=survey, actor=factories.system(survey.brand_id), customer=customer, answers={str(question.pk): 4})
    promotions_opt_out(customer=customer, actor=factories.system(customer.brand_id), source="opt_out_link")

    entries = customer_timeline(brand=brand, customer=customer)

    kinds = {e.kind for e in entries}
    assert kinds >= {"joined", "group_joined", "message", "order", "consent", "survey", "note"}
    assert [e.at for e in entries] == sorted((e.at for e in entries), reverse=True)
    assert entries[0].kind == "consent" and entries[0].title == "Withdrew promotions"
    assert any(e.kind == "message" and e.detail == "question 0" for e in entries)


def test_the_timeline_costs_the_same_for_a_long_history(brand, other_brand):
    quiet = factories.make_customer(brand)
    busy = factories.make_customer(brand)
    _life(brand, quiet, 1)
    _life(brand, busy, 5)

    with CaptureQueriesContext(connection) as few:
        customer_timeline(brand=brand, customer=quiet)
    with CaptureQueriesContext(connection) as many:
        entries = customer_timeline(brand=brand, customer=busy, limit=12)

    assert len(many) == len(few)
    assert len(entries) == 12
    assert customer_timeline(brand=other_brand, customer=busy) == []
