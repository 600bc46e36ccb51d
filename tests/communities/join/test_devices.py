"""Device sessions (joined on this device, at once), the optional email step, and the rep a group joiner gets."""

import re

import pytest
from django.test import Client

from communities.models import DeviceSession, GroupMember
from crm.models import AuditLog, Customer
from privtraffic.accounts.models import User
from privtraffic.tenancy.roles import Role
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


def _code(mailoutbox) -> str:
    return re.search(r"^([A-Z0-9]{4}-[A-Z0-9]{4})$", mailoutbox[-1].body, re.M).group(1)


def _join(client, invite, name="Mei Lin"):
    response = client.post(f"/join/{invite.token}/", {"name": name, "consent_chat": "on"})
    assert response.status_code == 302, response.content[:500]
    return response


def _device_cookie(client) -> str:
    return client.cookies["pt_device"].value


def test_the_device_cookie_is_signed_and_only_the_secret_hash_is_stored(client, brand):
    invite = factories.make_invite(brand)
    _join(client, invite)
    device = DeviceSession.objects.get()
    raw = _device_cookie(client)
    device_id, secret = raw.split(":", 1)[0].split(".", 1)
    assert int(device_id) == device.pk and len(secret) >= 40  # 32 random bytes
    assert secret not in device.secret_hash and len(device.secret_hash) == 64
    assert device.customer.user_id == device.user_id and device.brand_id == brand.pk


def test_a_returning_device_goes_straight_to_the_chat_after_the_session_is_gone(client, brand):
    invite = factories.make_invite(brand)
    _join(client, invite)
    cookie = _device_cookie(client)
    other = Client()  # the same phone next month: the Django session expired, the device cookie is kept
    other.cookies["pt_device"] = cookie
    response = other.get(f"/join/{invite.token}/")
    assert response.status_code == 302 and response["Location"] == f"/chat/group/{invite.group_id}/"
    assert other.get(response["Location"]).status_code == 200
    assert DeviceSession.objects.get().last_seen_at is not None


@pytest.mark.parametrize("tamper", [
    lambda raw: raw[:-2] + ("AA" if not raw.endswith("AA") else "BB"),  # a bad signature
    lambda raw: "1.guess",  # unsigned
    lambda raw: "\x00",
])
def test_a_forged_or_tampered_device_cookie_signs_nobody_in(client, brand, tamper):
    invite = factories.make_invite(brand)
    _join(client, invite)
    other = Client()
    other.cookies["pt_device"] = tamper(_device_cookie(client))
    response = other.get("/chat/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert other.cookies["pt_device"].value == ""  # dropped


def test_the_right_id_with_a_wrong_secret_signs_nobody_in(client, brand, settings):
    from django.core.signing import get_cookie_signer

    invite = factories.make_invite(brand)
    _join(client, invite)
    device = DeviceSession.objects.get()
    forged = get_cookie_signer(salt="pt_devicecommunities.join.device").sign(f"{device.pk}.not-the-secret")
    other = Client()
    other.cookies["pt_device"] = forged
    assert other.get("/chat/").status_code == 302


def test_forget_this_device_revokes_it_and_signs_out(client, brand):
    invite = factories.make_invite(brand)
    _join(client, invite)
    cookie = _device_cookie(client)
    customer = Customer.objects.get()
    page = client.get(f"/join/secure/{customer.pk}/").content.decode()
    assert "Forget this device" in page and brand.name in page
    response = client.post(f"/join/secure/{customer.pk}/forget/")
    assert response.status_code == 302
    assert DeviceSession.objects.get().revoked_at is not None
    assert client.get("/chat/").status_code == 302  # signed out
    other = Client()
    other.cookies["pt_device"] = cookie  # a copy of the cookie is dead too
    assert other.get("/chat/").status_code == 302


def test_signing_out_ends_the_device_session(client, brand):
    invite = factories.make_invite(brand)
    _join(client, invite)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert DeviceSession.objects.get().revoked_at is not None
    assert client.cookies["pt_device"].value == ""
    assert client.get("/chat/").status_code == 302


def test_a_revoked_device_is_signed_out_on_its_next_request(client, brand):
    invite = factories.make_invite(brand)
    _join(client, invite)
    assert client.get("/chat/").status_code == 200
    DeviceSession.objects.update(revoked_at="2026-01-01T00:00:00Z")  # e.g. erased meanwhile
    assert client.get("/chat/").status_code == 302


def test_erasing_the_customer_ends_their_device_sessions(client, brand, owner):
    from crm.privacy.services import customer_erase

    invite = factories.make_invite(brand)
    _join(client, invite)
    customer_erase(customer=Customer.objects.get(), actor=owner)
    assert DeviceSession.objects.get().revoked_at is not None
    assert client.get("/chat/").status_code == 302


def test_another_persons_secure_page_is_404(client, brand):
    _join(client, factories.make_invite(brand))
    stranger = factories.make_customer(brand, "Stranger")
    assert client.get(f"/join/secure/{stranger.pk}/").status_code == 404
    assert client.get("/join/secure/99999999999999999999/").status_code == 404


def test_adding_an_email_later_with_the_code_links_the_chat_to_it(client, brand, mailoutbox):
    invite = factories.make_invite(brand)
    _join(client, invite)
    customer = Customer.objects.get()
    chat = client.get(f"/chat/group/{invite.group_id}/").content.decode()
    assert f"/join/secure/{customer.pk}/" in chat  # the optional step is offered in the chat
    response = client.post(f"/join/secure/{customer.pk}/", {"email": "Mei@Example.test"})
    assert response.status_code == 302 and response["Location"] == f"/join/secure/{customer.pk}/code/"
    code_page = client.get(response["Location"]).content.decode()
    assert brand.name in code_page and "--accent: " + brand.color in code_page  # the code page keeps the brand
    assert mailoutbox[-1].to == ["mei@example.test"]
    done = client.post(response["Location"], {"code": _code(mailoutbox).lower()}, follow=True)
    assert done.status_code == 200 and "mei@example.test" in done.content.decode()
    customer.refresh_from_db()
    assert customer.email == "mei@example.test" and customer.user.email == "mei@example.test"
    assert client.get(f"/chat/group/{invite.group_id}/").status_code == 200  # still in on this device
    # Another device: sign in with the address (allauth's code), and the chat is there.
    other = Client()
    response = other.post("/accounts/login/code/", {"email": "mei@example.test"})
    other.post(response["Location"], {"code": _code(mailoutbox)})
    assert other.get(f"/chat/group/{invite.group_id}/").status_code == 200


def test_wrong_codes_link_nothing_and_the_third_ends_the_attempt(client, brand, mailoutbox):
    _join(client, factories.make_invite(brand))
    customer = Customer.objects.get()
    client.post(f"/join/secure/{customer.pk}/", {"email": "mei@example.test"})
    url = f"/join/secure/{customer.pk}/code/"
    assert client.post(url, {"code": "ZZZZ-ZZZZ"}).status_code == 400
    assert client.post(url, {"code": "\x00"}).status_code == 400  # refused at the edge, not a try
    assert client.post(url, {"code": "YYYY-YYYY"}).status_code == 400
    third = client.post(url, {"code": "ZZZZ-ZZZZ"})
    assert third.status_code == 302 and third["Location"] == f"/join/secure/{customer.pk}/"
    # The right code no longer works: the attempt is over.
    assert client.post(url, {"code": _code(mailoutbox)})["Location"] == f"/join/secure/{customer.pk}/"
    customer.refresh_from_db()
    assert customer.email == "" and not customer.user.has_real_email


def test_the_code_page_without_a_pending_request_links_nothing(client, brand):
    _join(client, factories.make_invite(brand))
    customer = Customer.objects.get()
    response = client.post(f"/join/secure/{customer.pk}/code/", {"code": "ABCD-EFGH"})
    assert response.status_code == 302 and response["Location"] == f"/join/secure/{customer.pk}/"
    customer.refresh_from_db()
    assert customer.email == ""


def test_an_address_already_in_use_signs_in_to_it_and_the_chat_moves_there(client, brand, mailoutbox):
    known = factories.make_user("mei@example.test", password=None, verified=True)
    invite = factories.make_invite(brand)
    _join(client, invite)
    customer = Customer.objects.get()
    device_user = customer.user
    response = client.post(f"/join/secure/{customer.pk}/", {"email": "mei@example.test"})
    done = client.post(response["Location"], {"code": _code(mailoutbox)}, follow=True)
    assert done.status_code == 200
    customer.refresh_from_db()
    assert customer.user == known and DeviceSession.objects.get().user == known
    assert User.objects.filter(pk=device_user.pk).exists()
    assert client.get(f"/chat/group/{invite.group_id}/").status_code == 200  # signed in as the address now
    other = Client()  # and this device's cookie still brings it back
    other.cookies["pt_device"] = _device_cookie(client)
    assert other.get(f"/chat/group/{invite.group_id}/").status_code == 200


def test_secure_code_requests_are_rate_limited(client, brand, mailoutbox):
    _join(client, factories.make_invite(brand))
    customer = Customer.objects.get()
    statuses = [client.post(f"/join/secure/{customer.pk}/", {"email": "victim@example.test"}).status_code
                for _ in range(5)]
    assert statuses[0] == 302 and 429 in statuses and len(mailoutbox) < 5


def test_the_sign_in_link_on_the_join_page_keeps_the_brand(client, brand):
    invite = factories.make_invite(brand)
    page = client.get(f"/join/{invite.token}/").content.decode()
    link = re.search(r'href="(/accounts/login/code/[^"]+)"', page).group(1).replace("&amp;", "&")
    html = client.get(link).content.decode()
    assert brand.name in html and brand.color in html


def test_the_owner_sets_the_colour_the_customer_pages_carry(client, brand, login):
    owner = login(factories.owner_of(brand))
    form = {"name": brand.name, "time_zone": brand.time_zone, "default_currency": "CNY"}
    bad = owner.post(f"/b/{brand.slug}/settings/", {**form, "color": "#12345z"})
    assert bad.status_code == 400 and "#0b7a5a" in bad.content.decode()
    assert owner.post(f"/b/{brand.slug}/settings/", {**form, "color": "#aa3366"}).status_code == 302
    assert owner.post(f"/b/{brand.slug}/settings/", form).status_code == 302  # left empty: unchanged
    brand.refresh_from_db()
    assert brand.color == "#aa3366"
    invite = factories.make_invite(brand)
    page = Client().get(f"/join/{invite.token}/").content.decode()
    assert "--accent: #aa3366" in page and brand.name in page


# --- the rep a customer joining through a group link gets -------------------------------------------------


def test_a_group_with_a_host_rep_gives_them_to_joiners(client, brand):
    host = factories.make_member(brand, Role.REP)
    group = factories.make_group(brand, "Glow Club")
    group.host_rep = host
    group.save()
    invite = factories.make_invite(brand, group=group)
    _join(client, invite)
    customer = Customer.objects.get()
    assert customer.assigned_rep == host
    audit = AuditLog.objects.get(action="customer.reassigned", customer=customer)
    assert audit.detail == {"from_rep": None, "to_rep": host.pk, "rule": "group_host"}
    page = client.get(f"/chat/group/{group.pk}/").content.decode()
    assert f'href="/chat/direct/{customer.pk}/"' in page and host.user.display_name in page
    assert client.get(f"/chat/direct/{customer.pk}/").status_code == 200


def test_without_a_host_reps_of_the_store_take_turns(brand):
    store = factories.make_store(brand, "Jing'an")
    first, second = factories.make_member(brand, Role.REP, store=store), factories.make_member(brand, Role.REP, store=store)
    factories.make_member(brand, Role.REP)  # another store's rep never gets them
    inactive = factories.make_member(brand, Role.REP, store=store)
    inactive.is_active = False
    inactive.save()
    group = factories.make_group(brand, "Glow Club", store=store)
    invite = factories.make_invite(brand, group=group)
    reps = []
    for n in range(4):
        client = Client()
        _join(client, invite, name=f"Customer {n}")
        reps.append(Customer.objects.get(name=f"Customer {n}").assigned_rep_id)
    assert reps == [first.pk, second.pk, first.pk, second.pk]
    assert AuditLog.objects.filter(action="customer.reassigned", detail__rule="round_robin").count() == 4


def test_a_customer_who_has_a_rep_keeps_them(client, brand):
    mine = factories.make_member(brand, Role.REP)
    store = factories.make_store(brand)
    factories.make_member(brand, Role.REP, store=store)
    _join(client, factories.make_invite(brand, rep=mine))
    _join(client, factories.make_invite(brand, group=factories.make_group(brand, store=store)))
    assert Customer.objects.get().assigned_rep == mine


def test_a_brand_without_reps_joins_without_one(client, brand):
    _join(client, factories.make_invite(brand))
    assert Customer.objects.get().assigned_rep is None
    assert GroupMember.objects.count() == 1
