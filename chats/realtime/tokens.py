"""Short-lived chat tokens: an integrator's app opens /ws/chat/?token=... for one customer."""

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.utils import timezone

from crm.models import Customer

SALT = "privtraffic.chat-token"


def chat_token_issue(*, customer: Customer) -> tuple[str, "timezone.datetime"]:
    if customer.erased_at is not None:
        from privtraffic.tenancy.errors import ApplicationError

        raise ApplicationError("customer_erased", "This customer's data was erased.", status=409)
    token = signing.dumps({"c": customer.pk, "b": customer.brand_id}, salt=SALT, compress=True)
    return token, timezone.now() + timedelta(seconds=settings.CHAT_TOKEN_TTL_SECONDS)


def chat_token_customer(token: str) -> Customer | None:
    """The customer a valid, unexpired token stands for, or None."""
    try:
        data = signing.loads(token, salt=SALT, max_age=settings.CHAT_TOKEN_TTL_SECONDS)
    except (signing.BadSignature, TypeError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    return Customer.objects.select_related("brand").filter(pk=data.get("c"), brand_id=data.get("b")).first()
