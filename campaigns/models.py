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
from crm.models import Customer, Segment
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
