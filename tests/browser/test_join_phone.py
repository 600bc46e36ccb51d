"""The phone route of the two-tap join in Chromium, in Chinese on a 360 px phone: link a mobile number with a
texted code, then open the same chat on another phone with "continue with your phone"."""

import re

import pytest

from communities.models import DeviceSession
from crm.models import Customer
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}
ZH = {"locale": "zh-CN", "extra_http_headers": {"Accept-Language": "zh-CN,zh;q=0.9"}}


def _code(sms_outbox) -> str:
    return re.search(r"\b(\d{6})\b", sms_outbox[-1].body).group(1)


def _fits(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_phone_route_in_chinese_on_a_360px_phone(live_server, browser_context, settings, brand, sms_outbox):
    settings.ALLOWED_HOSTS = ["*"]
    brand.color = "#c2185b"
    brand.save()
    group = factories.make_group(brand, "焕彩会员群")
    invite = factories.make_invite(brand, group=group)
    errors = []

    # This phone: two taps in, then the optional step by phone.
    page = browser_context(**ZH, **PHONE).new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server.url}/join/{invite.token}/")
    page.get_by_label("你的姓名").fill("美琳")
    page.check("input[name=consent_chat]")
    page.get_by_role("button", name="加入").click()
    page.wait_for_url(f"{live_server.url}/chat/group/{group.pk}/")
    customer = Customer.objects.get(brand=brand)

    page.get_by_role("link", name="在其他设备上使用你的聊天").click()
    page.wait_for_url(re.compile(rf"/join/secure/{customer.pk}/$"))
    assert page.locator(".brand-bar-name").inner_text() == brand.name
    _fits(page, 360)
    page.get_by_label("手机号码").fill("138 0013 8000")
    page.get_by_role("button", name="发送验证码短信").click()
    page.wait_for_url(re.compile(rf"/join/secure/{customer.pk}/phone/code/$"))
    assert page.get_by_text("验证码已通过短信发送到 +86 138 0013 8000").is_visible()
    assert page.locator(".brand-bar-name").inner_text() == brand.name
    accent = page.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--accent').trim()")
    assert accent == "#c2185b"
    _fits(page, 360)
    text = sms_outbox[-1]
    assert text.recipients == ["+8613800138000"] and "验证码" in text.body and brand.name in text.body
    page.get_by_label("短信中的验证码").fill(_code(sms_outbox))
    page.get_by_role("button", name="确认").click()
    page.wait_for_url(re.compile(rf"/join/secure/{customer.pk}/$"))
    assert page.get_by_text("你的聊天已关联到 +86 138 0013 8000：在任何设备上都可以用它继续。").is_visible()
    _fits(page, 360)
    customer.refresh_from_db()
    assert customer.phone == "+8613800138000"

    # Another phone: the brand's link, "continue with your phone", a code, and the same chat.
    other = browser_context(**ZH, **PHONE).new_page()
    other.on("pageerror", lambda exc: errors.append(str(exc)))
    other.goto(f"{live_server.url}/join/{invite.token}/")
    other.get_by_role("link", name="用手机号继续").click()
    other.wait_for_url(f"{live_server.url}/join/{invite.token}/phone/")
    assert other.locator("h1").inner_text() == "用手机号继续" and other.get_by_text(brand.name).first.is_visible()
    _fits(other, 360)
    other.get_by_label("手机号码").fill("13800138000")
    other.get_by_role("button", name="发送验证码短信").click()
    other.wait_for_url(f"{live_server.url}/join/{invite.token}/phone/code/")
    _fits(other, 360)
    other.get_by_label("短信中的验证码").fill(_code(sms_outbox))
    other.get_by_role("button", name="确认").click()
    other.wait_for_url(f"{live_server.url}/chat/group/{group.pk}/")
    assert other.locator("h1").inner_text() == "焕彩会员群"
    _fits(other, 360)
    assert DeviceSession.objects.filter(customer=customer, revoked_at__isnull=True).count() == 2
    assert errors == []


def test_continue_with_your_phone_page_at_1366px(live_server, browser_context, settings, brand):
    settings.ALLOWED_HOSTS = ["*"]
    invite = factories.make_invite(brand)
    page = browser_context(viewport={"width": 1366, "height": 800}).new_page()
    page.goto(f"{live_server.url}/join/{invite.token}/phone/")
    assert page.get_by_label("Mobile number").is_visible()
    assert page.get_by_role("button", name="Text me a code").is_visible()
    _fits(page, 1366)
    page.get_by_label("Mobile number").fill("call me")
    page.get_by_role("button", name="Text me a code").click()
    assert page.get_by_text("Enter a mobile number with digits only").is_visible()
