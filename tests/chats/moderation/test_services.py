import pytest

from chats.models import GroupRule, MessageReport, ModerationLog
from chats.moderation.services import message_report, message_report_resolve
from chats.services import Sender, conversation_for_group, message_send
from communities.groups.services import group_member_add
from communities.models import GroupMember
from privtraffic.tenancy.errors import ApplicationError
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def club(brand):
    group = factories.make_group(brand, "Club", system_messages=False)
    member = group_member_add(group=group, actor=factories.system(group.brand_id), customer=factories.make_customer(brand, "Troll Toll"))
    return conversation_for_group(group=group), member


def _rule(conversation, **fields):
    return GroupRule.objects.create(brand_id=conversation.brand_id, group_id=conversation.group_id, **fields)


@pytest.mark.parametrize("fields, body, rule_name", [
    ({"blocked_words": "fake\ncheap replica"}, "Buy a CHEAP REPLICA here", "blocked_word"),
    ({"block_links": True}, "see www.spam.cn now", "link"),
    ({"block_links": True}, "deals at https://x.example/a", "link"),
])
def test_rule_hides_the_message_and_logs_it(club, fields, body, rule_name):
    conversation, member = club
    _rule(conversation, **fields)
    message = message_send(conversation=conversation, sender=Sender.of_customer(member.customer), body=body)
    assert message.deleted_at is not None and message.hidden_reason == rule_name
    log = ModerationLog.objects.get()
    assert (log.rule, log.action, log.customer_id, log.message_id) == (rule_name, "hide", member.customer_id, message.pk)


def test_rules_do_not_touch_staff_or_clean_messages(club, brand):
    conversation, member = club
    _rule(conversation, blocked_words="sale", block_links=True)
    staff = factories.owner_of(brand)
    assert message_send(conversation=conversation, sender=Sender.of_staff(staff), body="Big sale: https://acme.cn").hidden_reason == ""
    assert message_send(conversation=conversation, sender=Sender.of_customer(member.customer), body="Love it!").hidden_reason == ""
    assert not ModerationLog.objects.exists()


def test_mute_and_remove_actions(club, brand):
    conversation, member = club
    rule = _rule(conversation, blocked_words="spam", action="mute", mute_minutes=30)
    message_send(conversation=conversation, sender=Sender.of_customer(member.customer), body="spam spam")
    member.refresh_from_db()
    assert member.is_muted()
    with pytest.raises(ApplicationError) as muted:
        message_send(conversation=conversation, sender=Sender.of_customer(member.customer), body="hello?")
    assert muted.value.code == "muted"
    rule.action = "remove"
    rule.save()
    other = group_member_add(group=member.group, actor=factories.system(member.group.brand_id), customer=factories.make_customer(brand))
    message_send(conversation=conversation, sender=Sender.of_customer(other.customer), body="more spam")
    assert GroupMember.objects.get(pk=other.pk).leave_reason == "removed"


def test_flood_rule(club):
    conversation, member = club
    _rule(conversation, flood_limit=3)
    reasons = [message_send(conversation=conversation, sender=Sender.of_customer(member.customer), body=f"m{i}").hidden_reason
               for i in range(5)]
    assert reasons == ["", "", "", "flood", "flood"]


def test_reports(club, brand):
    conversation, member = club
    reporter = group_member_add(group=member.group, actor=factories.system(member.group.brand_id), customer=factories.make_customer(brand)).customer
    message = message_send(conversation=conversation, sender=Sender.of_customer(member.customer), body="rude")
    report = message_report(message=message, reporter=reporter, reason="rude")
    assert message_report(message=message, reporter=reporter).pk == report.pk
    with pytest.raises(ApplicationError):
        message_report(message=message, reporter=member.customer)
    with pytest.raises(ApplicationError) as foreign:
        message_report(message=message, reporter=factories.make_customer(factories.make_brand()))
    assert foreign.value.status == 404
    message_report_resolve(report=report, actor=factories.owner_of(brand))
    assert MessageReport.objects.get().resolved_at is not None


def test_moderation_services_refuse_a_missing_wrong_or_weaker_actor(club, brand, other_brand, rep, manager, system):
    from chats.moderation.services import group_rule_save
    from chats.services import message_delete
    from privtraffic.tenancy.actors import CustomerActor

    conversation, member = club
    message = message_send(conversation=conversation, sender=Sender.of_customer(member.customer), body="rude")
    reporter = group_member_add(group=member.group, customer=factories.make_customer(brand),
                                actor=factories.system(brand)).customer
    report = message_report(message=message, reporter=reporter)
    stranger = factories.owner_of(other_brand)
    for call in (lambda actor: group_rule_save(conversation=conversation, actor=actor, block_links=True),
                 lambda actor: message_delete(message=message, actor=actor),
                 lambda actor: message_report_resolve(report=report, actor=actor)):
        with pytest.raises(TypeError):
            call(None)  # no actor never means "skip the checks"
        with pytest.raises(ApplicationError) as foreign:
            call(stranger)
        assert foreign.value.status == 404
        with pytest.raises(ApplicationError) as customer:
            call(CustomerActor(member.customer))
        assert customer.value.status in (403, 404)
    with pytest.raises(ApplicationError) as weaker:
        group_rule_save(conversation=conversation, actor=rep, block_links=True)  # reps do not set rules
    assert weaker.value.status == 403
    store_group = conversation_for_group(group=factories.make_group(brand, "Store VIPs", store=manager.store))
    other_store = factories.make_member(brand, "store_manager")
    with pytest.raises(ApplicationError) as elsewhere:
        group_rule_save(conversation=store_group, actor=other_store, block_links=True)
    assert elsewhere.value.status == 403 and not GroupRule.objects.exists()
    assert group_rule_save(conversation=store_group, actor=manager, block_links=True).block_links
    assert group_rule_save(conversation=conversation, actor=other_store, block_links=True).block_links  # brand-wide
    assert message_delete(message=message, actor=system).deleted_by is None
    assert message_report_resolve(report=report, actor=system).resolved_at is not None


def test_staff_resolve_only_reports_they_can_see(brand, rep, other_rep):
    from chats.services import conversation_for_customer

    customer = factories.make_customer(brand, assigned_rep=rep)
    conversation = conversation_for_customer(customer=customer)
    message = message_send(conversation=conversation, sender=Sender.of_staff(rep), body="hi")
    report = MessageReport.objects.create(brand=brand, message=message, reporter=customer, reason="test")
    with pytest.raises(ApplicationError) as hidden:
        message_report_resolve(report=report, actor=other_rep)
    assert hidden.value.status == 404
    assert message_report_resolve(report=report, actor=rep).resolved_by == rep.user
