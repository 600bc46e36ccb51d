"""Text messages: the project's one call to send an SMS, over django-sms's interchangeable backends.

The backend is chosen by the SMS_BACKEND setting, like Django's EMAIL_BACKEND:

- `sms.backends.console.SmsBackend` (the embedded default of `make run`) prints each text to stdout;
- `sms.backends.locmem.SmsBackend` (the test settings) keeps them in `sms.outbox`;
- a provider is a dotted path to a subclass of `sms.backends.base.BaseSmsBackend` that implements
  `send_messages(messages) -> int` (django-sms ships Twilio and MessageBird ones).

A backend that fails, or sends nothing, is a clear `sms_failed` error (503) for the person, never a 500.
"""

import logging

import sms
from django.conf import settings
from django.core import checks
from django.utils.translation import gettext as _

from privtraffic.tenancy.errors import ApplicationError

logger = logging.getLogger(__name__)


def sms_send(*, to: str, body: str) -> None:
    """Send one text to one E.164 number through SMS_BACKEND, or raise ApplicationError("sms_failed")."""
    try:
        sent = sms.send_sms(body=body, originator=settings.DEFAULT_FROM_SMS or None, recipients=[to])
    except Exception:  # any provider's failure (network, credentials, a refused number)
        logger.warning("SMS to %s… could not be sent", to[:5], exc_info=True)
        sent = 0
    if not sent:
        raise ApplicationError("sms_failed", _("We could not send a text message just now. Try again later."),
                               status=503)


# Backends that never reach a phone: fine for `make run` and tests, wrong for a deployment.
LOCAL_BACKENDS = {"sms.backends.console.SmsBackend", "sms.backends.locmem.SmsBackend",
                  "sms.backends.dummy.SmsBackend", "sms.backends.filebased.SmsBackend"}


@checks.register(checks.Tags.security, deploy=True)
def sms_backend_check(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """`check --deploy`: a deployment whose SMS_BACKEND prints texts would show customers a code page whose
    code never arrives (the phone route of the join flow)."""
    if settings.SMS_BACKEND in LOCAL_BACKENDS:
        return [checks.Warning(f"SMS_BACKEND is {settings.SMS_BACKEND}: texted sign-in codes are not sent.",
                               hint="Set SMS_BACKEND to your SMS provider's backend (README, Configuration).",
                               id="privtraffic.W001")]
    return []
