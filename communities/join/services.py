"""Writes of the join flow: a new person joining on their device, the device session that keeps them
signed in on that browser, and linking a proven email address later.

A device session is a row (DeviceSession) plus a cookie on the browser holding "<id>.<secret>", signed with
the project's SECRET_KEY (Django's signed cookies) so a tampered value is refused before any lookup; the
32-byte random secret is stored only as its SHA-256. It is bound to one customer and their login, and
revoked by setting `revoked_at` (the customer's "forget this device", signing out, erasure): the middleware
then signs the browser out on its next request.
"""

import logging
import secrets

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.customers.services import customer_changes_apply, customer_create
from crm.models import Customer
from privtraffic.accounts.models import User
from privtraffic.accounts.services import device_user_create, user_email_adopt, user_phone_adopt
from privtraffic.tenancy.actors import CustomerActor, SystemActor, authorize
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.roles import Perm

from ..invites.services import JOIN_SOURCES
from ..models import DeviceSession, InviteLink
from .selectors import customer_of_user_in_brand, secret_hash, user_is_team_member

logger = logging.getLogger(__name__)


def customer_join_on_device(*, invite: InviteLink, name: str, consent_chat: bool,
                            consent_promotions: bool) -> Customer:
    """A new person joining through a link with just their name and consents: a login without an email
    (device_user_create) and their customer record in the invite's brand. The token they hold is their right
    to join; the record is written by the brand's own code for them, as customer_join_as_user does."""
    brand = invite.brand
    with transaction.atomic():
        user = device_user_create(name=name)
        return customer_create(
            brand=brand, actor=SystemActor.for_brand(brand, "communities:join"), name=name, user=user,
            source=JOIN_SOURCES[invite.kind], source_ref=invite.token, home_store=invite.store,
            consent_chat=consent_chat, consent_promotions=consent_promotions, consent_source="join_form",
        )


def device_session_start(*, customer: Customer, user: User, actor: CustomerActor,
                         user_agent: str = "") -> tuple[DeviceSession, str]:
    """A new device session for the customer on this browser. Returns it and the secret for the cookie
    (shown once; only its hash is kept)."""
    authorize(actor, Perm.CHAT, customer, what="customer")
    if actor.customer.pk != customer.pk or customer.user_id != user.pk:
        raise ApplicationError.not_found("customer")
    secret = secrets.token_urlsafe(32)
    device = DeviceSession.objects.create(brand_id=customer.brand_id, customer=customer, user=user,
                                          secret_hash=secret_hash(secret), user_agent=user_agent[:200],
                                          last_seen_at=timezone.now())
    return device, secret


def device_session_seen(*, device: DeviceSession) -> None:
    """A returning browser was signed in from this device session."""
    DeviceSession.objects.filter(pk=device.pk).update(last_seen_at=timezone.now())


def device_group(device_id: int) -> str:
    """The channel-layer group of the chat sockets a device session opened (chats joins it on connect)."""
    return f"device.{device_id}"


def _close_device_sockets_on_commit(device_ids: list[int]) -> None:
    """After commit, tell the chat sockets of these devices that their session ended: they close with 4401
    (the browser is signed out on its next request; an open socket must not outlive that)."""
    if not device_ids:
        return

    def send() -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        for device_id in device_ids:
            try:
                async_to_sync(layer.group_send)(device_group(device_id), {"type": "chat.device_revoked"})
            except Exception:  # committed already; the socket's next reconnect is refused anyway
                logger.warning("could not tell device %s's sockets", device_id, exc_info=True)

    transaction.on_commit(send)


def device_session_revoke(*, device_id: int, user: User) -> int:
    """End a device session of this login (signing out, "forget this device"). Returns how many ended."""
    ended = DeviceSession.objects.filter(pk=device_id, user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now())
    if ended:
        _close_device_sockets_on_commit([device_id])
    return ended


def device_sessions_revoke_for_customer(*, customer: Customer, actor) -> int:
    """End every device session of a customer (their data is being erased)."""
    authorize(actor, None, customer, what="customer")
    live = DeviceSession.objects.filter(brand_id=customer.brand_id, customer=customer, revoked_at__isnull=True)
    device_ids = list(live.values_list("pk", flat=True))
    ended = DeviceSession.objects.filter(pk__in=device_ids, revoked_at__isnull=True).update(revoked_at=timezone.now())
    _close_device_sockets_on_commit(device_ids)
    return ended


def customer_email_link(*, customer: Customer, device_user: User, owner: User | None, email: str,
                        actor: CustomerActor) -> Customer:
    """After the code sent to `email` was confirmed on this device: the customer's chat is now reachable
    with that address.

    A new address (`owner` None) becomes the device login's own. An address that already has a login
    (`owner`) takes the customer record and its device sessions over, unless that login already has a
    record in this brand, which then stays the one in use (returned)."""
    authorize(actor, Perm.CHAT, customer, what="customer")
    if customer.user_id != device_user.pk:
        raise ApplicationError.not_found("customer")
    email = email.strip().lower()
    with transaction.atomic():
        if owner is None or owner.pk == device_user.pk:
            try:
                with transaction.atomic():
                    user_email_adopt(user=device_user, email=email)
            except IntegrityError:  # taken meanwhile
                raise ApplicationError("email_taken", _("This address is already in use. Sign in with it instead."),
                                       status=409)
        else:
            existing = customer_of_user_in_brand(brand_id=customer.brand_id, user=owner)
            if existing is not None and existing.pk != customer.pk:
                DeviceSession.objects.filter(customer=customer, user=device_user).update(customer=existing, user=owner)
                return existing
            Customer.objects.filter(pk=customer.pk, user=device_user).update(user=owner)
            DeviceSession.objects.filter(customer=customer, user=device_user).update(user=owner)
            customer.refresh_from_db()
        if not customer.email and not Customer.objects.filter(brand_id=customer.brand_id, email=email).exists():
            customer = customer_changes_apply(customer=customer, consent_source="join_form", email=email)
    return customer


def _phone_taken() -> ApplicationError:
    # The same words whoever holds the number: the person learns it is linked, never to whom.
    return ApplicationError("phone_taken", _("This number is already linked to another chat. To open that chat, "
                                             "sign out of this device and continue with your phone."), status=409)


def phone_link_check(*, device_user: User) -> None:
    """Refuse a team member's login (staff, or an active membership of any brand) a phone number: a texted
    code would then sign a staff login in. Called before a code is texted, and again when linking."""
    if user_is_team_member(user=device_user):
        raise ApplicationError("phone_staff_login", _("A team member's login cannot be linked to a phone number. "
                                                      "Sign in with your email and password instead."), status=409)


def customer_phone_link(*, customer: Customer, device_user: User, owner: User | None, phone: str,
                        actor: CustomerActor) -> Customer:
    """After the code texted to `phone` (E.164) was confirmed on this device: the customer's chat is now
    reachable with that number (Customer.phone, and the login's proven phone).

    A number no login holds becomes this login's. A number another login holds is refused when that login
    has a customer record of its own in this brand (another chat), or when this login is more than a device
    (it has an address or a number already); otherwise the record and its device sessions move to the
    number's login, as with a proven address (customer_email_link). A team member's login is refused on
    either side (phone_link_check; a number a team login holds reads as taken). The customer's phone on file
    is filled only when blank: a number the brand already had (a rep's, an integrator's) stays."""
    authorize(actor, Perm.CHAT, customer, what="customer")
    if customer.user_id != device_user.pk:
        raise ApplicationError.not_found("customer")
    phone_link_check(device_user=device_user)
    if owner is not None and owner.pk != device_user.pk and user_is_team_member(user=owner):
        raise _phone_taken()
    with transaction.atomic():
        if owner is None or owner.pk == device_user.pk:
            if device_user.phone and device_user.phone != phone:
                raise ApplicationError("phone_linked", _("Your chat is already linked to another number."),
                                       status=409)
            try:
                with transaction.atomic():
                    user_phone_adopt(user=device_user, phone=phone)
            except IntegrityError:  # taken meanwhile
                raise _phone_taken()
        else:
            existing = customer_of_user_in_brand(brand_id=customer.brand_id, user=owner)
            if existing is not None and existing.pk != customer.pk:
                raise _phone_taken()
            if device_user.has_real_email or device_user.phone:
                raise _phone_taken()
            Customer.objects.filter(pk=customer.pk, user=device_user).update(user=owner)
            DeviceSession.objects.filter(customer=customer, user=device_user).update(user=owner)
            customer.refresh_from_db()
        if not customer.phone:
            customer = customer_changes_apply(customer=customer, consent_source="join_form", phone=phone)
    return customer
