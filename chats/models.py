from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from communities.models import VipGroup
from crm.models import Customer
from privtraffic.tenancy.models import BrandOwned

MAX_BODY_LENGTH = 4000


class ConversationKind(models.TextChoices):
    GROUP = "group", _("Group")
    DIRECT = "direct", _("Direct")


class ConversationStatus(models.TextChoices):
    OPEN = "open", _("Open")
    SNOOZED = "snoozed", _("Snoozed")
    RESOLVED = "resolved", _("Resolved")


class Conversation(BrandOwned):
    """A group's chat, or a customer's 1:1 chat with the brand (handled by their assigned rep)."""

    kind = models.CharField(max_length=8, choices=ConversationKind.choices)
    group = models.OneToOneField(VipGroup, on_delete=models.CASCADE, null=True, blank=True, related_name="conversation")
    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, null=True, blank=True,
                                    related_name="direct_conversation")
    last_seq = models.PositiveIntegerField(default=0)
    last_message_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # The team's own workflow (never shown to customers): open, resolved, or snoozed until a time, after which it
    # counts as open again. A customer's new message reopens it.
    status = models.CharField(max_length=10, choices=ConversationStatus.choices, default=ConversationStatus.OPEN)
    snoozed_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="group", group__isnull=False, customer__isnull=True)
                           | Q(kind="direct", customer__isnull=False, group__isnull=True)),
                name="conversation_kind_matches_target",
            ),
        ]
        indexes = [models.Index(fields=["brand", "last_message_at"], name="conv_brand_last_message"),
                   models.Index(fields=["brand", "status", "last_message_at"], name="conv_brand_status")]

    def __str__(self) -> str:
        return f"{self.kind} conversation {self.pk}"

    @property
    def title(self) -> str:
        return self.group.name if self.group_id else self.customer.name


class SenderType(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    REP = "rep", _("Rep")
    STAFF = "staff", _("Staff")
    BOT = "bot", _("Bot")
    SYSTEM = "system", _("System")


class MessageKind(models.TextChoices):
    TEXT = "text", _("Text")
    IMAGE = "image", _("Image")
    FILE = "file", _("File")
    PRODUCT = "product", _("Product")
    COUPON = "coupon", _("Coupon")
    ORDER = "order", _("Order")
    SURVEY = "survey", _("Survey")
    GROUP_BUY = "group_buy", _("Group-buy")
    EVENT = "event", _("Event")
    SYSTEM = "system", _("System")


class BrandPersona(BrandOwned):
    """A named brand account (a virtual shopping assistant) that campaigns, automations and any rep speak as.

    Customers see its name and avatar; staff see who really sent each persona message (`Message.sender_user`,
    or the campaign for automated sends). One per brand.
    """

    name = models.CharField(_("name"), max_length=60)
    bio = models.CharField(_("short bio"), max_length=200, blank=True)
    avatar = models.FileField(_("avatar"), upload_to="persona-avatars/", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["brand"], name="persona_one_per_brand")]

    def __str__(self) -> str:
        return self.name


class Message(BrandOwned):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    seq = models.PositiveIntegerField()
    sender_type = models.CharField(max_length=10, choices=SenderType.choices)
    sender_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    sender_customer = models.ForeignKey(Customer, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    sender_name = models.CharField(max_length=150)
    # "customer:<id>", "user:<id>" or the bot/system name: the scope of client_msg_id.
    sender_key = models.CharField(max_length=64)
    kind = models.CharField(max_length=10, choices=MessageKind.choices, default=MessageKind.TEXT)
    body = models.TextField(max_length=MAX_BODY_LENGTH, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    client_msg_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    # Set when an automatic group rule hid the message (the rule's name); moderators still see it.
    hidden_reason = models.CharField(max_length=32, blank=True)
    # Spoken as the brand persona: customers see the persona; staff see sender_user (or the campaign) too.
    persona = models.ForeignKey(BrandPersona, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["conversation", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["conversation", "seq"], name="message_seq_unique"),
            models.UniqueConstraint(fields=["conversation", "sender_key", "client_msg_id"],
                                    condition=~Q(client_msg_id=""), name="message_client_id_unique"),
        ]
        indexes = [models.Index(fields=["brand", "created_at"], name="message_brand_created")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.sender_name}: {self.body[:40]}"


class ReadState(BrandOwned):
    """How far one participant has read a conversation; unread = last_seq - last_read_seq."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="read_states")
    # Same form as Message.sender_key: "customer:<id>" or "user:<id>".
    participant_key = models.CharField(max_length=64)
    last_read_seq = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["conversation", "participant_key"], name="readstate_once_per_participant"),
        ]
        indexes = [models.Index(fields=["brand", "participant_key"], name="readstate_brand_participant")]

    def __str__(self) -> str:
        return f"{self.participant_key} read {self.conversation_id} to {self.last_read_seq}"


class ModerationAction(models.TextChoices):
    HIDE = "hide", _("Hide and warn")
    MUTE = "mute", _("Hide and mute")
    REMOVE = "remove", _("Hide and remove from group")


class GroupRule(BrandOwned):
    """A group's automatic moderation: what non-staff may not post, and what happens when they do."""

    group = models.OneToOneField(VipGroup, on_delete=models.CASCADE, related_name="chat_rule")
    blocked_words = models.TextField(_("blocked words"), blank=True, help_text=_("One word or phrase per line."))
    block_links = models.BooleanField(_("block links from members"), default=False)
    block_images = models.BooleanField(_("block images from members"), default=False)
    flood_limit = models.PositiveSmallIntegerField(
        _("max messages per member per minute"), default=0, help_text=_("0 turns flood control off."))
    action = models.CharField(_("then"), max_length=8, choices=ModerationAction.choices, default=ModerationAction.HIDE)
    mute_minutes = models.PositiveIntegerField(_("mute for (minutes)"), default=60)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"rules of {self.group}"

    @property
    def words(self) -> list[str]:
        return [w.strip().lower() for w in self.blocked_words.splitlines() if w.strip()]


class ModerationLog(BrandOwned):
    """Every automatic or manual moderation action, for the moderators' record."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="moderation_log")
    message = models.ForeignKey(Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    rule = models.CharField(max_length=32)
    action = models.CharField(max_length=16)
    detail = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["brand", "created_at"], name="modlog_brand_created")]

    def __str__(self) -> str:
        return f"{self.rule} -> {self.action}"


class MessageReport(BrandOwned):
    """A customer flagged a message for the moderators."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["message", "reporter"], name="report_once_per_reporter")]
        indexes = [models.Index(fields=["brand", "resolved_at", "created_at"], name="report_brand_open")]

    def __str__(self) -> str:
        return f"report on {self.message_id}"


class QuickReply(BrandOwned):
    """A brand's canned response; {first_name}, {rep_name} and {store_name} are filled in when sent."""

    title = models.CharField(_("title"), max_length=80)
    body = models.TextField(_("text"), max_length=MAX_BODY_LENGTH)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title", "id"]
        constraints = [models.UniqueConstraint(fields=["brand", "title"], name="quickreply_unique_title")]

    def __str__(self) -> str:
        return self.title


class ChatToken(BrandOwned):
    """A socket credential an integrator's app gets for one customer (`POST customers/{id}/chat-token/`).

    Only the SHA-256 of the token is stored: the token itself is random and carries nothing readable.
    It ends at `expires_at`, or at once when revoked (an explicit revoke, or the customer's erasure).
    """

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["brand", "customer", "revoked_at"], name="chattoken_brand_customer")]

    def __str__(self) -> str:
        return f"chat token of customer {self.customer_id}"


class ConversationNote(BrandOwned):
    """A private note of the team inside a conversation. Never a Message: customers never see it, in no frame,
    sync, page or API. `after_seq` places it after the message it was written beside."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="+")
    author_name = models.CharField(max_length=150)
    body = models.TextField(max_length=MAX_BODY_LENGTH)
    after_seq = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["conversation", "created_at", "id"]
        indexes = [models.Index(fields=["brand", "conversation", "created_at"], name="convnote_brand_conv")]

    def __str__(self) -> str:
        return f"note on {self.conversation_id}"


class Attachment(BrandOwned):
    """An image or file sent in a conversation, kept through Django's storage API (local files by default,
    object storage when configured). Served by `chats:attachment` to those who may see the conversation only."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="chat-files/%Y/%m/")
    thumbnail = models.FileField(upload_to="chat-thumbs/%Y/%m/", blank=True)
    name = models.CharField(max_length=100)
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    # Who uploaded it, in Message.sender_key form.
    uploaded_by = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["brand", "conversation", "created_at"], name="attachment_brand_conv")]

    def __str__(self) -> str:
        return self.name
# --- The overview's daily rollups (chats.analytics): filled once per finished day, read instead of the messages ---


class StatDay(BrandOwned):
    """A finished day (in the brand's time zone) whose rollups below are written."""

    day = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["brand", "day"], name="statday_once_per_day")]


class MessageDayStat(BrandOwned):
    """Messages of customers and of staff on one day, per store (0: no store)."""

    day = models.DateField()
    store_key = models.PositiveBigIntegerField(default=0)
    customer_count = models.PositiveIntegerField(default=0)
    staff_count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["brand", "day", "store_key"], name="msgdaystat_unique")]


class ResponseDayStat(BrandOwned):
    """Answered waits in 1:1 chats (see chats.analytics) on one day, per store (0: no store) and responding staff
    user: how many, and how long they took as a histogram {bucket index: count} (chats.analytics.rollup.BUCKETS),
    so a period's median is read from a few rows per day, whatever the number of messages."""

    day = models.DateField()
    store_key = models.PositiveBigIntegerField(default=0)
    responder_id = models.BigIntegerField(null=True)
    count = models.PositiveIntegerField(default=0)
    histogram = models.JSONField(default=dict)

    class Meta:
        indexes = [models.Index(fields=["brand", "day"], name="responsedaystat_brand_day")]
