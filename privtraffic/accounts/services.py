import secrets

from allauth.account.models import EmailAddress
from django.db import transaction

from .models import DEVICE_EMAIL_DOMAIN, User


def customer_user_get_or_create(*, email: str, name: str = "") -> User:
    """The login behind a customer's email. New people get no password: they sign in with emailed codes.

    The address starts unverified; confirming the emailed code verifies it.
    """
    email = email.strip().lower()
    with transaction.atomic():
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email=email, password=None, name=name.strip()[:150])
        EmailAddress.objects.get_or_create(user=user, email=email, defaults={"primary": True, "verified": False})
    return user


def device_user_create(*, name: str) -> User:
    """The login of a customer who joined on their device without an email (no password, no address to
    send a code to): a unique placeholder under the reserved DEVICE_EMAIL_DOMAIN, never mailed."""
    return User.objects.create_user(email=f"c-{secrets.token_hex(12)}@{DEVICE_EMAIL_DOMAIN}", password=None,
                                    name=name.strip()[:150])


def user_email_adopt(*, user: User, email: str) -> User:
    """Make a proven address the login of a device-only user (the code sent to it was confirmed)."""
    email = email.strip().lower()
    with transaction.atomic():
        user.email = email
        user.save(update_fields=["email"])
        EmailAddress.objects.filter(user=user).exclude(email__iexact=email).update(primary=False)
        EmailAddress.objects.update_or_create(user=user, email=email, defaults={"primary": True, "verified": True})
    return user


def user_phone_adopt(*, user: User, phone: str) -> User:
    """Give a login a mobile number (E.164) proven with a texted code. A number another login holds raises
    IntegrityError (the unique constraint decides, also under a race)."""
    User.objects.filter(pk=user.pk).update(phone=phone)
    user.phone = phone
    return user
