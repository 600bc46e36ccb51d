"""Dashboard pages for VIP groups, members and invite links (/b/<slug>/groups/, /b/<slug>/invites/)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from communities.groups.services import group_member_add
from communities.models import GroupMember, InviteLink, LeaveReason, MemberRole, VipGroup
from privtraffic.tenancy.roles import Role
from tests import factories
from tests.communities.helpers import GROUP_FORM, group_with_members, make_named_customer, page_url

pytestmark = pytest.mark.django_db


def test_anonymous_is_sent_to_login(client, brand):
    response = client.get(page_url(brand, "groups/"))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_groups_list_shows_counts_bars_and_full_badge(login, brand):
    group_with_members(brand, 3, "Beauty VIP")
    group_with_members(brand, 2, "Tiny", capacity=2)
    client = login(factories.owner_of(brand))
    response = client.get(page_url(brand, "groups/"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Beauty VIP" in page and "3 / 500" in page and "2 / 2" in page
    assert '<progress value="3" max="500"' in page
    assert ">Full</span>" in page
    assert ">Groups</a>" in page  # the sidebar section exists now
    assert "Tiny Fan 1" in page and "joined" in page  # recent activity


def test_groups_list_search_and_store_filter(login, brand):
    store = factories.make_store(brand, "Jing'an")
    factories.make_group(brand, "Beauty VIP", store=store)
    factories.make_group(brand, "Outdoor Club")
    client = login(factories.owner_of(brand))
    page = client.get(page_url(brand, "groups/"), {"q": "beauty"}).content.decode()
    assert ">Beauty VIP</a>" in page and ">Outdoor Club</a>" not in page
    page = client.get(page_url(brand, "groups/"), {"store": store.pk}).content.decode()
    assert ">Beauty VIP</a>" in page and ">Outdoor Club</a>" not in page
    page = client.get(page_url(brand, "groups/")).content.decode()
    assert ">Beauty VIP</a>" in page and ">Outdoor Club</a>" in page


def test_groups_list_shows_overflow_series_together(login, brand):
    group = factories.make_group(brand, "Beauty VIP", capacity=1)
    group_member_add(group=group, actor=factories.system(group.brand_id), customer=make_named_customer(brand, "First"))
    second = group_member_add(group=group, actor=factories.system(group.brand_id), customer=make_named_customer(brand, "Second"), follow_overflow=True)
    successor = second.group
    assert successor.series_root_id == group.pk
    page = login(factories.owner_of(brand)).get(page_url(brand, "groups/")).content.decode()
    assert "Overflows into" in page and "Beauty VIP #2" in page and "Group #2 of the series" in page
    assert "Series of 2 groups" in page
    assert page.index(f'data-group-id="{group.pk}"') < page.index(f'data-group-id="{successor.pk}"')


def test_create_group(login, brand):
    store = factories.make_store(brand, "Jing'an")
    client = login(factories.owner_of(brand))
    response = client.post(page_url(brand, "groups/"), {**GROUP_FORM, "store": store.pk})
    group = VipGroup.objects.get(brand=brand)
    assert response.status_code == 302 and response["Location"] == page_url(brand, f"groups/{group.pk}/")
    assert (group.name, group.store, group.capacity, group.announce_only, group.system_messages) == (
        "Beauty VIP", store, 200, True, True)
    assert group.welcome_message == "Welcome!" and group.rules == "Be kind"


@pytest.mark.parametrize("capacity", ["0", "501", "-3", "many"])
def test_create_group_rejects_bad_capacity(login, brand, capacity):
    client = login(factories.owner_of(brand))
    response = client.post(page_url(brand, "groups/"), {**GROUP_FORM, "capacity": capacity})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'class="field has-error"' in page and 'id="id_capacity"' in page
    if capacity in ("0", "501"):
        assert "Capacity must be between 1 and 500." in page
    assert not VipGroup.objects.filter(brand=brand).exists()


def test_create_group_rejects_another_brands_overflow_group(login, brand, other_brand):
    foreign = factories.make_group(other_brand, "Not yours")
    client = login(factories.owner_of(brand))
    response = client.post(page_url(brand, "groups/"), {**GROUP_FORM, "overflow_group": foreign.pk})
    assert response.status_code == 400
    assert not VipGroup.objects.filter(brand=brand).exists()


def test_marketer_can_create_groups(login, brand):
    client = login(factories.make_member(brand, Role.MARKETER))
    assert client.get(page_url(brand, "groups/")).status_code == 200
    response = client.post(page_url(brand, "groups/"), GROUP_FORM)
    assert response.status_code == 302
    assert VipGroup.objects.filter(brand=brand, name="Beauty VIP").exists()


def test_edit_group(login, brand):
    group = factories.make_group(brand, "Beauty VIP")
    other = factories.make_group(brand, "Overflow")
    client = login(factories.owner_of(brand))
    assert "Edit group" in client.get(page_url(brand, f"groups/{group.pk}/")).content.decode()
    data = {**GROUP_FORM, "name": "Beauty VIP Gold", "capacity": "300",
            "overflow_group": other.pk, "archived": "on"}
    data.pop("announce_only")
    response = client.post(page_url(brand, f"groups/{group.pk}/"), data)
    assert response.status_code == 302
    group.refresh_from_db()
    assert (group.name, group.capacity, group.overflow_group, group.archived, group.announce_only) == (
        "Beauty VIP Gold", 300, other, True, False)


def test_the_host_rep_is_chosen_on_the_group_page(login, brand):
    store = factories.make_store(brand, "Jing'an")
    group = factories.make_group(brand, "Beauty VIP", store=store)
    host = factories.make_member(brand, Role.REP, store=store)
    elsewhere = factories.make_member(brand, Role.REP, store=factories.make_store(brand, "Xuhui"))
    client = login(factories.owner_of(brand))
    url = page_url(brand, f"groups/{group.pk}/")
    assert "Round robin among the store&#x27;s reps" in client.get(url).content.decode()
    refused = client.post(url, {**GROUP_FORM, "store": store.pk, "host_rep": elsewhere.pk})
    assert refused.status_code == 400 and "Choose a rep of this store." in refused.content.decode()
    assert client.post(url, {**GROUP_FORM, "store": store.pk, "host_rep": host.pk}).status_code == 302
    group.refresh_from_db()
    assert group.host_rep == host
    assert host.user.display_name in client.get(url).content.decode()


def test_edit_group_errors_change_nothing(login, brand):
    group = group_with_members(brand, 3, "Beauty VIP")
    client = login(factories.owner_of(brand))
    url = page_url(brand, f"groups/{group.pk}/")
    response = client.post(url, {**GROUP_FORM, "capacity": "2"})
    assert response.status_code == 400 and "The group has 3 members." in response.content.decode()
    response = client.post(url, {**GROUP_FORM, "overflow_group": group.pk})
    assert response.status_code == 400  # not a choice: a group cannot overflow into itself
    response = client.post(url, {**GROUP_FORM, "name": ""})
    assert response.status_code == 400
    group.refresh_from_db()
    assert (group.name, group.capacity, group.overflow_group_id) == ("Beauty VIP", 500, None)


def test_member_list_and_search(login, brand):
    group = factories.make_group(brand, "VIP")
    for name in ("Alice Wang", "Bob Li"):
        group_member_add(group=group, actor=factories.system(group.brand_id), customer=make_named_customer(brand, name))
    client = login(factories.owner_of(brand))
    page = client.get(page_url(brand, f"groups/{group.pk}/members/")).content.decode()
    assert "Alice Wang" in page and "Bob Li" in page
    page = client.get(page_url(brand, f"groups/{group.pk}/members/"), {"q": "alice"}).content.decode()
    assert "Alice Wang" in page and "Bob Li" not in page
    page = client.get(page_url(brand, f"groups/{group.pk}/members/"), {"q": "bob.li@"}).content.decode()
    assert "Bob Li" in page and "Alice Wang" not in page


def test_member_list_is_paginated(login, brand):
    group = group_with_members(brand, 52, "Big")
    client = login(factories.owner_of(brand))
    first = client.get(page_url(brand, f"groups/{group.pk}/members/")).content.decode()
    second = client.get(page_url(brand, f"groups/{group.pk}/members/"), {"page": 2}).content.decode()
    assert first.count("data-customer-id=") == 50 and second.count("data-customer-id=") == 2
    assert "Page 1 of 2" in first


def test_member_moderation_actions(login, brand):
    group = factories.make_group(brand, "VIP")
    customer = make_named_customer(brand, "Alice Wang")
    member = group_member_add(group=group, actor=factories.system(group.brand_id), customer=customer)
    client = login(factories.make_member(brand, Role.MARKETER))
    url = page_url(brand, f"groups/{group.pk}/members/")

    def act(action, **extra):
        response = client.post(f"{url}{action}/?q=alice", {"customer_id": customer.pk, **extra})
        assert response.status_code == 302 and response["Location"] == f"{url}?q=alice"
        member.refresh_from_db()

    before = timezone.now()
    act("mute", duration="24h")
    assert before + timedelta(hours=23, minutes=59) < member.muted_until < timezone.now() + timedelta(hours=24, minutes=1)
    assert "Muted until" in client.get(url).content.decode()
    act("mute", duration="7d")
    assert member.muted_until > timezone.now() + timedelta(days=6, hours=23)
    act("unmute")
    assert member.muted_until is None
    act("promote")
    assert member.role == MemberRole.MODERATOR
    act("demote")
    assert member.role == MemberRole.MEMBER
    act("remove")
    assert member.left_at is not None and member.leave_reason == LeaveReason.REMOVED
    group.refresh_from_db()
    assert group.member_count == 0
    assert f'data-customer-id="{customer.pk}"' not in client.get(url).content.decode()


def test_member_action_bad_input_changes_nothing(login, brand, other_brand):
    group = factories.make_group(brand, "VIP")
    customer = make_named_customer(brand, "Alice Wang")
    member = group_member_add(group=group, actor=factories.system(group.brand_id), customer=customer)
    client = login(factories.owner_of(brand))
    url = page_url(brand, f"groups/{group.pk}/members/")
    for action, data in (("mute", {"customer_id": customer.pk}),  # no duration
                         ("mute", {"customer_id": customer.pk, "duration": "99y"}),
                         ("remove", {"customer_id": "abc"})):
        assert client.post(f"{url}{action}/", data).status_code == 400, data
    # There is no "explode" command, and the members page itself takes no commands.
    assert client.post(f"{url}explode/", {"customer_id": customer.pk}).status_code == 404
    assert client.post(url, {"action": "remove", "customer_id": customer.pk}).status_code == 405
    stranger = make_named_customer(other_brand, "Stranger")
    not_in_group = make_named_customer(brand, "Not In Group")
    for customer_id in (stranger.pk, not_in_group.pk):
        assert client.post(f"{url}remove/", {"customer_id": customer_id}).status_code == 404
    member.refresh_from_db()
    assert member.left_at is None and member.muted_until is None
    # Acting on someone who has left is an error shown on the page, not a 500.
    client.post(f"{url}remove/", {"customer_id": customer.pk})
    response = client.post(f"{url}mute/", {"customer_id": customer.pk, "duration": "1h"})
    assert response.status_code == 400 and "no longer in the group" in response.content.decode()


def test_rep_cannot_create_or_edit_groups(login, brand):
    rep = factories.make_member(brand, Role.REP)
    group = factories.make_group(brand, "Beauty VIP", store=rep.store)
    client = login(rep)
    assert client.post(page_url(brand, "groups/"), GROUP_FORM).status_code == 403
    assert client.post(page_url(brand, f"groups/{group.pk}/"), {**GROUP_FORM}).status_code == 403
    page = client.get(page_url(brand, f"groups/{group.pk}/")).content.decode()
    assert "Edit group" not in page and "Create an invite link" in page
    assert "New group" not in client.get(page_url(brand, "groups/")).content.decode()
    assert VipGroup.objects.filter(brand=brand).count() == 1
    group.refresh_from_db()
    assert group.name == "Beauty VIP"


def test_rep_moderates_members_of_their_stores_group(login, brand):
    rep = factories.make_member(brand, Role.REP)
    group = factories.make_group(brand, "Store VIP", store=rep.store)
    customer = make_named_customer(brand, "Alice Wang")
    member = group_member_add(group=group, actor=factories.system(group.brand_id), customer=customer)
    client = login(rep)
    response = client.post(page_url(brand, f"groups/{group.pk}/members/mute/"),
                           {"customer_id": customer.pk, "duration": "1h"})
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.is_muted()


@pytest.mark.parametrize("role", [Role.STORE_MANAGER, Role.REP])
def test_store_staff_get_404_for_other_brand_and_other_store_ids(login, brand, other_brand, role):
    staff = factories.make_member(brand, role)
    foreign_group = factories.make_group(other_brand, "Globex VIP")
    foreign_invite = factories.make_invite(other_brand, group=foreign_group)
    other_store_group = factories.make_group(brand, "Other store", store=factories.make_store(brand))
    client = login(staff)
    for group in (foreign_group, other_store_group):
        for path in (f"groups/{group.pk}/", f"groups/{group.pk}/members/"):
            assert client.get(page_url(brand, path)).status_code == 404, path
        for path in (f"groups/{group.pk}/", f"groups/{group.pk}/invites/new/", f"groups/{group.pk}/invites/revoke/",
                     *(f"groups/{group.pk}/members/{command}/"
                       for command in ("mute", "unmute", "remove", "promote", "demote"))):
            assert client.post(page_url(brand, path), {"customer_id": 1, "duration": "1h"}).status_code == 404, path
    assert client.get(page_url(brand, f"invites/{foreign_invite.pk}/")).status_code == 404
    assert client.post(page_url(brand, f"invites/{foreign_invite.pk}/")).status_code == 404
    assert client.post(page_url(brand, "invites/revoke/"), {"invite_id": foreign_invite.pk}).status_code == 404
    assert client.get(page_url(other_brand, "groups/")).status_code == 404
    foreign_invite.refresh_from_db()
    assert foreign_invite.revoked_at is None and not InviteLink.objects.filter(brand=brand).exists()


def _count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_groups_list_query_count_does_not_grow_with_rows(login, brand):
    client = login(factories.owner_of(brand))
    store = factories.make_store(brand)
    group_with_members(brand, 2, "Group 0", store=store)
    one = _count_queries(client, page_url(brand, "groups/"))
    for i in range(1, 10):
        group = group_with_members(brand, 2, f"Group {i}", store=store, capacity=2)
        group_member_add(group=group, actor=factories.system(group.brand_id), customer=make_named_customer(brand, f"Overflow {i}"), follow_overflow=True)
    assert VipGroup.objects.filter(brand=brand).count() >= 10
    assert _count_queries(client, page_url(brand, "groups/")) == one


def test_members_list_query_count_does_not_grow_with_rows(login, brand):
    client = login(factories.owner_of(brand))
    group = group_with_members(brand, 1, "VIP")
    url = page_url(brand, f"groups/{group.pk}/members/")
    one = _count_queries(client, url)
    for i in range(9):
        member = group_member_add(group=group, actor=factories.system(group.brand_id), customer=make_named_customer(brand, f"More {i}"))
        if i % 2:
            member.muted_until = timezone.now() + timedelta(hours=1)
            member.role = MemberRole.MODERATOR
            member.save()
    assert GroupMember.objects.filter(group=group).count() == 10
    assert _count_queries(client, url) == one


def test_group_cover_image_upload_is_checked(client, brand, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    client.force_login(factories.owner_of(brand).user)
    url = f"/b/{brand.slug}/groups/"
    fake = SimpleUploadedFile("cover.png", b"<svg onload=alert(1)>", content_type="image/png")
    response = client.post(url, {"name": "Covered", "capacity": 100, "cover_image": fake})
    assert response.status_code == 400 and "PNG, JPEG or WebP" in response.content.decode()
    png = SimpleUploadedFile("cover.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, content_type="image/png")
    response = client.post(url, {"name": "Covered", "capacity": 100, "cover_image": png})
    assert response.status_code == 302
    group = VipGroup.objects.get(brand=brand, name="Covered")
    assert group.cover_image.name.startswith("group-covers/")
    invite = factories.make_invite(brand, group=group)
    client.logout()
    assert group.cover_image.url in client.get(f"/join/{invite.token}/").content.decode()


def test_invite_links_stat_card_shows_a_number_not_qr(login, brand):
    """The fourth stat card read "QR"; it counts the invite links that still work."""
    import re

    group = factories.make_group(brand)
    factories.make_invite(brand, group=group)
    factories.make_invite(brand, group=group)
    revoked = factories.make_invite(brand, group=group)
    InviteLink.objects.filter(pk=revoked.pk).update(revoked_at=timezone.now())
    page = login(factories.owner_of(brand)).get(page_url(brand, "groups/")).content.decode()
    values = re.findall(r'<span class="stat-value">([^<]*)</span>', page)
    assert values[3] == "2" and "QR" not in values


def test_empty_groups_page_gives_the_next_step(login, brand):
    page = login(factories.owner_of(brand)).get(page_url(brand, "groups/")).content.decode()
    assert 'id="groups-empty"' in page and 'href="#new-group"' in page and 'id="new-group"' in page
