from allauth.account.models import EmailAddress
from django.db import transaction

from .models import User


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
