import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from .roles import STORE_ROLES, Role

slug_validator = RegexValidator(
    r"^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?$",
    _("Use 1-50 lowercase letters, digits and hyphens, not starting or ending with a hyphen."),
)
currency_validator = RegexValidator(r"^[A-Z]{3}$", _("Use a three-letter ISO 4217 code such as CNY."))
brand_color_validator = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Use a colour such as #0b7a5a."))


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(value)s is not a known time zone."), params={"value": value})


class Brand(models.Model):
    """The tenant. Every tenant-owned row points here."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=50, unique=True, validators=[slug_validator])
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai", validators=[validate_time_zone])
    default_currency = models.CharField(_("currency"), max_length=3, default="CNY", validators=[currency_validator])
    logo = models.FileField(_("logo"), upload_to="brand-logos/", blank=True)
    # The accent of every customer-facing page (buttons, links); a #rrggbb hex, so it is safe inside CSS.
    color = models.CharField(_("brand colour"), max_length=7, default="#0b7a5a", validators=[brand_color_validator])
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


class BrandOwned(models.Model):
    """Base for tenant-owned rows: a non-null brand, and indexes that start with it."""

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="+")

    class Meta:
        abstract = True


class Store(BrandOwned):
    name = models.CharField(_("name"), max_length=120)
    address = models.CharField(_("address"), max_length=255, blank=True)
    city = models.CharField(_("city"), max_length=80, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["brand", "name"], name="store_unique_name_per_brand")]

    def __str__(self) -> str:
        return self.name


class Membership(BrandOwned):
    """A person's role in one brand; store roles carry their store."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    store = models.ForeignKey(Store, on_delete=models.PROTECT, null=True, blank=True, related_name="memberships")
    is_active = models.BooleanField(default=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    deactivated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["user__email"]
        constraints = [
            models.UniqueConstraint(fields=["brand", "user"], name="membership_one_per_brand"),
            models.CheckConstraint(
                condition=~models.Q(role__in=sorted(STORE_ROLES)) | models.Q(store__isnull=False),
                name="membership_store_role_has_store",
            ),
        ]
        indexes = [models.Index(fields=["brand", "role", "store"], name="membership_brand_role_store")]

    def __str__(self) -> str:
        return f"{self.user} ({self.role} at {self.brand_id})"


class ApiKey(BrandOwned):
    """An integrator's key. Only the SHA-256 of the key is stored; the prefix is shown to tell keys apart."""

    name = models.CharField(_("name"), max_length=80)
    prefix = models.CharField(max_length=12, unique=True)
    hashed_key = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["brand", "created_at"], name="apikey_brand_created")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class IdempotencyRecord(BrandOwned):
    """The first response to a POST carrying an Idempotency-Key, replayed for repeats."""

    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["brand", "key"], name="idempotency_unique_key_per_brand")]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created")]

    def __str__(self) -> str:
        return f"{self.key} ({self.response_status or 'in progress'})"
