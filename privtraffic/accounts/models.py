from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# A customer who joined on a device without giving an email gets a login under this reserved domain
# (RFC 2606: .invalid never resolves, so nothing is ever mailed there). Their address, when they add one,
# replaces it once proven (communities.join, the "use your chat on another device" step).
DEVICE_EMAIL_DOMAIN = "device.invalid"


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in: brand staff (email + password) or a customer (emailed code).

    `is_staff` here means Django-admin access for platform operators, not brand
    staff; a person's role in a brand lives on tenancy.Membership.
    """

    email = models.EmailField(_("email address"), unique=True)
    name = models.CharField(_("name"), max_length=150, blank=True)
    # A mobile number (E.164) proven with a texted code: a customer's second way back to their chat on another
    # device (communities.join). Only proven numbers are stored, so it is unique like the email.
    phone = models.CharField(_("phone"), max_length=20, null=True, blank=True, unique=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.email

    @property
    def has_real_email(self) -> bool:
        """False for a device-only customer login (no address given yet)."""
        return not self.email.endswith("@" + DEVICE_EMAIL_DOMAIN)

    @property
    def display_name(self) -> str:
        if not self.has_real_email:
            return self.name or "—"
        return self.name or self.email.split("@", 1)[0]
