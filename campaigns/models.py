"""Campaigns: the brand's voice to many customers at once, each recipient a Delivery row.

A Campaign is what the marketer writes (content, audience, channel, schedule). Each time it goes out is a
CampaignRun (once for a one-off campaign, every occurrence for a recurring one); the run's audience is
materialised into Delivery rows, unique per (run, customer) or (run, group), that the fan-out sends by the
chunk. Schedules live here, in the database: the dispatcher (beat, or the ticker of `make run`) sends
what is due, so a restart loses nothing and sends nothing twice.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from chats.models import BrandPersona, Message
from communities.models import VipGroup
from crm.models import Customer, Order, Product, Segment
from privtraffic.tenancy.models import BrandOwned, Membership


class CampaignKind(models.TextChoices):
    PROMOTION = "promotion", _("Promotion")
    ANNOUNCEMENT = "announcement", _("Announcement")
    EVENT = "event", _("Event")
    GROUP_BUY = "group_buy", _("Group-buy")


class CampaignChannel(models.TextChoices):
    GROUP = "group", _("A post in each target group")
    DIRECT = "direct", _("1:1 from each customer's rep")
    PERSONA = "persona", _("1:1 from the brand persona")


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SCHEDULED = "scheduled", _("Scheduled")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    CANCELLED = "cancelled", _("Cancelled")
    FAILED = "failed", _("Failed")


class ConfirmMode(models.TextChoices):
    AUTO = "auto", _("Send under each rep's name now")
    REP_CONFIRMS = "rep_confirms", _("Each rep confirms")


class CardKind(models.TextChoices):
    NONE = "", _("No card")
    PRODUCT = "product", _("Product")
    COUPON = "coupon", _("Coupon")
    IMAGE = "image", _("Image")
    SURVEY = "survey", _("Survey")
    GROUP_BUY = "group_buy", _("Group-buy")
    EVENT = "event", _("Event")


class Campaign(BrandOwned):
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=12, choices=CampaignKind.choices, default=CampaignKind.PROMOTION)
    body = models.TextField(_("message"), max_length=4000)
    card_kind = models.CharField(_("card"), max_length=10, choices=CardKind.choices, blank=True, default="")
    card_payload = models.JSONField(default=dict, blank=True)
    # {"groups": [ids]} or {"segment": id} or {"all": true}
    audience = models.JSONField(default=dict)
    exclude_segment = models.ForeignKey(Segment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                        verbose_name=_("exclude segment"))
    channel = models.CharField(_("channel"), max_length=8, choices=CampaignChannel.choices,
                               default=CampaignChannel.DIRECT)
    confirm_mode = models.CharField(_("rep confirmation"), max_length=12, choices=ConfirmMode.choices,
                                    default=ConfirmMode.AUTO)
    confirm_hours = models.PositiveSmallIntegerField(_("hours reps have to confirm"), default=24)
    send_at = models.DateTimeField(_("send at"), null=True, blank=True)
    # {"days": [0..6 (Monday=0)], "time": "HH:MM"} or {"cron": "m h dom mon dow"}, read in the brand's time zone.
    recurrence = models.JSONField(null=True, blank=True)
    next_run_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=CampaignStatus.choices,
                              default=CampaignStatus.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["brand", "status", "next_run_at"], name="campaign_brand_status_next"),
            # The dispatcher's scan across brands: what is scheduled and due.
            models.Index(fields=["status", "next_run_at"], name="campaign_due",
                         condition=Q(status="scheduled")),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_recurring(self) -> bool:
        return bool(self.recurrence)

    @property
    def editable(self) -> bool:
        return self.status in (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED)


class RunStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")
    FAILED = "failed", _("Failed")


class CampaignRun(BrandOwned):
    """One occurrence of a campaign: its audience as Delivery rows, and its counters."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="runs")
    due_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.PENDING)
    total = models.PositiveIntegerField(default=0)
    chunks = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Moved by every chunk that commits: the dispatcher re-queues the chunks of a run that went quiet.
    progress_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-due_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["campaign", "due_at"], name="run_once_per_occurrence")]
        indexes = [models.Index(fields=["status", "progress_at"], name="run_status_progress")]

    def __str__(self) -> str:
        return f"{self.campaign_id} at {self.due_at:%Y-%m-%d %H:%M}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    SKIPPED = "skipped", _("Skipped")
    FAILED = "failed", _("Failed")


class SkipReason(models.TextChoices):
    NO_CONSENT = "no_consent", _("No consent")
    OPTED_OUT = "opted_out", _("Opted out")
    QUIET_HOURS = "quiet_hours", _("Deferred by quiet hours")
    BUDGET = "budget", _("Over the weekly budget")
    ERASED = "erased", _("Erased")
    EXCLUDED = "excluded", _("In the exclusion segment")
    NOT_CONFIRMED = "not_confirmed", _("The rep did not confirm in time")
    GROUP_CLOSED = "group_closed", _("The group is archived")
    CANCELLED = "cancelled", _("Campaign cancelled")


class RepTaskStatus(models.TextChoices):
    OPEN = "open", _("To send")
    SENT = "sent", _("Sent")
    EXPIRED = "expired", _("Expired")
    CANCELLED = "cancelled", _("Cancelled")


class RepTask(BrandOwned):
    """A rep-confirmed send: this rep's recipients of one run, sent with one click before the deadline."""

    run = models.ForeignKey(CampaignRun, on_delete=models.CASCADE, related_name="rep_tasks")
    rep = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    greeting = models.CharField(_("greeting"), max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=RepTaskStatus.choices, default=RepTaskStatus.OPEN)
    deadline = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["deadline", "id"]
        constraints = [models.UniqueConstraint(fields=["run", "rep"], name="reptask_once_per_rep")]
        indexes = [models.Index(fields=["brand", "rep", "status"], name="reptask_brand_rep_status"),
                   models.Index(fields=["status", "deadline"], name="reptask_status_deadline")]

    def __str__(self) -> str:
        return f"task of {self.rep_id} for run {self.run_id}"


class Delivery(BrandOwned):
    """One recipient of one run: a customer (1:1 channels) or a group (group posts)."""

    run = models.ForeignKey(CampaignRun, on_delete=models.CASCADE, related_name="deliveries")
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="deliveries")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    group = models.ForeignKey(VipGroup, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    chunk = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=8, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    reason = models.CharField(max_length=16, choices=SkipReason.choices, blank=True)
    # Deferred (quiet hours): not sent before this time.
    not_before = models.DateTimeField(null=True, blank=True)
    rep = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    task = models.ForeignKey(RepTask, on_delete=models.SET_NULL, null=True, blank=True, related_name="deliveries")
    message = models.ForeignKey(Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    persona = models.ForeignKey(BrandPersona, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    sent_at = models.DateTimeField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)
    clicks = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "customer"], condition=Q(customer__isnull=False),
                                    name="delivery_once_per_customer"),
            models.UniqueConstraint(fields=["run", "group"], condition=Q(group__isnull=False),
                                    name="delivery_once_per_group"),
            models.CheckConstraint(condition=Q(customer__isnull=False) | Q(group__isnull=False),
                                   name="delivery_has_recipient"),
        ]
        indexes = [
            models.Index(fields=["run", "chunk", "status"], name="delivery_run_chunk_status"),
            models.Index(fields=["brand", "campaign", "status"], name="delivery_brand_campaign_status"),
            models.Index(fields=["brand", "customer", "sent_at"], name="delivery_brand_customer_sent"),
        ]

    def __str__(self) -> str:
        return f"delivery {self.pk} of run {self.run_id}"


class CampaignSettings(BrandOwned):
    """Per-brand campaign settings (defaults when the brand never changed them)."""

    attribution_days = models.PositiveSmallIntegerField(
        _("attribution window (days)"), default=5,
        help_text=_("An order counts for the last campaign the customer received within this many days."))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["brand"], name="campaign_settings_one_per_brand")]

    def __str__(self) -> str:
        return f"campaign settings of {self.brand_id}"


# --- coupons (campaigns.coupons) -----------------------------------------------------------------------


class CouponKind(models.TextChoices):
    PERCENT = "percent", _("Percent off")
    AMOUNT = "amount", _("Amount off")


class Coupon(BrandOwned):
    """A discount the brand offers: one shared `code`, or a unique code per customer (`personal_codes`),
    generated when the customer claims it or when a campaign or group-buy issues it in bulk."""

    title = models.CharField(_("title"), max_length=120)
    code = models.CharField(_("shared code"), max_length=40, blank=True)  # blank with personal codes
    personal_codes = models.BooleanField(_("a unique code per customer"), default=False)
    kind = models.CharField(_("kind"), max_length=8, choices=CouponKind.choices, default=CouponKind.AMOUNT)
    value = models.DecimalField(_("value"), max_digits=10, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, blank=True)  # for amount coupons
    min_order = models.DecimalField(_("minimum order"), max_digits=12, decimal_places=2, null=True, blank=True)
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    max_redemptions = models.PositiveIntegerField(_("total redemptions"), null=True, blank=True)  # None: no limit
    per_customer_limit = models.PositiveIntegerField(_("redemptions per customer"), default=1)
    # Counters taken by one conditional UPDATE each (exact under concurrency, never read-then-write).
    redemptions_count = models.PositiveIntegerField(default=0)
    claims_count = models.PositiveIntegerField(default=0)
    campaign = models.ForeignKey(Campaign, on_delete=models.SET_NULL, null=True, blank=True, related_name="coupons",
                                 verbose_name=_("campaign"))
    product = models.ForeignKey(Product, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                verbose_name=_("product"))
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["brand", "code"], name="coupon_unique_shared_code", condition=~Q(code="")),
            models.CheckConstraint(condition=Q(personal_codes=True, code="") | Q(personal_codes=False) & ~Q(code=""),
                                   name="coupon_shared_xor_personal"),
            models.CheckConstraint(condition=Q(max_redemptions__isnull=True) | Q(redemptions_count__lte=models.F(
                "max_redemptions")), name="coupon_redemptions_within_limit"),
        ]
        indexes = [models.Index(fields=["brand", "created_at"], name="coupon_brand_created")]

    def __str__(self) -> str:
        return self.title


class CouponClaim(BrandOwned):
    """A customer holds a coupon: claimed from a chat card, or issued by a campaign or a group-buy.
    `code` is the coupon's shared code, or the customer's own (unique in the brand) with personal codes."""

    coupon = models.ForeignKey(Coupon, on_delete=models.CASCADE, related_name="claims")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="coupon_claims")
    code = models.CharField(max_length=40)
    personal = models.BooleanField(default=False)
    claimed_at = models.DateTimeField(auto_now_add=True)
    redemptions_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-claimed_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["coupon", "customer"], name="claim_once_per_customer"),
            models.UniqueConstraint(fields=["brand", "code"], name="claim_unique_personal_code",
                                    condition=Q(personal=True)),
        ]
        indexes = [models.Index(fields=["brand", "customer"], name="claim_brand_customer")]

    def __str__(self) -> str:
        return self.code


class CouponRedemption(BrandOwned):
    """One use of a coupon at the shop or till (`coupons/redeem/`), optionally against an order."""

    coupon = models.ForeignKey(Coupon, on_delete=models.CASCADE, related_name="redemptions")
    claim = models.ForeignKey(CouponClaim, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="coupon_redemptions")
    order = models.ForeignKey(Order, on_delete=models.SET_NULL, null=True, blank=True, related_name="coupon_redemptions")
    code = models.CharField(max_length=40)
    redeemed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-redeemed_at", "-id"]
        indexes = [
            models.Index(fields=["brand", "coupon", "customer"], name="redemption_coupon_customer"),
            models.Index(fields=["brand", "customer", "redeemed_at"], name="redemption_brand_customer"),
        ]

    def __str__(self) -> str:
        return self.code


from .events.models import *  # noqa: E402,F401,F403
from .groupbuys.models import *  # noqa: E402,F401,F403
from .orders.models import *  # noqa: E402,F401,F403
from .webhooks.models import *  # noqa: E402,F401,F403
