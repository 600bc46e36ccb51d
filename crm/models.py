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
