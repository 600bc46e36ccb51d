"""The phone route of the optional later step: a mobile number linked with a texted 6-digit code, and
"continue with your phone" on another device landing in the same chat."""

import re

import pytest
from django.test import Client
from sms.backends.base import BaseSmsBackend

from communities.models import DeviceSession
from crm.models import Customer
from privtraffic.accounts.models import User
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)

E164 = "+8613800138000"


class FailingSmsBackend(BaseSmsBackend):
    """A provider that is down."""

    def send_messages(self, messages):
        raise ConnectionError("provider unreachable")


def _code(sms_outbox) -> str:
    return re.search(r"\b(\d{6})\b", sms_outbox[-1].body).group(1)


def _join(client, invite, name="Mei Lin") -> Customer:
    response = client.post(f"/join/{invite.token}/", {"name": name, "consent_chat": "on"})
    assert response.status_code == 302, response.content[:500]
    return Customer.objects.get(user__isnull=False, name=name, brand=invite.brand)


def _link(client, customer, sms_outbox, phone="13800138000"):
    response = client.post(f"/join/secure/{customer.pk}/phone/", {"phone": phone})
    assert response.status_code == 302 and response["Location"] == f"/join/secure/{customer.pk}/phone/code/"
    return client.post(response["Location"], {"code": _code(sms_outbox)}, follow=True)


def test_linking_a_phone_later_and_continuing_with_it_on_another_device(client, brand, sms_outbox, mailoutbox):
    invite = factories.make_invite(brand)
    customer = _join(client, invite)
    page = client.get(f"/join/secure/{customer.pk}/").content.decode()
    assert 'name="email"' in page and 'name="phone"' in page and 'type="tel"' in page  # both ways offered

    # A Chinese number typed without +86, with spaces, is read as +86.
    response = client.post(f"/join/secure/{customer.pk}/phone/", {"phone": " 138 0013 8000 "})
    assert response.status_code == 302 and response["Location"] == f"/join/secure/{customer.pk}/phone/code/"
    assert len(sms_outbox) == 1 and sms_outbox[0].recipients == [E164]
    body = sms_outbox[0].body
    assert brand.name in body and re.search(r"\b\d{6}\b", body)
    code_page = client.get(response["Location"]).content.decode()
    assert brand.name in code_page and "--accent: " + brand.color in code_page and "+86 138 0013 8000" in code_page
    assert 'autocomplete="one-time-code"' in code_page
    assert _code(sms_outbox) not in str(client.session.items())  # only a keyed hash is kept

    done = client.post(response["Location"], {"code": " ".join(_code(sms_outbox))}, follow=True)  # spaces are fine
    assert done.status_code == 200 and "+86 138 0013 8000" in done.content.decode()
    customer.refresh_from_db()
    assert customer.phone == E164 and customer.user.phone == E164
    assert client.get(f"/chat/group/{invite.group_id}/").status_code == 200  # still in on this device
    assert not mailoutbox

    # Another phone: the link offers "continue with your phone"; a code to the number lands in the same chat.
    other = Client()
    join_page = other.get(f"/join/{invite.token}/").content.decode()
    assert f'href="/join/{invite.token}/phone/"' in join_page
    sign_in = other.get(f"/join/{invite.token}/phone/").content.decode()
    assert brand.name in sign_in and "--accent: " + brand.color in sign_in
    response = other.post(f"/join/{invite.token}/phone/", {"phone": "+86 138-0013-8000"})
    assert response.status_code == 302 and response["Location"] == f"/join/{invite.token}/phone/code/"
    assert sms_outbox[-1].recipients == [E164]
    response = other.post(response["Location"], {"code": _code(sms_outbox)})
    assert response.status_code == 302 and response["Location"] == f"/join/{invite.token}/"
    assert other.get(response["Location"])["Location"] == f"/chat/group/{invite.group_id}/"
    assert other.get(f"/chat/group/{invite.group_id}/").status_code == 200
    assert DeviceSession.objects.filter(customer=customer, revoked_at__isnull=True).count() == 2
    assert other.cookies["pt_device"].value  # this phone is remembered too
    assert Customer.objects.filter(brand=brand).count() == 1


@pytest.mark.parametrize("phone", [
    "\x00",  # refused at the edge
    "13800138000\x00",
    "call me",
    "1380013800O",  # a letter O among the digits
    "1" * 40,  # too long
    "+" + "9" * 200,
    "１３８００１３８０００",  # full-width digits
    "١٣٨٠٠١٣٨٠٠٠",  # Arabic-Indic digits
    "13800138000²",
    "",
    "12345",  # too short to be a number
    "+86 10 6552 9988",  # a Beijing landline: no texts
    "+1 202 555 01",  # incomplete
])
def test_bad_numbers_are_a_clear_400_that_texts_and_links_nothing(client, brand, sms_outbox, phone):
    invite = factories.make_invite(brand)
    customer = _join(client, invite)
    response = client.post(f"/join/secure/{customer.pk}/phone/", {"phone": phone})
    assert response.status_code == 400
    if "\x00" not in phone:  # the page itself says what is wrong
        assert 'class="error"' in response.content.decode()
    stranger = Client()
    assert stranger.post(f"/join/{invite.token}/phone/", {"phone": phone}).status_code == 400
    assert sms_outbox == []
    customer.refresh_from_db()
    assert customer.phone == "" and customer.user.phone is None


def test_numbers_of_other_countries_keep_their_code(client, brand, sms_outbox):
    customer = _join(client, factories.make_invite(brand))
    _link(client, customer, sms_outbox, phone="+852 9123 4567")
    customer.refresh_from_db()
    assert customer.phone == "+85291234567" and sms_outbox[-1].recipients == ["+85291234567"]


def test_wrong_codes_link_nothing_and_the_third_ends_the_attempt(client, brand, sms_outbox):
    customer = _join(client, factories.make_invite(brand))
    client.post(f"/join/secure/{customer.pk}/phone/", {"phone": "13800138000"})
    right = _code(sms_outbox)
    wrong = f"{(int(right) + 1) % 1000000:06d}"
    url = f"/join/secure/{customer.pk}/phone/code/"
    assert client.post(url, {"code": wrong}).status_code == 400
    assert client.post(url, {"code": "12ab56"}).status_code == 400  # not six digits: not a try
    assert client.post(url, {"code": "１２３４５６"}).status_code == 400  # full-width: not a try either
    assert client.post(url, {"code": "\x00"}).status_code == 400
    second = client.post(url, {"code": wrong})
    assert second.status_code == 400 and "This code is not right" in second.content.decode()
    third = client.post(url, {"code": wrong})
    assert third.status_code == 302 and third["Location"] == f"/join/secure/{customer.pk}/"
    # The right code no longer works: the attempt is over.
    assert client.post(url, {"code": right})["Location"] == f"/join/secure/{customer.pk}/"
    customer.refresh_from_db()
    assert customer.phone == "" and customer.user.phone is None


def test_an_expired_code_links_nothing(client, brand, sms_outbox, settings):
    customer = _join(client, factories.make_invite(brand))
    client.post(f"/join/secure/{customer.pk}/phone/", {"phone": "13800138000"})
    settings.ACCOUNT_LOGIN_BY_CODE_TIMEOUT = -1  # the code's time is up
    response = client.post(f"/join/secure/{customer.pk}/phone/code/", {"code": _code(sms_outbox)})
    assert response.status_code == 302 and response["Location"] == f"/join/secure/{customer.pk}/"
    customer.refresh_from_db()
    assert customer.phone == "" and customer.user.phone is None


def test_the_code_page_without_a_pending_request_links_nothing(client, brand):
    customer = _join(client, factories.make_invite(brand))
    response = client.post(f"/join/secure/{customer.pk}/phone/code/", {"code": "123456"})
    assert response.status_code == 302 and response["Location"] == f"/join/secure/{customer.pk}/"
    assert client.get(f"/join/secure/{customer.pk}/phone/")["Location"] == f"/join/secure/{customer.pk}/"


def test_a_number_linked_to_another_customer_is_a_clear_error_that_names_nobody(brand, sms_outbox):
    invite = factories.make_invite(brand)
    first = Client()
    linked = _join(first, invite, name="Zhang Wei")
    _link(first, linked, sms_outbox)
    second = Client()
    customer = _join(second, invite, name="Mei Lin")
    done = _link(second, customer, sms_outbox)
    html = done.content.decode()
    assert done.status_code == 409 and "already linked to another chat" in html
    assert "Zhang" not in html and "+86 138 0013 8000" not in html.split("already linked")[0][-200:]
    customer.refresh_from_db()
    linked.refresh_from_db()
    assert customer.phone == "" and customer.user.phone is None and customer.user != linked.user
    assert linked.phone == E164 and linked.user.phone == E164
    assert second.get(f"/chat/group/{invite.group_id}/").status_code == 200  # still in their own chat


def test_a_number_of_a_login_without_a_chat_in_this_brand_takes_the_chat_over(client, brand, other_brand,
                                                                             sms_outbox):
    known = factories.make_user("mei@example.test", password=None)
    User.objects.filter(pk=known.pk).update(phone=E164)  # proven earlier, with another brand
    invite = factories.make_invite(brand)
    customer = _join(client, invite)
    device_user = customer.user
    assert _link(client, customer, sms_outbox).status_code == 200
    customer.refresh_from_db()
    assert customer.user == known and customer.phone == E164 and DeviceSession.objects.get().user == known
    assert User.objects.filter(pk=device_user.pk, phone__isnull=True).exists()
    assert client.get(f"/chat/group/{invite.group_id}/").status_code == 200  # signed in as the number's login


def test_a_login_with_an_address_does_not_move_to_a_number_held_by_another(client, brand, sms_outbox, mailoutbox):
    known = factories.make_user("zhang@example.test", password=None)
    User.objects.filter(pk=known.pk).update(phone=E164)
    customer = _join(client, factories.make_invite(brand))
    response = client.post(f"/join/secure/{customer.pk}/", {"email": "mei@example.test"})
    code = re.search(r"^([A-Z0-9]{4}-[A-Z0-9]{4})$", mailoutbox[-1].body, re.M).group(1)
    client.post(response["Location"], {"code": code})
    done = _link(client, customer, sms_outbox)
    assert done.status_code == 409 and "already linked to another chat" in done.content.decode()
    customer.refresh_from_db()
    assert customer.user.email == "mei@example.test" and customer.user.phone is None and customer.phone == ""


def _code_page_for(invite, phone):
    """Ask "continue with your phone" for `phone` from a fresh browser: the answer, and the code page."""
    client = Client()
    asked = client.post(f"/join/{invite.token}/phone/", {"phone": phone})
    return client, asked, client.get(f"/join/{invite.token}/phone/code/")


def test_continue_with_an_unknown_number_texts_nothing_and_looks_like_a_known_one(brand, sms_outbox):
    invite = factories.make_invite(brand)
    owner = Client()
    _link(owner, _join(owner, invite), sms_outbox)
    texted = len(sms_outbox)

    _known, known_asked, known_page = _code_page_for(invite, E164)
    assert len(sms_outbox) == texted + 1 and sms_outbox[-1].recipients == [E164]
    client, asked, page = _code_page_for(invite, "13900139000")
    assert len(sms_outbox) == texted + 1  # nothing at all to a number linked to no chat
    assert (asked.status_code, asked["Location"]) == (known_asked.status_code, known_asked["Location"]) == (
        302, f"/join/{invite.token}/phone/code/")
    assert page.status_code == known_page.status_code == 200
    assert [t.name for t in page.templates] == [t.name for t in known_page.templates]
    assert list(page.context["form"].fields) == list(known_page.context["form"].fields) == ["code"]
    for guess in ("000000", "123456", "999999"):
        client.post(f"/join/{invite.token}/phone/code/", {"code": guess})
    assert client.get("/chat/").status_code == 302  # nobody signed in
    assert DeviceSession.objects.count() == 1  # the owner's own


def _lift_request_limits(settings, **ours):
    """allauth's per-number limit on code requests out of the way, to reach ours."""
    settings.ACCOUNT_RATE_LIMITS = {"request_login_code": "1000/m/ip,1000/m/key"}
    for name, value in ours.items():
        setattr(settings, name, value)


def test_guesses_from_fresh_sessions_stop_at_the_numbers_limit_even_with_the_right_code(brand, sms_outbox,
                                                                                       settings):
    invite = factories.make_invite(brand)
    owner = Client()
    _link(owner, _join(owner, invite), sms_outbox)
    _lift_request_limits(settings, PHONE_CODE_MAX_TRIES_PER_HOUR=4, PHONE_CODES_PER_NUMBER_PER_DAY=100)
    url = f"/join/{invite.token}/phone/code/"
    for _ in range(4):  # an attacker: a new browser (a new session, its tries at 0) for every guess
        attacker = Client()
        attacker.post(f"/join/{invite.token}/phone/", {"phone": E164})
        wrong = f"{(int(_code(sms_outbox)) + 1) % 1000000:06d}"
        assert attacker.post(url, {"code": wrong}).status_code == 400
    attacker = Client()
    attacker.post(f"/join/{invite.token}/phone/", {"phone": E164})
    refused = attacker.post(url, {"code": _code(sms_outbox)})  # the right code, past the limit
    assert refused.status_code == 429
    assert "Too many wrong codes for this number. Try again later." in refused.content.decode()
    assert attacker.get(f"/chat/group/{invite.group_id}/").status_code == 302  # not signed in
    assert DeviceSession.objects.count() == 1


def test_replayed_sessions_get_no_more_guesses(brand, sms_outbox, settings):
    """Parallel POSTs on one session all read the tries the session had (0): replaying the session
    state before every guess is the same race, and the number's counter still stops it."""
    invite = factories.make_invite(brand)
    owner = Client()
    _link(owner, _join(owner, invite), sms_outbox)
    _lift_request_limits(settings, PHONE_CODE_MAX_TRIES_PER_HOUR=5)
    attacker = Client()
    attacker.post(f"/join/{invite.token}/phone/", {"phone": E164})
    snapshot = dict(attacker.session["phone_sign_in"])
    right = _code(sms_outbox)
    url = f"/join/{invite.token}/phone/code/"
    statuses = []
    for guess in range(1, 8):
        session = attacker.session
        session["phone_sign_in"] = snapshot  # as every parallel request read it: tries 0
        session.save()
        statuses.append(attacker.post(url, {"code": f"{(int(right) + guess) % 1000000:06d}"}).status_code)
    assert statuses == [400] * 5 + [429] * 2
    session = attacker.session
    session["phone_sign_in"] = snapshot
    session.save()
    assert attacker.post(url, {"code": right}).status_code == 429
    assert attacker.get("/chat/").status_code == 302 and DeviceSession.objects.count() == 1


def test_a_right_code_gives_the_number_its_tries_back(brand, sms_outbox, settings):
    invite = factories.make_invite(brand)
    _lift_request_limits(settings, PHONE_CODE_MAX_TRIES_PER_HOUR=3)
    client = Client()
    customer = _join(client, invite)
    client.post(f"/join/secure/{customer.pk}/phone/", {"phone": E164})
    right = _code(sms_outbox)
    url = f"/join/secure/{customer.pk}/phone/code/"
    assert client.post(url, {"code": f"{(int(right) + 1) % 1000000:06d}"}).status_code == 400
    assert client.post(url, {"code": right}, follow=True).status_code == 200
    customer.refresh_from_db()
    assert customer.phone == E164
    signing_in = Client()  # three more tries, not one: the right code reset the count
    signing_in.post(f"/join/{invite.token}/phone/", {"phone": E164})
    wrong = f"{(int(_code(sms_outbox)) + 1) % 1000000:06d}"
    statuses = [signing_in.post(f"/join/{invite.token}/phone/code/", {"code": wrong}).status_code for _ in range(2)]
    assert statuses == [400, 400]


def test_the_codes_texted_to_a_number_are_capped_per_day(brand, sms_outbox, settings):
    invite = factories.make_invite(brand)
    owner = Client()
    customer = _join(owner, invite)
    _lift_request_limits(settings, PHONE_CODES_PER_NUMBER_PER_DAY=3)
    _link(owner, customer, sms_outbox)  # one text
    assert len(sms_outbox) == 1
    known = [Client().post(f"/join/{invite.token}/phone/", {"phone": E164}) for _ in range(3)]
    assert [r.status_code for r in known] == [302, 302, 429] and len(sms_outbox) == 3
    assert "Too many codes were sent to this number today." in known[-1].content.decode()
    # A number linked to nothing is capped the same way (and still texted nothing): the pages cannot tell.
    unknown = [Client().post(f"/join/{invite.token}/phone/", {"phone": "13900139000"}).status_code
               for _ in range(4)]
    assert unknown == [302, 302, 302, 429] and len(sms_outbox) == 3
    # The cap is the number's, whatever the route: linking it is refused as well.
    other = Client()
    someone = _join(other, invite, name="Zhang Wei")
    response = other.post(f"/join/secure/{someone.pk}/phone/", {"phone": E164})
    assert response.status_code == 429 and len(sms_outbox) == 3


@pytest.mark.parametrize("role", ["owner", "rep"])
def test_a_team_members_login_cannot_link_a_number(request, brand, sms_outbox, login, client, role):
    member = request.getfixturevalue(role)
    login(member)
    invite = factories.make_invite(brand)
    response = client.post(f"/join/{invite.token}/", {"name": "Staff Joining", "consent_chat": "on"})
    assert response.status_code == 302, response.content[:500]
    customer = Customer.objects.get(user=member.user)
    response = client.post(f"/join/secure/{customer.pk}/phone/", {"phone": "13800138000"})
    assert response.status_code == 409
    assert "A team member&#x27;s login cannot be linked to a phone number." in response.content.decode()
    assert sms_outbox == []
    member.user.refresh_from_db()
    customer.refresh_from_db()
    assert member.user.phone is None and customer.phone == ""


def test_linking_refuses_a_team_login_on_either_side(brand, owner, rep, sms_outbox):
    from communities.join.services import customer_phone_link
    from privtraffic.tenancy.actors import CustomerActor
    from privtraffic.tenancy.errors import ApplicationError

    staff_customer = factories.make_customer(brand, "Owner As Customer")
    Customer.objects.filter(pk=staff_customer.pk).update(user=owner.user)
    staff_customer.refresh_from_db()
    with pytest.raises(ApplicationError) as refused:  # a code texted before the membership came: still refused
        customer_phone_link(customer=staff_customer, device_user=owner.user, owner=None, phone=E164,
                            actor=CustomerActor(customer=staff_customer))
    assert refused.value.status == 409 and refused.value.code == "phone_staff_login"
    # A customer proving a number a team login holds does not move onto that login.
    User.objects.filter(pk=rep.user.pk).update(phone=E164)
    client = Client()
    customer = _join(client, factories.make_invite(brand))
    done = _link(client, customer, sms_outbox)
    assert done.status_code == 409 and "already linked to another chat" in done.content.decode()
    customer.refresh_from_db()
    assert customer.user != rep.user and customer.phone == ""
    assert client.get("/chat/").status_code == 200  # still their own device login, not the rep's
    assert not DeviceSession.objects.filter(user=rep.user).exists()


@pytest.mark.parametrize("role", ["owner", "rep"])
def test_a_team_members_login_is_never_signed_in_by_a_texted_code(request, brand, sms_outbox, monkeypatch, role):
    member = request.getfixturevalue(role)
    User.objects.filter(pk=member.user.pk).update(phone=E164)  # however it got there
    factories.make_customer(brand, "Staff As Customer")
    Customer.objects.filter(name="Staff As Customer").update(user=member.user)
    monkeypatch.setattr("communities.join.views.phone_code_new", lambda: "123456")  # the code, known to the test
    invite = factories.make_invite(brand)
    client = Client()
    response = client.post(f"/join/{invite.token}/phone/", {"phone": E164})
    assert response.status_code == 302 and response["Location"] == f"/join/{invite.token}/phone/code/"
    assert sms_outbox == []  # no code to a team login
    response = client.post(f"/join/{invite.token}/phone/code/", {"code": "123456"})
    assert response.status_code == 400 and "This code is not right" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert client.get(f"/b/{brand.slug}/").status_code != 200
    assert not DeviceSession.objects.exists()


def test_linking_keeps_the_phone_the_brand_had_on_file(client, brand, sms_outbox):
    customer = _join(client, factories.make_invite(brand))
    Customer.objects.filter(pk=customer.pk).update(phone="+8613900139000")  # set by a rep or an integrator
    assert _link(client, customer, sms_outbox).status_code == 200
    customer.refresh_from_db()
    assert customer.phone == "+8613900139000"  # kept
    assert customer.user.phone == E164  # the proven number is the login's


def test_continue_with_phone_wrong_codes_end_the_attempt(brand, sms_outbox):
    invite = factories.make_invite(brand)
    owner = Client()
    _link(owner, _join(owner, invite), sms_outbox)
    client = Client()
    client.post(f"/join/{invite.token}/phone/", {"phone": E164})
    right = _code(sms_outbox)
    wrong = f"{(int(right) + 1) % 1000000:06d}"
    url = f"/join/{invite.token}/phone/code/"
    assert [client.post(url, {"code": wrong}).status_code for _ in range(2)] == [400, 400]
    assert client.post(url, {"code": wrong})["Location"] == f"/join/{invite.token}/phone/"
    assert client.post(url, {"code": right})["Location"] == f"/join/{invite.token}/phone/"
    assert client.get(f"/chat/group/{invite.group_id}/").status_code == 302  # not signed in
    assert DeviceSession.objects.count() == 1


def test_a_code_asked_for_one_brand_does_not_open_another(brand, other_brand, sms_outbox):
    invite = factories.make_invite(brand)
    owner = Client()
    _link(owner, _join(owner, invite), sms_outbox)
    client = Client()
    client.post(f"/join/{invite.token}/phone/", {"phone": E164})
    elsewhere = factories.make_invite(other_brand)
    response = client.post(f"/join/{elsewhere.token}/phone/code/", {"code": _code(sms_outbox)})
    assert response.status_code == 302 and response["Location"] == f"/join/{elsewhere.token}/phone/"
    assert client.get("/chat/").status_code == 302


def test_phone_code_requests_are_rate_limited(client, brand, sms_outbox):
    invite = factories.make_invite(brand)
    customer = _join(client, invite)
    statuses = [client.post(f"/join/secure/{customer.pk}/phone/", {"phone": "13800138000"}).status_code
                for _ in range(5)]
    assert statuses[0] == 302 and 429 in statuses and len(sms_outbox) < 5
    other = Client()
    statuses = [other.post(f"/join/{invite.token}/phone/", {"phone": "13900139000"}).status_code for _ in range(5)]
    assert statuses[0] == 302 and 429 in statuses


def test_another_brands_or_persons_customer_id_is_404(client, brand, other_brand, sms_outbox):
    _join(client, factories.make_invite(brand))
    elsewhere = Client()
    theirs = _join(elsewhere, factories.make_invite(other_brand), name="Other")
    stranger = factories.make_customer(brand, "Stranger")
    for customer_id in (theirs.pk, stranger.pk, 99999999999999999999):
        assert client.post(f"/join/secure/{customer_id}/phone/", {"phone": "13800138000"}).status_code == 404
        assert client.post(f"/join/secure/{customer_id}/phone/code/", {"code": "123456"}).status_code == 404
    assert client.get("/join/no-such-token/phone/").status_code == 404
    assert sms_outbox == []


def test_a_provider_that_fails_is_a_clear_error_and_links_nothing(client, brand, sms_outbox, settings):
    customer = _join(client, factories.make_invite(brand))
    settings.SMS_BACKEND = f"{__name__}.FailingSmsBackend"
    response = client.post(f"/join/secure/{customer.pk}/phone/", {"phone": "13800138000"})
    assert response.status_code == 503 and "could not send a text message" in response.content.decode()
    assert client.get(f"/join/secure/{customer.pk}/phone/code/")["Location"] == f"/join/secure/{customer.pk}/"


def test_the_text_and_the_pages_speak_the_customers_language(brand, sms_outbox):
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")
    invite = factories.make_invite(brand)
    customer = _join(client, invite)
    page = client.get(f"/join/secure/{customer.pk}/").content.decode()
    assert "手机号码" in page and "发送验证码短信" in page
    client.post(f"/join/secure/{customer.pk}/phone/", {"phone": "13800138000"})
    body = sms_outbox[-1].body
    assert "验证码" in body and brand.name in body
