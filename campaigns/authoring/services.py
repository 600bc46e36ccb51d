"""Writing campaigns: create, edit, schedule, cancel, delete. Sending is campaigns.sending's job.

Status runs draft -> scheduled -> sending -> sent | cancelled | failed. A campaign can be edited while it is a
draft or scheduled; once sending, it is locked. A recurring campaign stays scheduled between occurrences
(each occurrence is a CampaignRun), until it is cancelled.
"""

import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from chats.models import MAX_BODY_LENGTH, BrandPersona
from chats.services import message_content_check
from chats.templating import template_check, template_variables
from crm.models import Segment
from privtraffic.tenancy.actors import Actor, actor_user_id, authorize
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.models import Brand
from privtraffic.tenancy.parsing import bad_text, bad_text_error, parse_int
from privtraffic.tenancy.roles import Perm

from ..models import (
    Campaign,
    CampaignChannel,
    CampaignKind,
    CampaignStatus,
    CardKind,
    ConfirmMode,
    Delivery,
    DeliveryStatus,
    RepTask,
    RepTaskStatus,
    RunStatus,
    SkipReason,
)
from ..scheduling.recurrence import next_occurrence, recurrence_normalize
from .audience import audience_breakdown, audience_normalize

MAX_CONFIRM_HOURS = 168
# What each field must be; a value of the wrong type is refused before any rule is read.
_UNSET = object()


def _field_error(field: str, message: str, code: str = "invalid") -> ApplicationError:
    return ApplicationError(code, message, fields={field: [message]})


def _choice(value: Any, field: str, choices) -> str:
    if not isinstance(value, str) or value not in choices:
        raise _field_error(field, _("%(field)s must be one of: %(choices)s.")
                           % {"field": field, "choices": ", ".join(c for c in choices if c) or '""'})
    return value


def _text(value: Any, field: str, *, max_length: int, required: bool = True) -> str:
    if not isinstance(value, str):
        raise _field_error(field, _("%(field)s must be text.") % {"field": field})
    if bad_text(value):
        raise bad_text_error(field)
    value = value.strip()
    if required and not value:
        raise _field_error(field, _("%(field)s is required.") % {"field": field})
    if len(value) > max_length:
        raise _field_error(field, _("%(field)s is at most %(max)d characters.") % {"field": field, "max": max_length})
    return value


def _send_at(value: Any) -> datetime.datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime.datetime) or timezone.is_naive(value):
        raise _field_error("send_at", _("send_at must be a date and time with its time zone."))
    return value


def _clean(brand: Brand, values: dict[str, Any]) -> dict[str, Any]:
    """Check every field of a campaign (all of them: an edit is checked as a whole)."""
    clean: dict[str, Any] = {
        "name": _text(values["name"], "name", max_length=120),
        "kind": _choice(values["kind"], "kind", CampaignKind.values),
        "channel": _choice(values["channel"], "channel", CampaignChannel.values),
        "card_kind": _choice(values["card_kind"] or "", "card_kind", CardKind.values),
        "confirm_mode": _choice(values["confirm_mode"], "confirm_mode", ConfirmMode.values),
        "send_at": _send_at(values["send_at"]),
        "recurrence": recurrence_normalize(values["recurrence"]),
    }
    clean["confirm_hours"] = parse_int(values["confirm_hours"], "confirm_hours", minimum=1,
                                       maximum=MAX_CONFIRM_HOURS, strings=False)
    body = _text(values["body"], "body", max_length=MAX_BODY_LENGTH)
    template_check(body)
    if clean["channel"] == CampaignChannel.GROUP and "first_name" in template_variables(body):
        raise _field_error("body", _("A group post has no {first_name}: it goes to the whole group."),
                           code="unknown_variable")
    payload = values["card_payload"] if values["card_payload"] is not None else {}
    if not isinstance(payload, dict):
        raise _field_error("card_payload", _("The card must be an object."))
    if not clean["card_kind"] and payload:
        raise _field_error("card_payload", _("Choose the kind of card first."))
    clean["body"] = message_content_check(brand_id=brand.pk, kind=clean["card_kind"] or "text", body=body,
                                          payload=dict(payload))
    clean["card_payload"] = payload
    clean["audience"] = audience_normalize(brand=brand, audience=values["audience"], channel=clean["channel"])
    exclude = values["exclude_segment_id"]
    clean["exclude_segment_id"] = None
    if exclude is not None:
        exclude = parse_int(exclude, "exclude_segment", minimum=1, strings=False)
        if not Segment.objects.filter(brand=brand, pk=exclude).exists():
            raise ApplicationError.not_found("segment")
        clean["exclude_segment_id"] = exclude
    if clean["confirm_mode"] == ConfirmMode.REP_CONFIRMS and clean["channel"] != CampaignChannel.DIRECT:
        raise _field_error("confirm_mode", _("Only messages from each customer's rep can wait for the rep."))
    if clean["channel"] == CampaignChannel.PERSONA and not BrandPersona.objects.filter(brand=brand).exists():
        raise _field_error("channel", _("Set up the brand persona first (Settings, Brand persona)."),
                           code="persona_missing")
    return clean


FIELDS = ("name", "kind", "body", "card_kind", "card_payload", "audience", "exclude_segment_id", "channel",
          "confirm_mode", "confirm_hours", "send_at", "recurrence")
DEFAULTS = {"kind": CampaignKind.PROMOTION, "card_kind": "", "card_payload": None, "exclude_segment_id": None,
            "channel": CampaignChannel.DIRECT, "confirm_mode": ConfirmMode.AUTO, "confirm_hours": 24,
            "send_at": None, "recurrence": None}


def campaign_create(*, brand: Brand, actor: Actor, name: str, body: str, audience: Any, **fields: Any) -> Campaign:
    """A new draft. Fields: see FIELDS (unknown ones are a TypeError: a caller's bug, not input)."""
    authorize(actor, Perm.MANAGE_CAMPAIGNS, brand, what="brand")
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise TypeError(f"campaign_create() got unexpected fields {sorted(unknown)}")
    clean = _clean(brand, {**DEFAULTS, **fields, "name": name, "body": body, "audience": audience})
    return Campaign.objects.create(brand=brand, created_by_id=actor_user_id(actor), **clean)


def campaign_update(*, campaign: Campaign, actor: Actor, **fields: Any) -> Campaign:
    """Change a draft or scheduled campaign; a scheduled one moves to its new time. Locked once sending."""
    authorize(actor, Perm.MANAGE_CAMPAIGNS, campaign, what="campaign")
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise TypeError(f"campaign_update() got unexpected fields {sorted(unknown)}")
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().select_related("brand").get(pk=campaign.pk)
        _require_editable(locked)
        current = {name: getattr(locked, name) for name in FIELDS}
        clean = _clean(locked.brand, {**current, **fields})
        for name, value in clean.items():
            setattr(locked, name, value)
        if locked.status == CampaignStatus.SCHEDULED:
            locked.next_run_at = _first_run(locked, timezone.now())
        locked.save()
    return locked


def _require_editable(campaign: Campaign) -> None:
    if not campaign.editable:
        raise ApplicationError("campaign_locked", _("This campaign is %(status)s: it can no longer be changed.")
                               % {"status": campaign.get_status_display().lower()}, status=409)


def _first_run(campaign: Campaign, now: datetime.datetime) -> datetime.datetime:
    if campaign.recurrence:
        start = max(now, campaign.send_at or now)
        moment = next_occurrence(campaign.recurrence, after=start - datetime.timedelta(seconds=1),
                                 tz=campaign.brand.tzinfo)
        if moment is None:
            raise _field_error("recurrence", _("This schedule never runs again."))
        return moment
    return max(campaign.send_at or now, now)


def campaign_schedule(*, campaign: Campaign, actor: Actor, send_at: datetime.datetime | None | object = _UNSET
                      ) -> Campaign:
    """Schedule a draft (or move a scheduled one): at `send_at`, now when it is None or past, or on its
    recurrence. An audience with nobody to reach is refused, saying why."""
    authorize(actor, Perm.MANAGE_CAMPAIGNS, campaign, what="campaign")
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().select_related("brand").get(pk=campaign.pk)
        _require_editable(locked)
        if send_at is not _UNSET:
            locked.send_at = _send_at(send_at)
        now = timezone.now()
        first = _first_run(locked, now)
        breakdown = audience_breakdown(campaign=locked, at=first)
        if breakdown.total == 0:
            raise _field_error("audience", _("Nobody is in this audience."), code="empty_audience")
        if breakdown.will_receive == 0 and not breakdown.deferred and not locked.recurrence:
            raise _field_error("audience", _("Nobody in this audience can receive it now (consent, opt-outs or "
                                             "the weekly budget)."), code="empty_audience")
        locked.status, locked.next_run_at = CampaignStatus.SCHEDULED, first
        locked.save(update_fields=["send_at", "status", "next_run_at", "updated_at"])
    return locked


def campaign_unschedule(*, campaign: Campaign, actor: Actor) -> Campaign:
    """Back to draft, before it starts sending."""
    authorize(actor, Perm.MANAGE_CAMPAIGNS, campaign, what="campaign")
    updated = Campaign.objects.filter(pk=campaign.pk, status=CampaignStatus.SCHEDULED, runs__isnull=True).update(
        status=CampaignStatus.DRAFT, next_run_at=None, updated_at=timezone.now())
    if not updated:
        campaign.refresh_from_db()
        raise ApplicationError("campaign_locked", _("Only a scheduled campaign that has not run can go back to "
                                                    "draft."), status=409)
    campaign.refresh_from_db()
    return campaign


def campaign_cancel(*, campaign: Campaign, actor: Actor) -> Campaign:
    """Stop what has not gone out: pending recipients become skipped (cancelled), open rep tasks close.
    A chunk already writing finishes (its transaction holds its rows); nothing starts after this commits."""
    authorize(actor, Perm.MANAGE_CAMPAIGNS, campaign, what="campaign")
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if locked.status not in (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED, CampaignStatus.SENDING):
            raise ApplicationError("campaign_locked", _("This campaign is %(status)s: there is nothing to cancel.")
                                   % {"status": locked.get_status_display().lower()}, status=409)
        now = timezone.now()
        live_runs = locked.runs.filter(status__in=(RunStatus.PENDING, RunStatus.SENDING))
        Delivery.objects.filter(run__in=live_runs, status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.SKIPPED, reason=SkipReason.CANCELLED, not_before=None)
        RepTask.objects.filter(run__in=live_runs, status=RepTaskStatus.OPEN).update(status=RepTaskStatus.CANCELLED)
        live_runs.update(status=RunStatus.CANCELLED, finished_at=now)
        locked.status, locked.next_run_at = CampaignStatus.CANCELLED, None
        locked.save(update_fields=["status", "next_run_at", "updated_at"])
    return locked


def campaign_delete(*, campaign: Campaign, actor: Actor) -> None:
    """Delete a draft (a campaign that ran keeps its record: cancel it instead)."""
    authorize(actor, Perm.MANAGE_CAMPAIGNS, campaign, what="campaign")
    deleted, _rows = Campaign.objects.filter(pk=campaign.pk, status=CampaignStatus.DRAFT, runs__isnull=True).delete()
    if not deleted:
        raise ApplicationError("campaign_locked", _("Only a draft can be deleted; cancel a campaign that ran."),
                               status=409)
