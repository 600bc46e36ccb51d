from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from privtraffic.tenancy.models import BrandOwned, Membership, Store


class CustomerSource(models.TextChoices):
    INVITE_LINK = "invite_link", _("Invite link")
    REP = "rep", _("Rep link")
    STORE = "store", _("Store")
    API = "api", _("API")
    IMPORT = "import", _("Import")
    REFERRAL = "referral", _("Referral")


class Customer(BrandOwned):
    """A person the brand talks to. The CRM issue grows this into the full profile."""

    name = models.CharField(_("name"), max_length=150)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True, help_text=_("E.164, e.g. +8613800138000"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="customers")
    assigned_rep = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="assigned_customers")
    home_store = models.ForeignKey(Store, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    source = models.CharField(_("source"), max_length=20, choices=CustomerSource.choices, default=CustomerSource.API)
    source_ref = models.CharField(_("source detail"), max_length=120, blank=True,
                                  help_text=_("The invite token, referrer or file the customer came from."))
    consent_chat = models.BooleanField(_("chat from the brand"), default=False)
    consent_chat_at = models.DateTimeField(null=True, blank=True)
    consent_promotions = models.BooleanField(_("promotions"), default=False)
    consent_promotions_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Set when the person's data was erased; the row stays so history (orders, chats) keeps its shape.
    erased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["brand", "email"], condition=~Q(email=""), name="customer_unique_email"),
            models.UniqueConstraint(fields=["brand", "user"], condition=Q(user__isnull=False), name="customer_unique_user"),
        ]
        indexes = [
            models.Index(fields=["brand", "created_at"], name="customer_brand_created"),
            models.Index(fields=["brand", "assigned_rep"], name="customer_brand_rep"),
            models.Index(fields=["brand", "name"], name="customer_brand_name"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name.strip() else ""


class AuditLog(BrandOwned):
    """Who did what to a customer's personal data (exports, erasures, imports, transfers)."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+")
    actor_label = models.CharField(max_length=120, blank=True, help_text=_("e.g. the API key prefix"))
    action = models.CharField(max_length=40)
    customer = models.ForeignKey(Customer, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["brand", "created_at"], name="audit_brand_created")]

    def __str__(self) -> str:
        return f"{self.action} by {self.actor_label or self.actor_id}"


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Importing")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ImportJob(BrandOwned):
    """A CSV import of customers, run as a task with progress the dashboard can show."""

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    file = models.FileField(upload_to="imports/")
    original_name = models.CharField(max_length=200, blank=True)
    options = models.JSONField(default=dict, blank=True, help_text=_("column mapping, skip_invalid, ..."))
    status = models.CharField(max_length=10, choices=ImportStatus.choices, default=ImportStatus.PENDING)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True, help_text=_('[{"row": 17, "field": "email", "message": ...}]'))
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["brand", "created_at"], name="import_brand_created")]

    def __str__(self) -> str:
        return f"import {self.pk} ({self.status})"

    @property
    def progress_percent(self) -> int:
        return 100 if not self.total_rows else min(100, round(100 * self.processed_rows / self.total_rows))
