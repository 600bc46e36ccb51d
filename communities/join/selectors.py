"""Reads of the join flow: a device session named by a browser's cookie, a signed-in person's customer record."""

import hashlib
import hmac

from crm.models import Customer
from privtraffic.accounts.models import User
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.models import Membership
from privtraffic.tenancy.parsing import parse_int

from ..models import DeviceSession


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def device_session_for_cookie(*, value: str) -> DeviceSession | None:
    """The live device session a cookie value ("<id>.<secret>", already signature-checked) names, or None:
    unknown id, wrong secret (compared in constant time), revoked, erased customer or inactive login."""
    device_id, _dot, secret = value.partition(".")
    try:
        pk = parse_int(device_id, "device", minimum=1)
    except ApplicationError:  # a malformed id names no device
        return None
    device = (DeviceSession.objects.filter(pk=pk, revoked_at__isnull=True, customer__erased_at__isnull=True,
                                           user__is_active=True)
              .select_related("user", "customer").first())
    if device is None or not secret or not hmac.compare_digest(device.secret_hash, secret_hash(secret)):
        return None
    return device


def device_session_live(*, device_id, user_id: int) -> bool:
    """Whether the device session a signed-in browser was restored from still stands (one indexed query)."""
    return DeviceSession.objects.filter(pk=device_id, user_id=user_id, revoked_at__isnull=True,
                                        customer__erased_at__isnull=True).exists()


def customer_of_user(*, user: User, customer_id) -> Customer | None:
    """The signed-in person's own customer record by id (None: not theirs, erased, or no such id)."""
    try:
        pk = parse_int(customer_id, "customer", minimum=1)
    except ApplicationError:
        return None
    if not user.is_authenticated:
        return None
    return Customer.objects.filter(pk=pk, user=user, erased_at__isnull=True).select_related("brand").first()


def user_by_email(*, email: str) -> User | None:
    return User.objects.filter(email__iexact=email.strip()).first()


def customer_of_user_in_brand(*, brand_id: int, user: User) -> Customer | None:
    return Customer.objects.filter(brand_id=brand_id, user=user).first()


def user_by_phone(*, phone: str) -> User | None:
    """The active login holding this proven number (E.164), if any."""
    return User.objects.filter(phone=phone, is_active=True).first()


def user_is_team_member(*, user: User) -> bool:
    """Whether this login is staff: Django staff, or an active member of any brand's team. Such a login is
    never linked to a phone number nor signed in by a texted code (a code is weaker than its password)."""
    return bool(user.is_staff or user.is_superuser
                or Membership.objects.filter(user=user, is_active=True).exists())


def customer_login_by_phone(*, phone: str) -> User | None:
    """The login "continue with your phone" may text a code to and sign in: the active login holding this
    proven number, unless it is a team member's (then None, as for a number linked to nothing)."""
    user = user_by_phone(phone=phone)
    if user is None or user_is_team_member(user=user):
        return None
    return user
