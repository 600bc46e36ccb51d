"""Staff sign up, verify and log in by email + password; customers log in by an emailed code."""

import re

import pytest
from allauth.account.models import EmailAddress

from privtraffic.accounts.models import User
from tests import factories

pytestmark = pytest.mark.django_db


def _link(body: str) -> str:
    return re.search(r"https?://[^/\s]+(/\S+)", body).group(1)


def test_staff_signup_requires_email_verification(client, mailoutbox):
    response = client.post("/accounts/signup/", {"email": "New@Shop.test", "password1": "a-Long-passw0rd",
                                                 "password2": "a-Long-passw0rd"})
    assert response.status_code == 302
    user = User.objects.get(email="new@shop.test")
    assert not EmailAddress.objects.get(user=user).verified
    assert client.get("/b/").status_code == 302  # not logged in until verified

    confirm_path = _link(mailoutbox[-1].body)
    client.post(confirm_path)
    assert EmailAddress.objects.get(user=user).verified
    assert client.post("/accounts/login/", {"login": "new@shop.test", "password": "a-Long-passw0rd"}).status_code == 302
    assert client.get("/b/").status_code == 200


def test_signup_rejects_weak_password_and_duplicate_email(client, mailoutbox):
    existing = factories.make_user("taken@shop.test")
    client.post("/accounts/signup/", {"email": "taken@shop.test", "password1": "a-Long-passw0rd",
                                      "password2": "a-Long-passw0rd"})
    # Without revealing that the address is taken, the owner of the address is told by email.
    assert "Already Exists" in mailoutbox[-1].subject
    assert User.objects.filter(email="taken@shop.test").get() == existing
    assert existing.check_password(factories.PASSWORD)
    response = client.post("/accounts/signup/", {"email": "weak@shop.test", "password1": "123", "password2": "123"})
    assert response.status_code == 200 and "too short" in response.content.decode()
    assert not User.objects.filter(email="weak@shop.test").exists()


def test_login_with_wrong_password_fails(client, brand):
    owner = factories.owner_of(brand).user
    response = client.post("/accounts/login/", {"login": owner.email, "password": "wrong"})
    assert response.status_code == 200 and "not correct" in response.content.decode()


def test_staff_login_lands_on_their_brand(client, brand):
    owner = factories.owner_of(brand).user
    response = client.post("/accounts/login/", {"login": owner.email, "password": factories.PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == f"/b/{brand.slug}/"


def test_password_reset_by_email(client, brand, mailoutbox):
    owner = factories.owner_of(brand).user
    client.post("/accounts/password/reset/", {"email": owner.email})
    reset_path = _link(mailoutbox[-1].body)
    form_page = client.get(reset_path, follow=True)
    action = form_page.redirect_chain[-1][0] if form_page.redirect_chain else reset_path
    response = client.post(action, {"password1": "Brand-new-pass-42", "password2": "Brand-new-pass-42"})
    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.check_password("Brand-new-pass-42")


def test_customer_logs_in_with_emailed_code(client, mailoutbox):
    customer = factories.make_user("shopper@example.test", password=None)
    assert not customer.has_usable_password()
    response = client.post("/accounts/login/code/", {"email": "shopper@example.test"})
    assert response.status_code == 302
    code = re.search(r"^([A-Z0-9]{4}-[A-Z0-9]{4})$", mailoutbox[-1].body, re.M).group(1)
    confirm_url = response["Location"]
    assert client.post(confirm_url, {"code": "AAAA-AAAA"}).status_code == 200  # wrong code: stays on the form
    response = client.post(confirm_url, {"code": code})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(customer.pk)


def test_team_invitation_link_sets_the_password(client, brand, mailoutbox, django_capture_on_commit_callbacks):
    from privtraffic.tenancy.services import member_invite

    with django_capture_on_commit_callbacks(execute=True):
        member_invite(brand=brand, actor=factories.system(brand), email="newbie@example.test", role="marketer")
    invite = mailoutbox[-1]
    assert brand.name in invite.subject
    page = client.get(_link(invite.body), follow=True)
    action = page.redirect_chain[-1][0]
    client.post(action, {"password1": "Welcome-aboard-77", "password2": "Welcome-aboard-77"})
    user = User.objects.get(email="newbie@example.test")
    assert user.check_password("Welcome-aboard-77")


# --- limits that hold: forwarded headers, the admin login ------------------------------------------------


def _bad_logins(client, count: int, *, spoof: bool) -> list:
    """Failed logins for different emails (so only the per-IP limit applies), each with a new X-Forwarded-For."""
    responses = []
    for i in range(count):
        extra = {"HTTP_X_FORWARDED_FOR": f"203.0.113.{i + 1}"} if spoof else {}
        responses.append(client.post("/accounts/login/", {"login": f"nobody{i}@shop.test", "password": "wrong"},
                                     **extra))
    return responses


def _limited(response) -> bool:
    return response.status_code == 429 or "Too many" in response.content.decode()


def test_spoofed_forwarded_for_does_not_reset_the_per_ip_login_limit(client, brand):
    owner = factories.owner_of(brand).user
    responses = _bad_logins(client, 11, spoof=True)
    assert not any(_limited(r) for r in responses[:10])
    assert _limited(responses[10])
    # Still limited for that address, whatever it claims to be forwarding for.
    response = client.post("/accounts/login/", {"login": owner.email, "password": "wrong"},
                           HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert _limited(response)


def test_uvicorn_believes_forwarded_headers_only_from_trusted_proxies(settings):
    """The serve command (and run-full, Docker) give uvicorn TRUSTED_PROXIES: none by default, so a client on
    loopback cannot pick the address the login limits key on."""
    import asyncio

    from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

    from privtraffic.tenancy.management.commands.serve import uvicorn_proxy_options

    def client_seen() -> str:
        seen = {}

        async def app(scope, receive, send):
            seen["client"] = scope["client"][0]

        options = uvicorn_proxy_options()
        assert options["proxy_headers"] is True
        middleware = ProxyHeadersMiddleware(app, trusted_hosts=options["forwarded_allow_ips"])
        scope = {"type": "http", "client": ("127.0.0.1", 5000), "scheme": "http",
                 "headers": [(b"x-forwarded-for", b"203.0.113.9")]}
        asyncio.run(middleware(scope, None, None))
        return seen["client"]

    settings.TRUSTED_PROXIES = []
    assert client_seen() == "127.0.0.1"
    settings.TRUSTED_PROXIES = ["127.0.0.1", "10.0.0.0/8"]
    assert client_seen() == "203.0.113.9"


def test_admin_login_goes_through_the_limited_staff_login(client, db):
    admin_user = User.objects.create_superuser(email="root@shop.test", password=factories.PASSWORD)
    EmailAddress.objects.create(user=admin_user, email=admin_user.email, verified=True, primary=True)
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    response = client.get("/admin/login/?next=/admin/crm/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/?next=/admin/crm/"
    # The admin's own password form is gone: a POST there signs nobody in.
    response = client.post("/admin/login/", {"username": admin_user.email, "password": factories.PASSWORD})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/login/?next=https://evil.test/").url == "/accounts/login/?next=/admin/"
    # Repeated bad admin logins are limited like every staff login.
    responses = [client.post("/accounts/login/?next=/admin/", {"login": admin_user.email, "password": "wrong"})
                 for _ in range(6)]
    assert _limited(responses[-1])
    # A signed-in staff user gets the admin; a signed-in non-staff user is refused, never looped.
    client.force_login(admin_user)
    assert client.get("/admin/login/").url == "/admin/"
    assert client.get("/admin/").status_code == 200
    other = User.objects.create_user(email="plain@shop.test", password=factories.PASSWORD)
    client.force_login(other)
    assert client.get("/admin/login/").status_code == 403
