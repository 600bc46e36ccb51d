"""The marketer's campaign pages: the list, the builder (with its live count, per-recipient preview and test
send), the schedule and month calendar, and the campaign page with live progress. Thin: parse, call
campaigns.authoring (and the dispatcher's run_counts), render."""

import calendar
import datetime

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.products.selectors import product_choices
from privtraffic.tenancy.dashboard import BrandView, flash_errors, form_apply_error, form_errors
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.parsing import bad_text, bad_text_error, is_int, query_choice, query_int
from privtraffic.tenancy.roles import Perm

from ..coupons.selectors import coupon_choices
from ..events.selectors import event_choices
from ..models import CampaignStatus, SkipReason
from ..sending.dispatcher import run_counts
from . import previews, selectors, services
from .forms import DAY_CHOICES, AudienceForm, CampaignForm, initial_from, payload_field

PAGE_SIZE = 50
# A service's field names, as the builder's form calls them.
SERVICE_TO_FIELD = {"exclude_segment_id": "exclude_segment", "exclude_segment": "exclude_segment",
                    "audience": "audience_type", "recurrence": "when", "card_payload": "card_kind"}


def _apply(form, exc: ApplicationError) -> None:
    """A service refusal on the builder: each message beside the field it is about."""
    placed = False
    card_kind = form.data.get("card_kind") or ""
    for field, field_messages in exc.fields.items():
        name = payload_field(card_kind, field) or SERVICE_TO_FIELD.get(field, field)
        if name in form.fields:
            for message in field_messages if isinstance(field_messages, list) else [field_messages]:
                if name not in form.errors or str(message) not in form.errors[name]:
                    form.add_error(name, str(message))
            placed = True
    if not placed:
        form_apply_error(form, exc)


def _json(compute) -> JsonResponse:
    """A JSON endpoint's answer: the result, or the one error object with its status (not a form, not a
    flash message: the builder's script shows it)."""
    try:
        return JsonResponse(compute())
    except ApplicationError as exc:
        return JsonResponse(exc.as_dict(), status=exc.status)


def _form_error(form) -> ApplicationError:
    fields = {name: [str(e) for e in errors] for name, errors in form.errors.items()}
    first = next(iter(fields.values()))[0] if fields else _("Check the form.")
    return ApplicationError("invalid", first, fields=fields)


def _reason_labels(skipped: dict[str, int]) -> list[dict]:
    labels = dict(SkipReason.choices)
    return [{"reason": reason, "label": str(labels.get(reason, reason)), "count": count}
            for reason, count in sorted(skipped.items(), key=lambda item: -item[1])]


class _BuilderMixin:
    def _builder_form(self, data=None, initial=None) -> CampaignForm:
        self.refs = selectors.builder_references(brand=self.brand, actor=self.actor)
        chosen = (data if data is not None else initial or {}).get("product")
        return CampaignForm(data, initial=initial, tz=self.brand.tzinfo, groups=self.refs.groups,
                            segments=self.refs.segments, surveys=self.refs.surveys,
                            products=_products(self.brand, chosen), coupons=self.refs.coupons,
                            events=event_choices(self.brand), group_buys=self.refs.group_buys)

    def _render_builder(self, request, form, campaign=None, status=200):
        context = {"form": form, "campaign": campaign, "refs": self.refs, "tz_name": self.brand.time_zone,
                   "variables": ("{first_name}", "{rep_name}", "{store_name}")}
        return render(request, "campaigns/builder.html", context, status=status)

    def _save(self, request, form, campaign=None):
        """Save the form (create or update), then schedule or send it as the button asked; all or nothing."""
        action = request.POST.get("action", "draft")
        if action not in ("draft", "schedule", "send_now"):
            action = "draft"
        if not form.is_valid():
            return None
        fields = form.service_fields()
        if action == "send_now":
            fields["send_at"], fields["recurrence"] = None, None
        with form_errors(form, apply=_apply) as outcome, transaction.atomic():
            if campaign is None:
                campaign = services.campaign_create(brand=self.brand, actor=self.actor, **fields)
            else:
                campaign = services.campaign_update(campaign=campaign, actor=self.actor, **fields)
            if action in ("schedule", "send_now"):
                campaign = services.campaign_schedule(campaign=campaign, actor=self.actor,
                                                      send_at=fields["send_at"])
        if not outcome.ok:
            return None
        if action == "send_now":
            messages.success(request, _("“%(name)s” is on its way.") % {"name": campaign.name})
        elif action == "schedule":
            messages.success(request, _("“%(name)s” is scheduled.") % {"name": campaign.name})
        else:
            messages.success(request, _("“%(name)s” saved.") % {"name": campaign.name})
        return redirect("campaigns:detail", slug=self.brand.slug, campaign_id=campaign.pk)


class CampaignListView(BrandView):
    permission = Perm.MANAGE_CAMPAIGNS

    def get(self, request):
        status = query_choice(request, "status", CampaignStatus.values)
        page_number = query_int(request, "page", minimum=1) or 1
        paginator = Paginator(selectors.campaign_list(brand=self.brand, status=status), PAGE_SIZE)
        page = paginator.get_page(page_number)
        campaigns = list(page.object_list)
        ids = [c.pk for c in campaigns]
        progress = selectors.campaign_progress_for(brand=self.brand, campaign_ids=ids)
        labels = selectors.audience_labels(brand=self.brand, campaigns=campaigns)
        rows = [{"campaign": c, "progress": progress.get(c.pk), "audience": labels[c.pk]} for c in campaigns]
        return render(request, "campaigns/list.html", {
            "rows": rows, "page": page, "status": status or "", "statuses": CampaignStatus.choices,
            "any_campaign": bool(rows) or status is not None})


class CampaignCreateView(_BuilderMixin, BrandView):
    permission = Perm.MANAGE_CAMPAIGNS

    def get(self, request):
        return self._render_builder(request, self._builder_form())

    def post(self, request):
        form = self._builder_form(request.POST)
        response = self._save(request, form)
        return response or self._render_builder(request, form, status=400)


class CampaignEditView(_BuilderMixin, BrandView):
    permission = Perm.MANAGE_CAMPAIGNS

    def _editable(self, request, campaign_id):
        campaign = selectors.campaign_get(brand=self.brand, campaign_id=campaign_id)
        if not campaign.editable:
            messages.error(request, _("This campaign is %(status)s: it can no longer be changed.")
                           % {"status": campaign.get_status_display().lower()})
            return campaign, redirect("campaigns:detail", slug=self.brand.slug, campaign_id=campaign.pk)
        return campaign, None

    def get(self, request, campaign_id):
        campaign, locked = self._editable(request, campaign_id)
        if locked:
            return locked
        form = self._builder_form(initial=initial_from(campaign, self.brand.tzinfo))
        return self._render_builder(request, form, campaign)

    def post(self, request, campaign_id):
        campaign, locked = self._editable(request, campaign_id)
        if locked:
            return locked
        form = self._builder_form(request.POST)
        response = self._save(request, form, campaign)
        return response or self._render_builder(request, form, campaign, status=400)


class CampaignDetailView(BrandView):
    permission = Perm.MANAGE_CAMPAIGNS

    def get(self, request, campaign_id):
        campaign = selectors.campaign_get(brand=self.brand, campaign_id=campaign_id)
        runs = selectors.campaign_runs(campaign=campaign)
        latest = runs[0] if runs else None
        counts = run_counts(run=latest) if latest else None
        return render(request, "campaigns/detail.html", {
            "campaign": campaign, "runs": runs, "latest": latest, "counts": counts,
            "reasons": _reason_labels(counts["by_reason"]) if counts else [],
            "audience": selectors.audience_detail(brand=self.brand, campaign=campaign),
            "can_unschedule": campaign.status == CampaignStatus.SCHEDULED and not runs,
            "can_cancel": campaign.status in (CampaignStatus.SCHEDULED, CampaignStatus.SENDING),
            "can_delete": campaign.status == CampaignStatus.DRAFT and not runs,
            "tz_name": self.brand.time_zone, "results_url": _results_url(self.brand, campaign) if runs else None,
        })

    def post(self, request, campaign_id):
        campaign = selectors.campaign_get(brand=self.brand, campaign_id=campaign_id)
        action = request.POST.get("action")
        with flash_errors(request) as outcome:
            if action == "cancel":
                services.campaign_cancel(campaign=campaign, actor=self.actor)
                done = _("Campaign cancelled: nothing more goes out.")
            elif action == "unschedule":
                services.campaign_unschedule(campaign=campaign, actor=self.actor)
                done = _("Back to draft.")
            elif action == "delete":
                services.campaign_delete(campaign=campaign, actor=self.actor)
                messages.success(request, _("Campaign deleted."))
                return redirect("campaigns:list", slug=self.brand.slug)
            else:
                raise ApplicationError("invalid", _("Unknown action."))
        if outcome.ok:
            messages.success(request, done)
        return redirect("campaigns:detail", slug=self.brand.slug, campaign_id=campaign.pk)


def _results_url(brand, campaign) -> str | None:
    """The results page (campaigns.results) once it is routed; no link rather than a dead one."""
    try:
        return reverse("campaigns:results", kwargs={"slug": brand.slug, "campaign_id": campaign.pk})
    except NoReverseMatch:
        return None


class CampaignProgressView(BrandView):
    """GET -> the latest run's counts as JSON, for the campaign page's live progress bar."""

    permission = Perm.MANAGE_CAMPAIGNS

    def get(self, request, campaign_id):
        campaign = selectors.campaign_get(brand=self.brand, campaign_id=campaign_id)
        run = selectors.campaign_latest_run(campaign=campaign)
        counts = run_counts(run=run) if run else {"pending": 0, "sent": 0, "skipped": 0, "failed": 0,
                                                  "by_reason": {}}
        return JsonResponse({"status": campaign.status, "status_label": str(campaign.get_status_display()),
                             "total": run.total if run else 0, **counts,
                             "reasons": _reason_labels(counts["by_reason"])})


class CampaignBreakdownView(BrandView):
    """POST the builder's form -> {"total", "will_receive", "skipped": [...], "text"}: the live count."""

    permission = Perm.MANAGE_CAMPAIGNS

    def post(self, request):
        refs = selectors.builder_references(brand=self.brand, actor=self.actor)
        form = AudienceForm(request.POST, tz=self.brand.tzinfo, groups=refs.groups, segments=refs.segments)

        def compute():
            if not form.is_valid():
                raise _form_error(form)
            at = form.send_at_moment() if form.cleaned_data["when"] == "at" else None
            breakdown = previews.draft_breakdown(brand=self.brand, audience=form.audience(),
                                                 channel=form.cleaned_data["channel"],
                                                 exclude_segment_id=form.exclude_segment_id(), at=at)
            return {"total": breakdown.total, "will_receive": breakdown.will_receive,
                    "skipped": _reason_labels(breakdown.skipped), "groups": form.cleaned_data["channel"] == "group"}

        return _json(compute)


def _products(brand, chosen) -> list:
    """The catalogue's products the builder offers, with the one chosen (an id as ASCII digits) among them."""
    return product_choices(brand, chosen_id=int(chosen) if is_int(chosen or "", minimum=1) else None)


def _message_values(request, surveys, events=(), group_buys=()) -> dict:
    """The builder's message fields (for the preview and the test send); the services check them."""
    form = CampaignForm(request.POST, tz=datetime.UTC, surveys=surveys, events=events, group_buys=group_buys,
                        products=_products(request.brand, request.POST.get("product")),
                        coupons=coupon_choices(brand_id=request.brand.pk))
    form.is_valid()  # only the message fields are read; the services refuse what is wrong in them
    data = getattr(form, "cleaned_data", {})
    body = request.POST.get("body", "")
    if bad_text(body):
        raise bad_text_error("body")
    card_kind = data.get("card_kind") or ""
    return {"body": body, "card_kind": card_kind, "channel": data.get("channel") or "direct",
            "card_payload": form.card_payload() if card_kind else {}}


class CampaignPreviewView(BrandView):
    """POST the builder's form and a customer id -> the message that customer would get, as phone HTML."""

    permission = Perm.MANAGE_CAMPAIGNS

    def post(self, request):
        def compute():
            customer = selectors.preview_customer_get(brand=self.brand, actor=self.actor,
                                                      customer_id=request.POST.get("customer", ""))
            values = _message_values(request, selectors.survey_active_list(brand=self.brand),
                                     event_choices(self.brand),
                                     selectors.builder_group_buys(brand=self.brand))
            campaign = previews.draft_message(brand=self.brand, body=values["body"], card_kind=values["card_kind"],
                                              card_payload=values["card_payload"], channel=values["channel"])
            rendered = previews.recipient_preview(campaign=campaign, customer=customer)
            message = {"kind": rendered.kind, "body": rendered.body, "payload": rendered.payload,
                       "sender_name": rendered.sender.name}
            html = render_to_string("campaigns/_phone_message.html", {"m": message, "customer": customer},
                                    request=request)
            return {"customer": {"id": customer.pk, "name": customer.name}, "sender_name": rendered.sender.name,
                    "body": rendered.body, "html": html}

        return _json(compute)


class CampaignSendTestView(BrandView):
    """POST the builder's form -> the message, rendered for you, in your own chat with the brand."""

    permission = Perm.MANAGE_CAMPAIGNS

    def post(self, request):
        def compute():
            values = _message_values(request, selectors.survey_active_list(brand=self.brand),
                                     event_choices(self.brand),
                                     selectors.builder_group_buys(brand=self.brand))
            previews.campaign_send_test(brand=self.brand, actor=self.actor, body=values["body"],
                                        card_kind=values["card_kind"], card_payload=values["card_payload"],
                                        channel=values["channel"])
            return {"ok": True, "message": _("Sent to your own chat: open %(url)s on your phone.")
                    % {"url": request.build_absolute_uri(reverse("chats:customer_home"))}}

        return _json(compute)


class CustomerSearchView(BrandView):
    """GET ?q=name -> up to 10 customers to preview the message for."""

    permission = Perm.MANAGE_CAMPAIGNS

    def get(self, request):
        search = request.GET.get("q", "")[:100]
        customers = selectors.preview_customers(brand=self.brand, actor=self.actor, search=search)
        return JsonResponse({"results": [{"id": c.pk, "name": c.name} for c in customers]})


class CampaignCalendarView(BrandView):
    """The schedule (what goes out next) and a month calendar, in the brand's time zone."""

    permission = Perm.MANAGE_CAMPAIGNS

    def get(self, request):
        tz = self.brand.tzinfo
        today = timezone.now().astimezone(tz).date()
        year = query_int(request, "year", minimum=1) or today.year
        month = query_int(request, "month", minimum=1) or today.month
        if not (2000 <= year <= 2100 and 1 <= month <= 12):
            raise ApplicationError("invalid", _("No such month."), fields={"month": [_("No such month.")]})
        start = datetime.datetime(year, month, 1, tzinfo=tz)
        end_year, end_month = (year + 1, 1) if month == 12 else (year, month + 1)
        end = datetime.datetime(end_year, end_month, 1, tzinfo=tz)
        by_day: dict[datetime.date, list] = {}
        for entry in selectors.campaign_calendar(brand=self.brand, start=start, end=end):
            by_day.setdefault(entry.at.astimezone(tz).date(), []).append(entry)
        weeks = [[{"day": day, "in_month": day.month == month, "today": day == today,
                   "entries": by_day.get(day, [])} for day in week]
                 for week in calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)]
        previous = (year - 1, 12) if month == 1 else (year, month - 1)
        return render(request, "campaigns/calendar.html", {
            "weeks": weeks, "month_start": start.date(), "previous": previous, "next": (end_year, end_month),
            "schedule": selectors.campaign_schedule_list(brand=self.brand), "tz_name": self.brand.time_zone,
            "weekdays": [label for _value, label in DAY_CHOICES],
        })
