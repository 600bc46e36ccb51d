"""Group-buys: a product whose price drops as more customers join before a deadline.

A GroupBuy holds its price tiers (ascending participant thresholds, each with its price), a participant
counter taken by one conditional UPDATE per join (exact under concurrency: each join gets its own count, so
the join whose count equals a tier's threshold is the one that unlocks it, exactly once), and its status,
settled once by the dispatcher at the deadline. Participants are unique per group-buy and carry an
unguessable referral code (/g/<code>/); a participant who arrived by another's link names them in
`referred_by`. GroupBuyPost remembers the conversations the card was posted to, so a join refreshes the
card live there and a tier unlock is announced in its groups.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from chats.models import Conversation
from crm.models import Customer, Product
from privtraffic.tenancy.models import BrandOwned

from ..models import Coupon

__all__ = ["GroupBuy", "GroupBuyParticipant", "GroupBuyPost", "GroupBuyStatus"]


class GroupBuyStatus(models.TextChoices):
    OPEN = "open", _("Open")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Not reached")


class GroupBuy(BrandOwned):
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+", verbose_name=_("product"))
    title = models.CharField(_("title"), max_length=120)
    # [{"min": 2, "price": "179.00"}, {"min": 5, "price": "159.00"}]: thresholds and prices both ascending /
    # descending strictly, checked by the services (groupbuys.tiers.tiers_clean).
    tiers = models.JSONField(_("price tiers"), default=list)
    currency = models.CharField(_("currency"), max_length=3)
    deadline = models.DateTimeField(_("deadline"))
    participant_count = models.PositiveIntegerField(default=0)
    status = models.CharField(_("status"), max_length=10, choices=GroupBuyStatus.choices, default=GroupBuyStatus.OPEN)
    settled_at = models.DateTimeField(null=True, blank=True)
    # The tier reached at settlement (its index + 1; 0: none) and the coupon its participants were issued.
    settled_tier = models.PositiveSmallIntegerField(default=0)
    coupon = models.ForeignKey(Coupon, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["brand", "status", "deadline"], name="groupbuy_brand_status"),
            # The dispatcher's scan across brands: open group-buys by deadline.
            models.Index(fields=["deadline"], name="groupbuy_due", condition=Q(status="open")),
        ]

    def __str__(self) -> str:
        return self.title


class GroupBuyParticipant(BrandOwned):
    group_buy = models.ForeignKey(GroupBuy, on_delete=models.CASCADE, related_name="participants")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="group_buy_participations")
    referral_code = models.CharField(max_length=24, unique=True)
    referred_by = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="referrals")
    new_customer = models.BooleanField(default=False)  # became a customer of the brand through the referral link
    joined_at = models.DateTimeField(auto_now_add=True)
    issued_code = models.CharField(max_length=40, blank=True)  # the coupon code given at settlement

    class Meta:
        ordering = ["joined_at", "id"]
        constraints = [models.UniqueConstraint(fields=["group_buy", "customer"], name="groupbuy_participant_once")]
        indexes = [
            models.Index(fields=["brand", "group_buy", "joined_at"], name="groupbuy_part_joined"),
            models.Index(fields=["brand", "customer"], name="groupbuy_part_customer"),
            models.Index(fields=["group_buy", "referred_by"], name="groupbuy_part_referrer"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} in {self.group_buy_id}"


class GroupBuyPost(BrandOwned):
    """The card of a group-buy was posted in this conversation (a group, or someone's 1:1 chat)."""

    group_buy = models.ForeignKey(GroupBuy, on_delete=models.CASCADE, related_name="posts")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group_buy", "conversation"], name="groupbuy_post_once")]
        indexes = [models.Index(fields=["brand", "group_buy"], name="groupbuy_post_brand")]

    def __str__(self) -> str:
        return f"{self.group_buy_id} in {self.conversation_id}"
