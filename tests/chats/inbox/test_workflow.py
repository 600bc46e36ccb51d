"""The team's workflow in the inbox: status (open, snoozed, resolved) with filters, hand-over, private notes,
the contact panel."""

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from chats.inbox.selectors import inbox_list
from chats.inbox.services import conversation_assign, conversation_note_add, conversation_status_set
from chats.models import Conversation, ConversationNote, ConversationStatus, Message
from chats.services import Sender, conversation_for_customer, message_send
from crm.models import AuditLog, CustomerNote, CustomerTag, Tag
from crm.profile.timeline import customer_timeline
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.roles import Role
from tests import factories
from tests.chats.conftest import receive_until

pytestmark = pytest.mark.django_db(transaction=True)


def _chat(brand, rep, name="Alice Able"):
    customer = factories.make_customer(brand, name, assigned_rep=rep)
    return customer, conversation_for_customer(customer=customer)


def _ids(qs):
    return {c.pk for c in qs}


def test_status_filters_snooze_wakes_up_and_customer_message_reopens(brand, rep):
    alice, open_chat = _chat(brand, rep)
    bob, resolved_chat = _chat(brand, rep, "Bob")
    cara, snoozed_chat = _chat(brand, rep, "Cara")
    conversation_status_set(conversation=resolved_chat, actor=rep, status=ConversationStatus.RESOLVED)
    conversation_status_set(conversation=snoozed_chat, actor=rep, status=ConversationStatus.SNOOZED,
                            snoozed_until=timezone.now() + timedelta(hours=1))
    assert _ids(inbox_list(brand=brand, membership=rep, status="open")) == {open_chat.pk}
    assert _ids(inbox_list(brand=brand, membership=rep, status="snoozed")) == {snoozed_chat.pk}
    assert _ids(inbox_list(brand=brand, membership=rep, status="resolved")) == {resolved_chat.pk}
    assert len(_ids(inbox_list(brand=brand, membership=rep, status="all"))) == 3
    # The snooze runs out: the conversation is open again without anyone touching it.
    Conversation.objects.filter(pk=snoozed_chat.pk).update(snoozed_until=timezone.now() - timedelta(seconds=1))
    assert _ids(inbox_list(brand=brand, membership=rep, status="open")) == {open_chat.pk, snoozed_chat.pk}
    # The customer writes again: a resolved conversation reopens; a rep's own message does not reopen it.
    message_send(conversation=resolved_chat, sender=Sender.of_staff(rep), body="Anything else?")
    assert Conversation.objects.get(pk=resolved_chat.pk).status == ConversationStatus.RESOLVED
    message_send(conversation=resolved_chat, sender=Sender.of_customer(bob), body="One more thing")
    assert Conversation.objects.get(pk=resolved_chat.pk).status == ConversationStatus.OPEN


@pytest.mark.parametrize("until,field", [(None, "snoozed_until"), (-1, "snoozed_until"), (91 * 24, "snoozed_until")])
def test_bad_snoozes_are_refused(brand, rep, until, field):
    _, chat = _chat(brand, rep)
    when = None if until is None else timezone.now() + timedelta(hours=until)
    with pytest.raises(ApplicationError) as exc:
        conversation_status_set(conversation=chat, actor=rep, status="snoozed", snoozed_until=when)
    assert field in exc.value.fields
    with pytest.raises(ApplicationError):
        conversation_status_set(conversation=chat, actor=rep, status="closed")
    assert Conversation.objects.get(pk=chat.pk).status == ConversationStatus.OPEN


def test_only_staff_who_see_the_chat_change_it(brand, other_brand, rep, other_rep):
    _, chat = _chat(brand, rep)
    with pytest.raises(ApplicationError) as exc:
        conversation_status_set(conversation=chat, actor=other_rep, status="resolved")  # not their customer
    assert exc.value.status == 404
    with pytest.raises(ApplicationError) as exc:
        conversation_note_add(conversation=chat, actor=factories.owner_of(other_brand), body="hi")
    assert exc.value.status == 404
    assert Conversation.objects.get(pk=chat.pk).status == ConversationStatus.OPEN


def test_rep_hands_over_own_customer_within_the_store_and_it_is_recorded(brand, store, rep, other_rep):
    alice, chat = _chat(brand, rep)
    elsewhere = factories.make_member(brand, Role.REP, store=factories.make_store(brand, "Xuhui"))
    with pytest.raises(ApplicationError) as exc:
        conversation_assign(conversation=chat, actor=rep, rep=elsewhere)
    assert "rep" in exc.value.fields
    conversation_assign(conversation=chat, actor=rep, rep=other_rep)
    alice.refresh_from_db()
    assert alice.assigned_rep_id == other_rep.pk
    audit = AuditLog.objects.get(customer_id=alice.pk, action="customer.reassigned")
    assert audit.detail["to_rep"] == other_rep.pk
    # The new rep is introduced in the chat (crm's event, chats' subscriber), and the customer's timeline shows it.
    assert Message.objects.filter(conversation=chat, payload__event="customer.reassigned").exists()
    timeline = customer_timeline(brand=brand, customer=alice)
    assert [e.title for e in timeline if e.kind == "handover"] == ["Handed over to Omar Rep"]
    # The former rep no longer sees the chat, so may not hand it back.
    with pytest.raises(ApplicationError) as exc:
        conversation_assign(conversation=chat, actor=rep, rep=rep)
    assert exc.value.status == 404


def test_manager_reassigns_and_other_brand_reps_are_not_found(brand, other_brand, store, rep, other_rep, manager):
    alice, chat = _chat(brand, rep)
    conversation_assign(conversation=chat, actor=manager, rep=other_rep)
    alice.refresh_from_db()
    assert alice.assigned_rep_id == other_rep.pk
    with pytest.raises(ApplicationError) as exc:
        conversation_assign(conversation=chat, actor=manager, rep=factories.make_member(other_brand, Role.REP))
    assert exc.value.status == 404


def test_notes_are_for_the_team_only(brand, rep):
    alice, chat = _chat(brand, rep)
    with pytest.raises(ApplicationError):
        conversation_note_add(conversation=chat, actor=rep, body="   ")
    with pytest.raises(ApplicationError) as exc:
        conversation_note_add(conversation=chat, actor=rep, body="a\x00b")
    assert exc.value.code == "invalid_characters"
    note = conversation_note_add(conversation=chat, actor=rep, body="VIP: prefers calls after 6pm")
    assert note.author_name == "Rita Rep" and not Message.objects.filter(body__contains="VIP").exists()


@pytest.mark.asyncio
async def test_note_frames_reach_staff_sockets_and_never_the_customer(connect):
    def setup():
        brand = factories.make_brand("acme")
        rep = factories.make_member(brand, Role.REP, user=factories.make_user(name="Rita Rep"))
        user = factories.make_user(password=None)
        customer = factories.make_customer(brand, "Lin", email=user.email, user=user, assigned_rep=rep)
        return rep, customer, conversation_for_customer(customer=customer)

    rep, customer, chat = await database_sync_to_async(setup)()
    customer_socket = await connect(user=customer.user)
    rep_socket = await connect(user=rep.user)
    await receive_until(customer_socket, "ready")
    await receive_until(rep_socket, "ready")
    await database_sync_to_async(conversation_note_add)(conversation=chat, actor=rep, body="Secret: birthday soon")
    frame = await receive_until(rep_socket, "note")
    assert frame["note"]["body"] == "Secret: birthday soon" and frame["conversation"] == chat.pk
    await database_sync_to_async(message_send)(conversation=chat, sender=Sender.of_staff(rep), body="after the note")
    # The customer's socket gets the message but no note frame, and sync carries no note either.
    seen = []
    while True:
        got = await customer_socket.receive_json_from(timeout=3)
        seen.append(got)
        if got["type"] == "message":
            break
    assert all("Secret" not in str(f) for f in seen)
    await customer_socket.send_json_to({"type": "sync", "conversation": chat.pk, "after_seq": 0})
    assert "Secret" not in str(await receive_until(customer_socket, "sync"))


def test_inbox_page_actions_panel_and_notes(client, brand, store, rep, other_rep):
    alice, chat = _chat(brand, rep)
    CustomerTag.objects.create(brand=brand, customer=alice, tag=Tag.objects.create(brand=brand, name="Skincare VIP"))
    CustomerNote.objects.create(brand=brand, customer=alice, body="Allergic to lanolin")
    factories.make_order(brand, alice, total="320.00", external_id="SO-77")
    client.force_login(rep.user)
    url = f"/b/{brand.slug}/inbox/{chat.pk}/"
    page = client.get(url).content.decode()
    assert f"/b/{brand.slug}/customers/{alice.pk}/" in page and "Allergic to lanolin" in page and "SO-77" in page
    assert "Skincare VIP" in page
    assert client.post(url, {"action": "note", "note_body": "Call her back Friday"}).status_code == 302
    assert ConversationNote.objects.filter(conversation=chat, body="Call her back Friday").exists()
    page = client.get(url).content.decode()
    assert "Call her back Friday" in page and 'class="msg msg-note"' in page
    assert client.post(url, {"action": "snooze", "snooze": "tomorrow"}).status_code == 302
    chat.refresh_from_db()
    local = timezone.localtime(chat.snoozed_until, brand.tzinfo)
    assert chat.status == "snoozed" and (local.hour, local.minute) == (9, 0)
    assert str(chat.pk) not in client.get(f"/b/{brand.slug}/inbox/?status=open").content.decode().split(
        'data-inbox-list', 1)[1].split("</ul>", 1)[0]
    assert f'data-inbox-item="{chat.pk}"' in client.get(f"/b/{brand.slug}/inbox/?status=snoozed").content.decode()
    assert client.post(url, {"action": "snooze", "snooze": "until", "snooze_until": "2001-01-01T10:00"}).status_code == 400
    assert client.post(url, {"action": "resolve"}).status_code == 302
    chat.refresh_from_db()
    assert chat.status == "resolved"
    assert client.post(url, {"action": "assign", "rep_id": other_rep.pk}).status_code == 302
    alice.refresh_from_db()
    assert alice.assigned_rep_id == other_rep.pk
    # Bad ids: another brand's rep or a huge number is a 404, never a 500.
    for bad in ("99999999999999999999", "abc"):
        assert client.post(f"/b/{brand.slug}/inbox/{chat.pk}/", {"action": "assign", "rep_id": bad}).status_code in (400, 404)


def test_customer_never_sees_notes_on_their_page(client, brand, rep):
    user = factories.make_user(password=None)
    alice = factories.make_customer(brand, "Alice", email=user.email, user=user, assigned_rep=rep)
    chat = conversation_for_customer(customer=alice)
    conversation_note_add(conversation=chat, actor=rep, body="Internal: big spender")
    client.force_login(user)
    assert "big spender" not in client.get(f"/chat/direct/{alice.pk}/").content.decode()
