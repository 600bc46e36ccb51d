"""The campaign builder's form. It only parses what the browser sent (ids as ASCII digits, times in the
brand's time zone); campaigns.authoring.services decides what is valid and says why, field by field."""

import datetime
import re
import zoneinfo
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from chats.services import survey_card_payload
from crm.products.cards import product_card_payload
from privtraffic.tenancy.parsing import is_int

from ..models import Campaign, CampaignChannel, CampaignKind, CardKind, ConfirmMode
from .services import MAX_CONFIRM_HOURS

AUDIENCE_CHOICES = [("all", _("All reachable customers")), ("groups", _("Groups")), ("segment", _("A segment"))]
WHEN_CHOICES = [("now", _("Now")), ("at", _("At a date and time")), ("recurring", _("Recurring"))]
REPEAT_CHOICES = [("days", _("Days of the week")), ("cron", _("A cron line"))]
DAY_CHOICES = [("0", _("Mon")), ("1", _("Tue")), ("2", _("Wed")), ("3", _("Thu")), ("4", _("Fri")),
               ("5", _("Sat")), ("6", _("Sun"))]
_LOCAL_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$", re.ASCII)
# Card fields of the form, per card kind, and the payload key each fills (chats.services.PAYLOAD_SHAPES).
CARD_FIELDS = {
    CardKind.COUPON: {"coupon_title": "title"},  # and "ref": the coupon picked (see card_payload)
    CardKind.IMAGE: {"image_url": "url"},
}
# The form field a service's error on `payload.<key>` is about, per card kind (the same key means a
# different picker on each kind: `payload.ref` is the coupon, the event or the group-buy picked).
_PRODUCT_KEYS = ("product_id", "name", "price", "currency", "image_url")
PAYLOAD_FIELDS: dict[str, dict[str, str]] = {
    CardKind.COUPON: {"payload.title": "coupon_title", "payload.ref": "coupon"},
    CardKind.IMAGE: {"payload.url": "image_url"},
    CardKind.SURVEY: {"payload.survey_id": "survey", "payload.title": "survey", "payload.url": "survey"},
    # A product card is a product of the catalogue: any problem with its copy is about the product picked.
    CardKind.PRODUCT: {f"payload.{key}": "product" for key in _PRODUCT_KEYS},
    CardKind.EVENT: {"payload.ref": "event", "payload.title": "event"},
    CardKind.GROUP_BUY: {"payload.ref": "group_buy", "payload.title": "group_buy"},
}


def payload_field(card_kind: str, key: str) -> str | None:
    """The builder's field for a service error on `key` ("payload.ref"...) of a card of this kind."""
    return PAYLOAD_FIELDS.get(card_kind, {}).get(key)


def _id(value: str, message) -> int:
    if not is_int(value, minimum=1):
        raise forms.ValidationError(message)
    return int(value)


class AudienceForm(forms.Form):
    """What the live count needs: the audience, the exclusion, the channel and when it goes out."""

    audience_type = forms.ChoiceField(label=_("Audience"), choices=AUDIENCE_CHOICES, initial="all",
                                      widget=forms.RadioSelect)
    groups = forms.MultipleChoiceField(label=_("Groups"), required=False, widget=forms.CheckboxSelectMultiple)
    segment = forms.ChoiceField(label=_("Segment"), required=False)
    exclude_segment = forms.ChoiceField(label=_("Leave out a segment"), required=False)
    channel = forms.ChoiceField(label=_("Channel"), choices=CampaignChannel.choices, initial=CampaignChannel.DIRECT,
                                widget=forms.RadioSelect)
    when = forms.ChoiceField(label=_("When"), choices=WHEN_CHOICES, initial="now", widget=forms.RadioSelect)
    send_at = forms.CharField(label=_("Date and time"), required=False,
                              widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    repeat = forms.ChoiceField(label=_("Repeat"), choices=REPEAT_CHOICES, initial="days", required=False,
                               widget=forms.RadioSelect)
    days = forms.MultipleChoiceField(label=_("Days"), choices=DAY_CHOICES, required=False,
                                     widget=forms.CheckboxSelectMultiple)
    time = forms.CharField(label=_("Time"), required=False, max_length=5,
                           widget=forms.TimeInput(attrs={"type": "time"}))
    cron = forms.CharField(label=_("Cron line"), required=False, max_length=100,
                           help_text=_("minute hour day-of-month month day-of-week, e.g. 0 20 * * 5"))

    def __init__(self, *args, tz: zoneinfo.ZoneInfo, groups=(), segments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.tz = tz
        self.fields["groups"].choices = [(str(g.pk), g.name) for g in groups]
        segment_choices = [(str(s.pk), s.name) for s in segments]
        self.fields["segment"].choices = [("", "—"), *segment_choices]
        self.fields["exclude_segment"].choices = [("", _("Nobody")), *segment_choices]

    def clean_send_at(self) -> datetime.datetime | None:
        value = self.cleaned_data["send_at"].strip()
        if not value:
            return None
        if not _LOCAL_DATETIME.match(value):
            raise forms.ValidationError(_("Enter a date and time."))
        try:
            moment = datetime.datetime.strptime(value, "%Y-%m-%dT%H:%M")
        except ValueError:
            raise forms.ValidationError(_("Enter a date and time."))
        return moment.replace(tzinfo=self.tz)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        kind = data.get("audience_type")
        if kind == "groups" and not data.get("groups"):
            self.add_error("groups", _("Choose at least one group."))
        if kind == "segment" and not data.get("segment"):
            self.add_error("segment", _("Choose a segment."))
        if data.get("when") == "at" and not data.get("send_at") and "send_at" not in self.errors:
            self.add_error("send_at", _("Enter a date and time."))
        if data.get("when") == "recurring":
            if data.get("repeat") == "cron":
                if not data.get("cron", "").strip():
                    self.add_error("cron", _("Enter a cron line."))
            elif not data.get("days") or not data.get("time"):
                self.add_error("days", _("Choose the days and the time."))
        return data

    def audience(self) -> dict:
        data = self.cleaned_data
        if data["audience_type"] == "groups":
            return {"groups": [int(g) for g in data["groups"]]}
        if data["audience_type"] == "segment":
            return {"segment": int(data["segment"])}
        return {"all": True}

    def exclude_segment_id(self) -> int | None:
        value = self.cleaned_data.get("exclude_segment")
        return int(value) if value else None

    def send_at_moment(self) -> datetime.datetime | None:
        return self.cleaned_data.get("send_at") if self.cleaned_data.get("when") == "at" else None

    def recurrence(self) -> dict | None:
        data = self.cleaned_data
        if data.get("when") != "recurring":
            return None
        if data.get("repeat") == "cron":
            return {"cron": data["cron"].strip()}
        return {"days": [int(d) for d in data["days"]], "time": data["time"].strip()}


class CampaignForm(AudienceForm):
    name = forms.CharField(label=_("Name"), max_length=120)
    kind = forms.ChoiceField(label=_("Kind"), choices=CampaignKind.choices, initial=CampaignKind.PROMOTION)
    body = forms.CharField(label=_("Message"), max_length=4000, required=False,
                           widget=forms.Textarea(attrs={"rows": 5}),
                           help_text=_("Variables: {first_name} {rep_name} {store_name}"))
    card_kind = forms.ChoiceField(label=_("Card"), choices=CardKind.choices, required=False)
    product = forms.ChoiceField(label=_("Product"), required=False,
                                widget=forms.Select(attrs={"data-product-select": ""}))
    coupon = forms.CharField(label=_("Coupon"), required=False, max_length=20, widget=forms.Select)
    coupon_title = forms.CharField(label=_("Coupon title"), required=False, max_length=120,
                                   help_text=_("Leave empty for the coupon's own title"))
    image_url = forms.CharField(label=_("Image link"), required=False, max_length=500)
    survey = forms.ChoiceField(label=_("Survey"), required=False)
    event = forms.ChoiceField(label=_("Event"), required=False)
    group_buy = forms.ChoiceField(label=_("Group-buy"), required=False)
    confirm_mode = forms.ChoiceField(label=_("Rep confirmation"), choices=ConfirmMode.choices,
                                     initial=ConfirmMode.AUTO, widget=forms.RadioSelect)
    confirm_hours = forms.CharField(label=_("Hours reps have to confirm"), initial="24", max_length=4)

    field_order = ["name", "kind", "body", "card_kind"]

    def __init__(self, *args, surveys=(), products=(), coupons=(), events=(), group_buys=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.coupons = {str(ref): title for ref, title in coupons}
        self.fields["coupon"].widget.choices = [("", "—"), *self.coupons.items()]
        self.group_buys = {str(g.pk): g for g in group_buys}
        self.fields["group_buy"].choices = [("", "—"), *((str(g.pk), g.title) for g in group_buys)]
        surveys = list(surveys)
        self.surveys = {str(s.pk): s for s in surveys}
        self.fields["survey"].choices = [("", "—"), *((str(s.pk), s.title) for s in surveys)]
        # The catalogue's active products (crm.products.selectors.product_choices), searchable in the page.
        self.products = {str(p.pk): p for p in products}
        self.fields["product"].choices = [("", "—"), *((str(p.pk), f"{p.name} · {p.price} {p.currency}")
                                                      for p in self.products.values())]
        self.events = {str(e.pk): e for e in events}
        self.fields["event"].choices = [("", "—"), *((key, e.title) for key, e in self.events.items())]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("card_kind") == CardKind.PRODUCT and not data.get("product"):
            self.add_error("product", _("Choose a product of the catalogue."))
        if data.get("card_kind") == CardKind.EVENT and (data.get("event") or "") not in self.events:
            self.add_error("event", _("Choose an event."))
        return data

    def clean_confirm_hours(self) -> int:
        value = self.cleaned_data["confirm_hours"].strip()
        if not is_int(value, minimum=1, maximum=MAX_CONFIRM_HOURS):
            raise forms.ValidationError(_("Between 1 and %(max)d hours.") % {"max": MAX_CONFIRM_HOURS})
        return int(value)

    def card_payload(self) -> dict:
        data = self.cleaned_data
        kind = data.get("card_kind") or ""
        if kind == CardKind.SURVEY:
            survey = self.surveys.get(data.get("survey") or "")
            if survey is None:
                return {"survey_id": 0}
            return survey_card_payload(survey=survey)
        if kind == CardKind.PRODUCT:
            product = self.products.get(data.get("product") or "")
            return product_card_payload(product=product) if product is not None else {}
        if kind == CardKind.EVENT:
            event = self.events.get(data.get("event") or "")
            return {"title": event.title, "ref": event.pk} if event else {"title": "-", "ref": 0}
        if kind == CardKind.GROUP_BUY:
            group_buy = self.group_buys.get(data.get("group_buy") or "")
            return {"title": group_buy.title, "ref": group_buy.pk} if group_buy else {"title": "", "ref": 0}
        payload = {}
        for name, key in CARD_FIELDS.get(kind, {}).items():
            value = (data.get(name) or "").strip()
            if value:
                payload[key] = value
        if kind == CardKind.COUPON:  # the interactive card of a coupon: {"title", "ref"} (the services check it)
            ref = (data.get("coupon") or "").strip()
            payload["ref"] = int(ref) if is_int(ref, minimum=1) else 0
            payload.setdefault("title", self.coupons.get(ref, ""))
        return payload

    def service_fields(self) -> dict[str, Any]:
        """The values campaign_create / campaign_update take."""
        data = self.cleaned_data
        return {"name": data["name"], "kind": data["kind"], "body": data.get("body") or "",
                "card_kind": data.get("card_kind") or "", "card_payload": self.card_payload(),
                "audience": self.audience(), "exclude_segment_id": self.exclude_segment_id(),
                "channel": data["channel"], "confirm_mode": data["confirm_mode"],
                "confirm_hours": data["confirm_hours"], "send_at": self.send_at_moment(), "recurrence": self.recurrence()}


def initial_from(campaign: Campaign, tz: zoneinfo.ZoneInfo) -> dict[str, Any]:
    """The form's values for an existing campaign."""
    audience = campaign.audience or {"all": True}
    initial: dict[str, Any] = {
        "name": campaign.name, "kind": campaign.kind, "body": campaign.body, "card_kind": campaign.card_kind,
        "channel": campaign.channel, "confirm_mode": campaign.confirm_mode, "confirm_hours": campaign.confirm_hours,
        "audience_type": next(iter(audience)), "groups": [str(g) for g in audience.get("groups", [])],
        "segment": str(audience.get("segment", "")),
        "exclude_segment": str(campaign.exclude_segment_id or ""),
    }
    for name, key in CARD_FIELDS.get(campaign.card_kind, {}).items():
        initial[name] = (campaign.card_payload or {}).get(key, "")
    if campaign.card_kind == CardKind.COUPON:
        initial["coupon"] = str((campaign.card_payload or {}).get("ref", ""))
    if campaign.card_kind == CardKind.SURVEY:
        initial["survey"] = str((campaign.card_payload or {}).get("survey_id", ""))
    if campaign.card_kind == CardKind.PRODUCT:
        initial["product"] = str((campaign.card_payload or {}).get("product_id", ""))
    if campaign.card_kind == CardKind.EVENT:
        initial["event"] = str((campaign.card_payload or {}).get("ref", ""))
    if campaign.card_kind == CardKind.GROUP_BUY:
        initial["group_buy"] = str((campaign.card_payload or {}).get("ref", ""))
    if campaign.recurrence:
        initial["when"] = "recurring"
        if "cron" in campaign.recurrence:
            initial.update(repeat="cron", cron=campaign.recurrence["cron"])
        else:
            initial.update(repeat="days", days=[str(d) for d in campaign.recurrence["days"]],
                           time=campaign.recurrence["time"])
    elif campaign.send_at:
        initial.update(when="at", send_at=campaign.send_at.astimezone(tz).strftime("%Y-%m-%dT%H:%M"))
    else:
        initial["when"] = "now"
    return initial
