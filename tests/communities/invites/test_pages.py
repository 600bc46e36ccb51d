"""Dashboard pages for VIP groups, members and invite links (/b/<slug>/groups/, /b/<slug>/invites/)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from communities.models import InviteKind, InviteLink
from privtraffic.tenancy.roles import Role
from tests import factories
from tests.communities.helpers import page_url

pytestmark = pytest.mark.django_db


def test_group_invite_create_preview_and_revoke(login, brand):
    group = factories.make_group(brand, "Beauty VIP")
    client = login(factories.owner_of(brand))
    url = page_url(brand, f"groups/{group.pk}/")
    response = client.post(f"{url}invites/new/", {"label": "Till poster", "campaign_label": "Spring",
                                 "max_uses": "100", "expires_at": "2099-01-01T10:00", "store": ""})
    invite = InviteLink.objects.get(brand=brand)
    assert response.status_code == 302 and response["Location"] == page_url(brand, f"invites/{invite.pk}/")
    assert (invite.kind, invite.group, invite.label, invite.campaign_label, invite.max_uses) == (
        InviteKind.GROUP, group, "Till poster", "Spring", 100)
    # Entered in the brand's time zone (Asia/Shanghai, UTC+8).
    assert invite.expires_at == datetime(2099, 1, 1, 2, 0, tzinfo=UTC)

    page = client.get(url).content.decode()
    assert f'src="/join/{invite.token}/qr.svg"' in page and "Till poster" in page and "0 / 100" in page
    assert "2099-01-01 10:00" in page
    detail = client.get(page_url(brand, f"invites/{invite.pk}/")).content.decode()
    assert f"/join/{invite.token}/qr.svg" in detail and f"/join/{invite.token}/qr.png?download=1" in detail
    assert f"http://testserver/join/{invite.token}/" in detail and "Beauty VIP" in detail and brand.name in detail

    response = client.post(f"{url}invites/revoke/", {"invite_id": invite.pk})
    assert response.status_code == 302
    invite.refresh_from_db()
    assert invite.revoked_at is not None
    assert ">Revoked</span>" in client.get(url).content.decode()


def test_group_invite_bad_input_changes_nothing(login, brand):
    group = factories.make_group(brand, "Beauty VIP")
    client = login(factories.owner_of(brand))
    url = page_url(brand, f"groups/{group.pk}/")
    for data in ({"expires_at": "2001-01-01T10:00"}, {"expires_at": "tomorrow"}, {"max_uses": "0"}):
        response = client.post(f"{url}invites/new/", data)
        assert response.status_code == 400, data
        assert 'class="error"' in response.content.decode()
    archived = factories.make_group(brand, "Old", archived=True)
    response = client.post(page_url(brand, f"groups/{archived.pk}/invites/new/"), {})
    assert response.status_code == 400 and "archived" in response.content.decode()
    assert not InviteLink.objects.exists()


def test_revoking_another_groups_invite_from_a_group_page_is_404(login, brand):
    group = factories.make_group(brand, "A")
    invite = factories.make_invite(brand, group=factories.make_group(brand, "B"))
    client = login(factories.owner_of(brand))
    response = client.post(page_url(brand, f"groups/{group.pk}/invites/revoke/"), {"invite_id": invite.pk})
    assert response.status_code == 404
    invite.refresh_from_db()
    assert invite.revoked_at is None


def test_invites_page_lists_links_with_status(login, brand):
    rep = factories.make_member(brand, Role.REP)
    active = factories.make_invite(brand, group=factories.make_group(brand, "Beauty VIP"), label="Poster")
    revoked = factories.make_invite(brand, rep=rep, label="Rep card")
    revoked.revoked_at = timezone.now()
    revoked.save()
    used_up = factories.make_invite(brand, rep=rep, label="One shot", max_uses=1)
    InviteLink.objects.filter(pk=used_up.pk).update(use_count=1)
    expired = factories.make_invite(brand, rep=rep, label="Old")
    InviteLink.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(days=1))
    client = login(factories.owner_of(brand))
    page = client.get(page_url(brand, "invites/")).content.decode()
    for invite in (active, revoked, used_up, expired):
        assert f'src="/join/{invite.token}/qr.svg"' in page
    for status in ("Active", "Revoked", "Used up", "Expired"):
        assert f">{status}</span>" in page
    page = client.get(page_url(brand, "invites/"), {"kind": "rep"}).content.decode()
    assert "Poster" not in page and "Rep card" in page

    response = client.post(page_url(brand, "invites/revoke/"), {"invite_id": active.pk})
    assert response.status_code == 302
    active.refresh_from_db()
    assert active.revoked_at is not None


def test_invite_detail_revoke(login, brand):
    invite = factories.make_invite(brand)
    client = login(factories.owner_of(brand))
    response = client.post(page_url(brand, f"invites/{invite.pk}/"))
    assert response.status_code == 302
    invite.refresh_from_db()
    assert invite.revoked_at is not None


def test_marketer_creates_rep_link_for_any_rep(login, brand):
    rep = factories.make_member(brand, Role.REP)
    client = login(factories.make_member(brand, Role.MARKETER))
    response = client.post(page_url(brand, "invites/"), {"rep": rep.pk, "label": "Counter card"})
    assert response.status_code == 302
    invite = InviteLink.objects.get(brand=brand)
    assert (invite.kind, invite.rep, invite.store) == (InviteKind.REP, rep, rep.store)


def test_rep_opens_invites_and_creates_only_their_own_link(login, brand):
    rep = factories.make_member(brand, Role.REP)
    colleague = factories.make_member(brand, Role.REP, store=rep.store)
    client = login(rep)
    response = client.get(page_url(brand, "invites/"))
    assert response.status_code == 200
    page = response.content.decode()
    assert f'<option value="{rep.pk}" selected>' in page and f'value="{colleague.pk}"' not in page

    response = client.post(page_url(brand, "invites/"), {"rep": colleague.pk})
    assert response.status_code == 400 and 'class="error"' in response.content.decode()
    assert not InviteLink.objects.exists()

    response = client.post(page_url(brand, "invites/"), {"rep": rep.pk, "label": "My card"})
    assert response.status_code == 302
    invite = InviteLink.objects.get(brand=brand)
    assert (invite.kind, invite.rep, invite.created_by) == (InviteKind.REP, rep, rep.user)
    detail = client.get(page_url(brand, f"invites/{invite.pk}/")).content.decode()
    assert "your shopping assistant" in detail and f"/join/{invite.token}/qr.svg" in detail


def _count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_invites_list_query_count_does_not_grow_with_rows(login, brand):
    client = login(factories.owner_of(brand))
    rep = factories.make_member(brand, Role.REP)
    factories.make_invite(brand, rep=rep)
    one = _count_queries(client, page_url(brand, "invites/"))
    for i in range(9):
        if i % 2:
            factories.make_invite(brand, rep=rep, label=f"card {i}")
        else:
            factories.make_invite(brand, group=factories.make_group(brand, f"G{i}"), store=factories.make_store(brand))
    assert _count_queries(client, page_url(brand, "invites/")) == one
