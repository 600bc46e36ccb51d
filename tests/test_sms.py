"""privtraffic.sms: texts go through the backend SMS_BACKEND names (django-sms), and a backend that fails is a
clear sms_failed error, never a 500."""

import pytest
from sms.backends.base import BaseSmsBackend

from privtraffic.sms import sms_send
from privtraffic.tenancy.errors import ApplicationError


class SendsNothingBackend(BaseSmsBackend):
    def send_messages(self, messages):
        return 0


class DownBackend(BaseSmsBackend):
    def send_messages(self, messages):
        raise TimeoutError("provider down")


def test_the_embedded_default_prints_each_text(settings, capsys):

    from privtraffic.settings import base

    assert base.SMS_BACKEND == "sms.backends.console.SmsBackend"
    settings.SMS_BACKEND = base.SMS_BACKEND
    settings.DEFAULT_FROM_SMS = "AcmeBeauty"
    sms_send(to="+8613800138000", body="Acme: your code is 123456.")
    printed = capsys.readouterr().out
    assert "to: +8613800138000" in printed and "from: AcmeBeauty" in printed and "your code is 123456" in printed


def test_tests_keep_texts_in_the_outbox(sms_outbox):
    sms_send(to="+85291234567", body="hello")
    assert [(m.recipients, m.body) for m in sms_outbox] == [(["+85291234567"], "hello")]


@pytest.mark.parametrize("backend", ["SendsNothingBackend", "DownBackend"])
def test_a_backend_that_fails_is_a_clear_error(settings, backend):
    settings.SMS_BACKEND = f"{__name__}.{backend}"
    with pytest.raises(ApplicationError) as raised:
        sms_send(to="+8613800138000", body="hello")
    assert raised.value.code == "sms_failed" and raised.value.status == 503
