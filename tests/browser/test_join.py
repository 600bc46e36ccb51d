import re

import pytest

from communities.models import DeviceSession, GroupMember
from crm.models import Customer
from privtraffic.tenancy.roles import Role
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}


def test_customer_joins_from_an_invite_on_a_phone_in_two_taps(live_server, browser_context, settings, brand, mailoutbox):
    settings.ALLOWED_HOSTS = ["*"]
    group = factories.make_group(brand, "Glow Club", rules="Be kind.", welcome_message="Glad you're here!")
    invite = factories.make_invite(brand, group=group)
    page = browser_context(**PHONE).new_page()

    page.goto(f"{live_server.url}/join/{invite.token}/")
    assert page.locator("h1").inner_text() == "Glow Club"
    assert page.get_by_text("Be kind.").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.locator("input[name=email]").count() == 0
    page.fill("input[name=name]", "Mei <i>Lin</i>")
    assert not page.is_checked("input[name=consent_promotions]")
    page.check("input[name=consent_chat]")
    page.get_by_role("button", name="Join").click()

    page.wait_for_url(f"{live_server.url}/chat/group/{group.pk}/")
    assert page.locator("h1").inner_text() == "Glow Club"
    # The name is shown as text, never as markup.
    assert page.get_by_text("Mei <i>Lin</i> joined the group.").is_visible()
    assert page.get_by_text("Glad you're here!").is_visible()
    assert page.locator("i", has_text="Lin").count() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert GroupMember.objects.filter(group=group, left_at__isnull=True).count() == 1
    assert not mailoutbox


def test_two_tap_join_in_chinese_on_a_360px_phone_and_the_device_comes_back(live_server, browser_context, settings,
                                                                            brand):
    settings.ALLOWED_HOSTS = ["*"]
    brand.color = "#c2185b"
    brand.save()
    store = factories.make_store(brand, "静安旗舰店")
    host = factories.make_member(brand, Role.REP, store=store, user=factories.make_user("lina@acme.test", name="李娜"))
    group = factories.make_group(brand, "焕彩会员群", store=store, rules="友善交流。")
    group.host_rep = host
    group.save()
    invite = factories.make_invite(brand, group=group)
    context = browser_context(locale="zh-CN", extra_http_headers={"Accept-Language": "zh-CN,zh;q=0.9"}, **PHONE)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    page.goto(f"{live_server.url}/join/{invite.token}/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.get_by_text("友善交流。").is_visible()
    assert page.get_by_label("你的姓名").is_visible()
    assert page.get_by_text("在其他手机上加入过？").is_visible()
    accent = page.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--accent').trim()")
    assert accent == "#c2185b"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_label("你的姓名").fill("美琳")  # tap one: the name
    page.check("input[name=consent_chat]")  # tap two: the consent
    page.get_by_role("button", name="加入").click()

    page.wait_for_url(f"{live_server.url}/chat/group/{group.pk}/")
    assert page.locator("h1").inner_text() == "焕彩会员群"
    rep_link = page.locator("[data-rep-chat]")
    assert rep_link.inner_text() == "与你的专属顾问 李娜 聊天"
    assert page.get_by_role("link", name="在其他设备上使用你的聊天").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    customer = Customer.objects.get(brand=brand)
    assert customer.assigned_rep == host and DeviceSession.objects.filter(customer=customer).count() == 1
    rep_link.click()
    page.wait_for_url(f"{live_server.url}/chat/direct/{customer.pk}/")
    assert page.locator("h1").inner_text() == "李娜"

    # The same phone later, with its Django session gone: the device cookie brings it straight to the chat.
    assert {c["name"] for c in context.cookies()} >= {"sessionid", "pt_device"}
    context.clear_cookies(name="sessionid")
    page.goto(f"{live_server.url}/join/{invite.token}/")
    page.wait_for_url(f"{live_server.url}/chat/group/{group.pk}/")

    # The optional step: the page, in Chinese, with the brand.
    page.get_by_role("link", name="在其他设备上使用你的聊天").click()
    page.wait_for_url(re.compile(rf"/join/secure/{customer.pk}/$"))
    assert page.locator(".brand-bar-name").inner_text() == brand.name
    assert page.get_by_role("button", name="发送验证码到我的邮箱").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert errors == []
