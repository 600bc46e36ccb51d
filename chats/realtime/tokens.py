"""Chat tokens: an integrator's app authenticates a /ws/chat/ socket for one customer.

The app sends the token in the socket's first frame, `{"type": "auth", "token": ...}`, never in the
URL (access logs keep URLs). A token is `secrets.token_urlsafe` randomness: it carries no customer id,
brand or expiry, and only its SHA-256 is stored (`ChatToken`), so a database dump cannot open a socket.
A token ends at its expiry, or at once when revoked: `DELETE customers/{id}/chat-token/`, or the
customer's erasure (chats/crm_hooks.py). Revoking also closes the sockets it opened, with code 4401
(the consumer listens on `chat_token_group(customer_id)` and re-checks its token on `chat.token_revoked`).
"""

import hashlib
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import Customer
from privtraffic.tenancy.actors import Actor, authorize
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.roles import Perm

from ..models import ChatToken
from .broadcast import broadcast_on_commit

TOKEN_BYTES = 32
# Longer than any token we issue: anything past it is refused before hashing.
MAX_TOKEN_LENGTH = 200


def chat_token_group(customer_id: int) -> str:
    """The channel-layer group of every socket opened with one of this customer's tokens."""
    return f"chattoken.{customer_id}"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def chat_token_issue(*, customer: Customer, actor: Actor) -> tuple[str, datetime]:
    """A new token for the customer and when it expires. The token is shown this once; only its hash is kept."""
    authorize(actor, Perm.CHAT, customer, what="customer")
    if customer.erased_at is not None:
        raise ApplicationError("customer_erased", _("This customer's data was erased."), status=409)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    expires_at = timezone.now() + timedelta(seconds=settings.CHAT_TOKEN_TTL_SECONDS)
    ChatToken.objects.create(brand_id=customer.brand_id, customer=customer, token_hash=_hash(token),
                             expires_at=expires_at)
    return token, expires_at


def chat_token_revoke(*, customer: Customer, actor: Actor) -> int:
    """End every live token of the customer now, and close the sockets they opened. Returns how many."""
    authorize(actor, Perm.CHAT, customer, what="customer")
    return chat_tokens_end(customer=customer)


def chat_tokens_end(*, customer: Customer) -> int:
    """Revoke without an authorization check: for callers that already hold one (the erase step)."""
    with transaction.atomic():
        count = ChatToken.objects.filter(brand_id=customer.brand_id, customer=customer,
                                         revoked_at__isnull=True).update(revoked_at=timezone.now())
        # Sent even when nothing was live: a socket re-checks its own token, so an extra event is harmless.
        broadcast_on_commit(chat_token_group(customer.pk), {"type": "chat.token_revoked"})
    return count


def chat_token_find(token: object) -> ChatToken | None:
    """The live token row (with its customer and brand) for a presented token, or None."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    row = (ChatToken.objects.select_related("customer__brand")
           .filter(token_hash=_hash(token), revoked_at__isnull=True, expires_at__gt=timezone.now(),
                   customer__erased_at__isnull=True).first())
    return row


def chat_token_is_live(token_id: int) -> bool:
    return ChatToken.objects.filter(pk=token_id, revoked_at__isnull=True, expires_at__gt=timezone.now(),
                                    customer__erased_at__isnull=True).exists()


def chat_token_customer(token: object) -> Customer | None:
    """The customer a live token stands for, or None."""
    row = chat_token_find(token)
    return row.customer if row is not None else None


def chat_tokens_prune(*, older_than: timedelta = timedelta(days=1)) -> int:
    """Forget tokens that expired or were revoked more than `older_than` ago."""
    cutoff = timezone.now() - older_than
    deleted, _rows = ChatToken.objects.filter(expires_at__lt=cutoff).delete()
    revoked, _rows = ChatToken.objects.filter(revoked_at__lt=cutoff).delete()
    return deleted + revoked
