"""Card clicks through a tracked redirect: each recipient's card carries `click_url` (/c/<signed token>/) beside
its `url`; opening it counts the click on that recipient's Delivery and redirects to the card's own link.

The token names the brand and the delivery and is signed (no expiry: an old message's link keeps working).
The target is read from the campaign at click time, never from the link, so the redirect cannot be pointed
anywhere else.
"""

import re

from django.core import signing
from django.urls import reverse

from privtraffic.tenancy.errors import ApplicationError

from ..models import Delivery

CLICK_SALT = "campaigns.results.click"
# The card kinds whose `url` a customer opens (an image's url is the picture itself).
TRACKED_KINDS = frozenset({"product", "survey"})
_SAFE_TARGET = re.compile(r"^(https?://[^\s]+|/s/[0-9]+/)$", re.ASCII)


def click_token(delivery: Delivery) -> str:
    return signing.Signer(salt=CLICK_SALT).sign_object({"b": delivery.brand_id, "d": delivery.pk}, compress=True)


def click_url(delivery: Delivery) -> str:
    return reverse("campaigns:click", kwargs={"token": click_token(delivery)})


def click_token_read(token: str) -> tuple[int, int]:
    """(brand id, delivery id) of a token this site signed; anything else is not found."""
    try:
        data = signing.Signer(salt=CLICK_SALT).unsign_object(token)
        brand_id, delivery_id = data["b"], data["d"]
    except (signing.BadSignature, KeyError, TypeError, ValueError, UnicodeDecodeError):
        raise ApplicationError.not_found("link")
    if not all(isinstance(v, int) and not isinstance(v, bool) and 0 < v < 2**63 for v in (brand_id, delivery_id)):
        raise ApplicationError.not_found("link")
    return brand_id, delivery_id


def safe_target(url) -> str | None:
    """The card's link when it is one we redirect to: http(s), or a survey page of this site."""
    return url if isinstance(url, str) and _SAFE_TARGET.match(url) else None
