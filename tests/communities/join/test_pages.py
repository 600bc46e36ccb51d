"""The customer join flow through the pages: two taps (name + consent) on this device, at once; the emailed
one-time code is the optional later step (tests/communities/join/test_devices.py)."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from communities.models import GroupMember, InviteLink
from crm.models import Customer
from privtraffic.tenancy.roles import Role
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


def _code(mailoutbox) -> str:
    return re.search(r"^([A-Z0-9]{4}-[A-Z0-9]{4})$", mailoutbox[-1].body, re.M).group(1)


def _join_new(client, mailoutbox, invite, *, name="Mei Lin", promotions=False):
    form = {"name": name, "consent_chat": "on"}
    if promotions:
        form["consent_promotions"] = "on"
    response = client.post(f"/join/{invite.token}/", form, follow=True)
    assert response.status_code == 200 and response.redirect_chain[-1][0].startswith("/chat/")
    assert not mailoutbox  # no trip to the mail app
    return response


def test_invite_page_shows_brand_group_count_and_rules(client, brand):
    group = factories.make_group(brand, "Glow Club", rules="Be kind. No ads.")
    invite = factories.make_invite(brand, group=group)
    page = client.get(f"/join/{invite.token}/").content.decode()
    assert brand.name in page and "Glow Club" in page and "Be kind. No ads." in page and "0</strong> members" in page
    assert 'name="consent_promotions"' in page and "checked" not in page  # promotions unticked by default


def test_new_customer_joins_in_two_taps_and_lands_in_group_chat(client, brand, mailoutbox):
    group = factories.make_group(brand, "Glow Club", welcome_message="Welcome!")
    invite = factories.make_invite(brand, group=group)
    page = client.get(f"/join/{invite.token}/").content.decode()
    assert 'name="email"' not in page  # name and consent only
    response = client.post(f"/join/{invite.token}/", {"name": "Mei Lin", "consent_chat": "on"})
    assert response.status_code == 302 and response["Location"] == f"/chat/group/{group.pk}/"
    assert response.cookies["pt_device"]["httponly"] and response.cookies["pt_device"]["samesite"] == "Lax"
    html = client.get(response["Location"]).content.decode()
    assert "Mei Lin joined the group." in html and "@Mei Welcome!" in html
    customer = Customer.objects.get(brand=brand)
    assert (customer.name, customer.email, customer.consent_chat, customer.consent_promotions, customer.source,
            customer.source_ref) == ("Mei Lin", "", True, False, "invite_link", invite.token)
    assert GroupMember.objects.get(customer=customer).invite == invite
    assert not customer.user.has_usable_password() and not customer.user.has_real_email
    assert not mailoutbox


def test_joining_twice_is_a_no_op(client, brand, mailoutbox):
    invite = factories.make_invite(brand)
    _join_new(client, mailoutbox, invite)
    response = client.post(f"/join/{invite.token}/", {"join": "1"})
    assert response.status_code == 302
    assert GroupMember.objects.count() == 1
    invite.refresh_from_db()
    assert invite.use_count == 1


def test_returning_customer_skips_straight_in(client, brand, mailoutbox):
    _join_new(client, mailoutbox, factories.make_invite(brand))
    second = factories.make_invite(brand, group=factories.make_group(brand, "Second"))
    page = client.get(f"/join/{second.token}/").content.decode()
    assert "Welcome back, Mei Lin" in page and 'name="name"' not in page
    response = client.post(f"/join/{second.token}/")
    assert response["Location"] == f"/chat/group/{second.group_id}/"
    assert Customer.objects.filter(brand=brand).count() == 1


def test_consent_to_chat_is_required(client, brand, mailoutbox):
    invite = factories.make_invite(brand)
    response = client.post(f"/join/{invite.token}/", {"name": "A"})
    assert response.status_code == 400 and "tick the box" in response.content.decode()
    assert not mailoutbox and not Customer.objects.exists() and "pt_device" not in response.cookies


def test_missing_name(client, brand):
    invite = factories.make_invite(brand)
    response = client.post(f"/join/{invite.token}/", {"name": "", "consent_chat": "on"})
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    assert not Customer.objects.exists()


def test_nul_in_the_name_is_a_clear_400_that_creates_nobody(client, brand):
    invite = factories.make_invite(brand)
    response = client.post(f"/join/{invite.token}/", {"name": "Mei\x00", "consent_chat": "on"})
    assert response.status_code == 400
    assert not Customer.objects.exists() and "pt_device" not in response.cookies


def test_unknown_token_is_404(client, db):
    assert client.get("/join/not-a-real-token/").status_code == 404
    assert client.get("/join/not-a-real-token/qr.svg").status_code == 404


@pytest.mark.parametrize("change, text", [
    ({"revoked_at": timezone.now()}, "turned off"),
    ({"expires_at": timezone.now() - timedelta(minutes=1)}, "expired"),
    ({"max_uses": 1, "use_count": 1}, "as many times"),
])
def test_dead_links_are_410_with_a_way_to_reach_the_brand(client, brand, change, text):
    factories.make_store(brand, "Jing'an Flagship", city="Shanghai")
    invite = factories.make_invite(brand)
    InviteLink.objects.filter(pk=invite.pk).update(**change)
    response = client.get(f"/join/{invite.token}/")
    assert response.status_code == 410
    html = response.content.decode()
    assert text in html and "Jing&#x27;an Flagship" in html
    response = client.post(f"/join/{invite.token}/", {"name": "A", "consent_chat": "on"})
    assert response.status_code == 410 and not Customer.objects.exists() and "pt_device" not in response.cookies


def test_rep_link_assigns_rep_and_opens_the_1to1_chat(client, brand, mailoutbox):
    rep = factories.make_member(brand, Role.REP)
    invite = factories.make_invite(brand, rep=rep)
    page = client.get(f"/join/{invite.token}/").content.decode()
    assert "your shopping assistant" in page
    result = _join_new(client, mailoutbox, invite)
    customer = Customer.objects.get(brand=brand)
    assert customer.assigned_rep == rep and customer.source == "rep" and customer.home_store == rep.store
    assert result.redirect_chain[-1][0] == f"/chat/direct/{customer.pk}/"
    assert rep.user.display_name in result.content.decode()


def test_qr_codes_are_svg_and_png(client, brand):
    invite = factories.make_invite(brand)
    svg = client.get(f"/join/{invite.token}/qr.svg")
    assert svg["Content-Type"] == "image/svg+xml" and b"<svg" in svg.content
    png = client.get(f"/join/{invite.token}/qr.png?download=1")
    assert png["Content-Type"] == "image/png" and png.content.startswith(b"\x89PNG")
    assert "attachment" in png["Content-Disposition"]


def test_customer_can_leave_from_the_chat(client, brand, mailoutbox):
    invite = factories.make_invite(brand)
    _join_new(client, mailoutbox, invite)
    response = client.post(f"/chat/group/{invite.group_id}/leave/")
    assert response.status_code == 302
    assert GroupMember.objects.get().left_at is not None
    assert client.get(f"/chat/group/{invite.group_id}/").status_code == 404


def test_signed_in_person_cannot_claim_a_record_by_an_unverified_email(client, brand):
    factories.make_customer(brand, "Real Owner", email="owner@example.test")
    impostor = factories.make_user("other@example.test", verified=False)
    impostor.email = "owner@example.test"  # an address this account never proved
    impostor.save()
    client.force_login(impostor)
    invite = factories.make_invite(brand)
    response = client.post(f"/join/{invite.token}/", {"name": "Impostor", "consent_chat": "on"})
    assert response.status_code == 400 and "Confirm your email" in response.content.decode()
    assert Customer.objects.get(email="owner@example.test").user is None
