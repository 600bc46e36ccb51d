import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from privtraffic.tenancy.models import BrandOwned, Membership, Store


class CustomerSource(models.TextChoices):
    INVITE_LINK = "invite_link", _("Invite link")
    REP = "rep", _("Rep link")
    STORE = "store", _("Store")
    API = "api", _("API")
    IMPORT = "import", _("Import")
    REFERRAL = "referral", _("Referral")


class LifecycleStage(models.TextChoices):
    NEW = "new", _("New")
    ACTIVE = "active", _("Active")
    LOYAL = "loyal", _("Loyal")
    LAPSED = "lapsed", _("Lapsed")


class Customer(BrandOwned):
    """A person the brand talks to. The CRM issue grows this into the full profile."""

    name = models.CharField(_("name"), max_length=150)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True, help_text=_("E.164, e.g. +8613800138000"))
    # The integrator's own id for this person (unique per brand when set): bulk upserts match on it first.
    external_id = models.CharField(_("external id"), max_length=120, blank=True)
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
    lifecycle_stage = models.CharField(_("lifecycle stage"), max_length=12, choices=LifecycleStage.choices,
                                       default=LifecycleStage.NEW)
    last_active_at = models.DateTimeField(_("last active"), null=True, blank=True)
    # Order figures, kept current by crm.orders from the customer's orders (cancelled and refunded ones
    # do not count; lifetime value sums the orders in the brand's currency).
    order_count = models.PositiveIntegerField(_("orders"), default=0)
    lifetime_value = models.DecimalField(_("lifetime value"), max_digits=14, decimal_places=2, default=0)
    last_order_at = models.DateTimeField(_("last order"), null=True, blank=True)
    # Brand-defined attributes by key, validated against AttributeDefinition (crm.profile.services).
    attributes = models.JSONField(default=dict, blank=True)
    tags = models.ManyToManyField("Tag", through="CustomerTag", related_name="customers", blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["brand", "email"], condition=~Q(email=""), name="customer_unique_email"),
            models.UniqueConstraint(fields=["brand", "user"], condition=Q(user__isnull=False), name="customer_unique_user"),
            models.UniqueConstraint(fields=["brand", "external_id"], condition=~Q(external_id=""),
                                    name="customer_unique_external_id"),
        ]
        indexes = [
            models.Index(fields=["brand", "created_at"], name="customer_brand_created"),
            models.Index(fields=["brand", "assigned_rep"], name="customer_brand_rep"),
            models.Index(fields=["brand", "name"], name="customer_brand_name"),
            models.Index(fields=["brand", "last_active_at"], name="customer_brand_active"),
            models.Index(fields=["brand", "lifetime_value"], name="customer_brand_ltv"),
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


class Tag(BrandOwned):
    name = models.CharField(_("name"), max_length=50)
    colour = models.CharField(_("colour"), max_length=7, default="#0b7a5a", help_text=_("#rrggbb"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["brand", "name"], name="tag_unique_name")]

    def __str__(self) -> str:
        return self.name


class CustomerTag(BrandOwned):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["customer", "tag"], name="customertag_once")]
        indexes = [models.Index(fields=["brand", "tag", "customer"], name="customertag_brand_tag")]

    def __str__(self) -> str:
        return f"{self.customer_id}:{self.tag_id}"


class AttributeType(models.TextChoices):
    TEXT = "text", _("Text")
    NUMBER = "number", _("Number")
    DATE = "date", _("Date")
    CHOICE = "choice", _("Choice")


class AttributeDefinition(BrandOwned):
    """A brand-defined customer attribute such as skin_type (choice) or birthday (date)."""

    key = models.SlugField(_("key"), max_length=40)
    label = models.CharField(_("label"), max_length=80)
    type = models.CharField(_("type"), max_length=8, choices=AttributeType.choices)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["label", "id"]
        constraints = [models.UniqueConstraint(fields=["brand", "key"], name="attribute_unique_key")]

    def __str__(self) -> str:
        return self.label


class CustomerNote(BrandOwned):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="+")
    body = models.TextField(_("note"), max_length=4000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["brand", "customer", "created_at"], name="note_brand_customer")]

    def __str__(self) -> str:
        return self.body[:40]


class Segment(BrandOwned):
    """A saved filter over customers; `definition` is compiled by crm.segments."""

    name = models.CharField(_("name"), max_length=80)
    definition = models.JSONField(default=dict)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["brand", "name"], name="segment_unique_name")]

    def __str__(self) -> str:
        return self.name


class ConsentChannel(models.TextChoices):
    CHAT = "chat", _("Chat from the brand")
    PROMOTIONS = "promotions", _("Promotions")


class ConsentChange(BrandOwned):
    """Every grant or withdrawal of a consent, with where it came from (the record regulators ask for)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="consent_changes")
    channel = models.CharField(max_length=12, choices=ConsentChannel.choices)
    granted = models.BooleanField()
    # join_form, api, import, dashboard, stop_command, opt_out_link, ...
    source = models.CharField(max_length=24)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["brand", "customer", "created_at"], name="consent_brand_customer")]

    def __str__(self) -> str:
        return f"{self.channel} {'granted' if self.granted else 'withdrawn'} ({self.source})"


class ContactPolicy(BrandOwned):
    """A brand's quiet hours and weekly promotion budget; brands without a row use the defaults."""

    quiet_hours_start = models.TimeField(_("quiet hours start"), default=datetime.time(22, 0))
    quiet_hours_end = models.TimeField(_("quiet hours end"), default=datetime.time(8, 0))
    weekly_promotion_budget = models.PositiveSmallIntegerField(
        _("promotional messages per customer per week"), default=3,
        help_text=_("Shared by broadcasts, reps' promotional messages and persona messages."))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["brand"], name="contact_policy_one_per_brand")]

    def __str__(self) -> str:
        return f"contact policy of brand {self.brand_id}"


class ContactLane(models.TextChoices):
    BROADCAST = "broadcast", _("Brand broadcast")
    REP = "rep", _("Rep's promotional message")
    PERSONA = "persona", _("Persona message")


class PromotionContact(BrandOwned):
    """One promotional message that reached a customer: what the weekly budget counts."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    lane = models.CharField(max_length=10, choices=ContactLane.choices)
    ref = models.CharField(max_length=64, blank=True, help_text=_("e.g. message:123 or campaign:4"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["brand", "customer", "created_at"], name="promo_brand_customer")]

    def __str__(self) -> str:
        return f"{self.lane} to {self.customer_id}"


# --- the product catalogue (crm.products) ------------------------------------------------------------


class Product(BrandOwned):
    """A product of the brand's catalogue, synced by integrators (upsert by `sku`) or edited in the dashboard.
    Reps and campaigns send it as a card; orders name it by sku."""

    sku = models.CharField(_("SKU"), max_length=64)
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), max_length=2000, blank=True)
    price = models.DecimalField(_("price"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    image_url = models.URLField(_("image URL"), max_length=500, blank=True)
    url = models.URLField(_("product page"), max_length=500, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["brand", "sku"], name="product_unique_sku")]
        indexes = [models.Index(fields=["brand", "active", "name"], name="product_brand_active_name")]

    def __str__(self) -> str:
        return f"{self.name} ({self.sku})"


class OrderStatus(models.TextChoices):
    PLACED = "placed", _("Placed")
    PAID = "paid", _("Paid")
    SHIPPED = "shipped", _("Shipped")
    DELIVERED = "delivered", _("Delivered")
    CANCELLED = "cancelled", _("Cancelled")
    REFUNDED = "refunded", _("Refunded")


class Order(BrandOwned):
    """An order synced from the brand's shop; `external_id` is the shop's id."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="orders")
    external_id = models.CharField(_("external id"), max_length=64)
    currency = models.CharField(_("currency"), max_length=3)
    total = models.DecimalField(_("total"), max_digits=12, decimal_places=2)
    items = models.JSONField(default=list, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=OrderStatus.choices, default=OrderStatus.PLACED)
    tracking_number = models.CharField(_("tracking number"), max_length=64, blank=True)
    carrier = models.CharField(_("carrier"), max_length=64, blank=True)
    # Attribution, set when the order is created: the customer's rep and home store at that moment.
    rep = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                            verbose_name=_("rep"))
    store = models.ForeignKey(Store, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                              verbose_name=_("store"))
    placed_at = models.DateTimeField(_("placed at"), default=timezone.now)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-placed_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["brand", "external_id"], name="order_unique_external_id")]
        indexes = [
            models.Index(fields=["brand", "customer", "placed_at"], name="order_brand_customer"),
            models.Index(fields=["brand", "placed_at"], name="order_brand_placed"),
        ]

    def __str__(self) -> str:
        return self.external_id


# --- onboarding surveys -> personas (crm.surveys) ---------------------------------------------------


class SurveyStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    CLOSED = "closed", _("Closed")


class Survey(BrandOwned):
    """Questions a brand asks its customers; persona rules turn the answers into tags and attributes."""

    title = models.CharField(_("title"), max_length=120)
    intro = models.TextField(_("introduction"), max_length=1000, blank=True)
    is_onboarding = models.BooleanField(_("ask right after joining"), default=False)
    status = models.CharField(_("status"), max_length=8, choices=SurveyStatus.choices, default=SurveyStatus.DRAFT)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # The join flow asks one survey: at most one active onboarding survey per brand.
            models.UniqueConstraint(fields=["brand"], condition=Q(is_onboarding=True, status="active"),
                                    name="survey_one_active_onboarding"),
        ]
        indexes = [models.Index(fields=["brand", "created_at"], name="survey_brand_created")]

    def __str__(self) -> str:
        return self.title


class QuestionKind(models.TextChoices):
    SINGLE = "single", _("One choice")
    MULTIPLE = "multiple", _("Several choices")
    TEXT = "text", _("Text")
    NUMBER = "number", _("Number")
    SCALE = "scale", _("Scale 1-5")


class SurveyQuestion(BrandOwned):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveIntegerField(default=0)
    kind = models.CharField(_("kind"), max_length=8, choices=QuestionKind.choices)
    text = models.CharField(_("question"), max_length=300)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    required = models.BooleanField(_("required"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["brand", "survey", "position"], name="surveyq_brand_survey_pos")]

    def __str__(self) -> str:
        return self.text


class SurveyResponse(BrandOwned):
    """One per customer and survey: answered (completed_at) or skipped (skipped_at)."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    completed_at = models.DateTimeField(null=True, blank=True)
    skipped_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["survey", "customer"], name="surveyresponse_once")]
        indexes = [models.Index(fields=["brand", "survey", "customer"], name="surveyresp_brand_survey")]

    def __str__(self) -> str:
        return f"{self.customer_id} on survey {self.survey_id}"


class SurveyAnswer(BrandOwned):
    """One row per answer; a several-choices answer is one row per chosen choice, so counting a choice
    and the segment condition "includes" are plain indexed equality lookups on any database."""

    response = models.ForeignKey(SurveyResponse, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(SurveyQuestion, on_delete=models.CASCADE, related_name="answers")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    # The choice (text), the number, or the text the customer typed.
    value = models.JSONField()
    # number and scale answers again as a number, for averages and comparisons.
    number = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["response", "question", "id"]
        indexes = [models.Index(fields=["brand", "question", "customer"], name="surveyanswer_brand_q_cust")]

    def __str__(self) -> str:
        return f"q{self.question_id}={self.value!r}"


class PersonaAction(models.TextChoices):
    ADD_TAG = "add_tag", _("Add tag")
    SET_ATTRIBUTE = "set_attribute", _("Set attribute")


class PersonaOp(models.TextChoices):
    CHOICE = "choice", _("answer includes")
    EQ = "eq", _("equals")
    GT = "gt", _("greater than")
    LT = "lt", _("less than")


class PersonaRule(BrandOwned):
    """When an answer to `question` matches (op, value), add a tag or set an attribute."""

    question = models.ForeignKey(SurveyQuestion, on_delete=models.CASCADE, related_name="rules")
    op = models.CharField(max_length=8, choices=PersonaOp.choices)
    value = models.JSONField(help_text=_("the choice, or the number to compare with"))
    action = models.CharField(max_length=16, choices=PersonaAction.choices)
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    attribute = models.ForeignKey(AttributeDefinition, on_delete=models.CASCADE, null=True, blank=True,
                                  related_name="+")
    attribute_value = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["question", "id"]
        indexes = [models.Index(fields=["brand", "question"], name="personarule_brand_question")]

    def __str__(self) -> str:
        return f"rule {self.pk} on q{self.question_id}"
