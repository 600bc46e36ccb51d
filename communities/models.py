from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import Customer
from privtraffic.tenancy.models import BrandOwned, Membership, Store

MAX_GROUP_CAPACITY = 500


class VipGroup(BrandOwned):
    """A brand's group chat of up to 500 customers. Full groups send joiners on to their overflow."""

    store = models.ForeignKey(Store, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # The rep who hosts the group: customers joining through its links get them as their rep.
    host_rep = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                 verbose_name=_("host rep"))
    name = models.CharField(_("name"), max_length=120)
    topic = models.CharField(_("topic"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    cover_image = models.FileField(_("cover image"), upload_to="group-covers/", blank=True)
    rules = models.TextField(_("rules"), blank=True)
    welcome_message = models.TextField(_("welcome message"), blank=True, max_length=2000)
    capacity = models.PositiveSmallIntegerField(
        _("capacity"), default=MAX_GROUP_CAPACITY,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_GROUP_CAPACITY)],
    )
    # Exact: changed only by conditional UPDATEs in communities.groups.services, never read-then-write.
    member_count = models.PositiveIntegerField(default=0, editable=False)
    overflow_group = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    series_root = models.ForeignKey("self", on_delete=models.CASCADE, null=True, blank=True, related_name="series")
    series_number = models.PositiveSmallIntegerField(default=1)
    announce_only = models.BooleanField(_("only staff post"), default=False)
    system_messages = models.BooleanField(_("post join and leave notices"), default=True)
    archived = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(capacity__gte=1, capacity__lte=MAX_GROUP_CAPACITY), name="group_capacity_range"),
            models.CheckConstraint(condition=Q(member_count__lte=F("capacity")), name="group_not_over_capacity"),
        ]
        indexes = [
            models.Index(fields=["brand", "archived", "name"], name="group_brand_archived_name"),
            models.Index(fields=["brand", "store"], name="group_brand_store"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_full(self) -> bool:
        return self.member_count >= self.capacity

    @property
    def fill_percent(self) -> int:
        return min(100, round(100 * self.member_count / self.capacity)) if self.capacity else 100


class MemberRole(models.TextChoices):
    MEMBER = "member", _("Member")
    MODERATOR = "moderator", _("Moderator")


class LeaveReason(models.TextChoices):
    LEFT = "left", _("Left")
    REMOVED = "removed", _("Removed")


class GroupMember(BrandOwned):
    """A customer's place in a group. One row per (group, customer); leaving keeps the row."""

    group = models.ForeignKey(VipGroup, on_delete=models.CASCADE, related_name="memberships")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="group_memberships")
    role = models.CharField(max_length=12, choices=MemberRole.choices, default=MemberRole.MEMBER)
    joined_at = models.DateTimeField(default=timezone.now)
    invite = models.ForeignKey("InviteLink", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    muted_until = models.DateTimeField(null=True, blank=True)
    left_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    leave_reason = models.CharField(max_length=12, choices=LeaveReason.choices, blank=True)

    class Meta:
        ordering = ["joined_at", "id"]
        constraints = [models.UniqueConstraint(fields=["group", "customer"], name="member_once_per_group")]
        indexes = [
            models.Index(fields=["brand", "customer"], name="member_brand_customer"),
            models.Index(fields=["brand", "group", "left_at"], name="member_brand_group_active"),
            # The overview's joins over time and top groups read a period of joins.
            models.Index(fields=["brand", "joined_at"], name="member_brand_joined"),
        ]

    def __str__(self) -> str:
        return f"{self.customer} in {self.group}"

    @property
    def is_active(self) -> bool:
        return self.left_at is None

    def is_muted(self, now=None) -> bool:
        return self.muted_until is not None and self.muted_until > (now or timezone.now())


class InviteKind(models.TextChoices):
    GROUP = "group", _("Group")
    REP = "rep", _("Rep")


class InviteLink(BrandOwned):
    """A shareable /join/<token>/ link (and QR code) to a group or to a rep."""

    token = models.CharField(max_length=32, unique=True)
    kind = models.CharField(max_length=8, choices=InviteKind.choices)
    group = models.ForeignKey(VipGroup, on_delete=models.CASCADE, null=True, blank=True, related_name="invites")
    rep = models.ForeignKey(Membership, on_delete=models.CASCADE, null=True, blank=True, related_name="invites")
    store = models.ForeignKey(Store, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    campaign_label = models.CharField(_("campaign"), max_length=120, blank=True)
    label = models.CharField(_("label"), max_length=120, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    max_uses = models.PositiveIntegerField(_("max uses"), null=True, blank=True)
    use_count = models.PositiveIntegerField(default=0, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="group", group__isnull=False, rep__isnull=True)
                           | Q(kind="rep", rep__isnull=False, group__isnull=True)),
                name="invite_target_matches_kind",
            ),
        ]
        indexes = [models.Index(fields=["brand", "created_at"], name="invite_brand_created")]

    def __str__(self) -> str:
        return f"{self.kind} invite {self.token[:6]}…"

    def unusable_reason(self, now=None) -> str | None:
        """Why this link cannot be used now (revoked, expired, used_up), or None."""
        now = now or timezone.now()
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        if self.max_uses is not None and self.use_count >= self.max_uses:
            return "used_up"
        return None


class DeviceSession(BrandOwned):
    """One browser a customer joined on (communities.join.devices): the long-lived, revocable credential
    behind "joined on this device, at once". The browser holds a signed cookie naming this row and a random
    secret; only the secret's SHA-256 is stored, so a database leak signs nobody in."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    secret_hash = models.CharField(max_length=64)
    user_agent = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["brand", "customer"], name="device_brand_customer")]

    def __str__(self) -> str:
        return f"device {self.pk} of customer {self.customer_id}"
class InviteOpen(BrandOwned):
    """How often an invite link's join page was opened on one day (UTC): the first step of the overview's
    invite funnel. One row per (invite, day), counted up by one conditional UPDATE; nothing about the visitor
    is kept."""

    invite = models.ForeignKey(InviteLink, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["invite", "day"], name="invite_open_once_per_day")]
        indexes = [models.Index(fields=["brand", "day"], name="invite_open_brand_day")]

    def __str__(self) -> str:
        return f"{self.invite_id} opened {self.count}x on {self.day}"
