"""An open chat socket does not outlive the device session its browser signed in with."""

import pytest
from channels.db import database_sync_to_async
from channels.testing.websocket import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from crm.models import Customer
from privtraffic.asgi import application
from tests import factories
from tests.chats.conftest import receive_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


def _joined_browser():
    brand = factories.make_brand("acme")
    invite = factories.make_invite(brand)
    browser = Client()
    assert browser.post(f"/join/{invite.token}/", {"name": "Mei Lin", "consent_chat": "on"}).status_code == 302
    return browser, Customer.objects.get()


async def _socket(browser) -> WebsocketCommunicator:
    cookie = browser.cookies[settings.SESSION_COOKIE_NAME].value
    comm = WebsocketCommunicator(application, "/ws/chat/", headers=[
        (b"host", b"testserver"), (b"origin", b"http://testserver"),
        (b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode())])
    assert (await comm.connect())[0]
    await receive_until(comm, "ready")
    return comm


async def _closed_with(comm) -> int:
    """Frames already on their way (a member-left notice) may come first; then the close."""
    while True:
        output = await comm.receive_output(timeout=3)
        if output["type"] == "websocket.close":
            return output["code"]


async def test_forgetting_the_device_closes_its_open_chat_socket():
    browser, customer = await database_sync_to_async(_joined_browser)()
    comm = await _socket(browser)
    response = await database_sync_to_async(browser.post)(f"/join/secure/{customer.pk}/forget/")
    assert response.status_code == 302
    assert await _closed_with(comm) == 4401


async def test_erasing_the_customer_closes_their_device_sockets_and_only_theirs():
    browser, customer = await database_sync_to_async(_joined_browser)()
    comm = await _socket(browser)
    bystander_browser = Client()

    def join_bystander():
        invite = factories.make_invite(customer.brand)
        assert bystander_browser.post(f"/join/{invite.token}/", {"name": "Ann", "consent_chat": "on"}).status_code == 302

    await database_sync_to_async(join_bystander)()
    bystander = await _socket(bystander_browser)

    def erase():
        from crm.privacy.services import customer_erase

        customer_erase(customer=customer, actor=factories.system(customer.brand))

    await database_sync_to_async(erase)()
    assert await _closed_with(comm) == 4401
    assert await bystander.receive_nothing(timeout=0.3)
    await bystander.disconnect()
