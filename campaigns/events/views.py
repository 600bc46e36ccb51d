"""Event pages: the list, create and edit (marketers), the event's page with its attendance, the check-in page
a rep opens at the door (camera scan or typed code), the attendance CSV; and the customer's QR code."""

from __future__ import annotations

import csv
import io

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django_permissions_policy import PermissionsPolicyMiddleware

from chats import selectors as chat_selectors
from communities.groups.selectors import group_list
from communities.invites.qr import qr_svg
from privtraffic.tenancy.customer_pages import CustomerPageView, CustomerScope
from privtraffic.tenancy.dashboard import BrandView, form_errors
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.roles import Perm
from privtraffic.tenancy.selectors import store_list

from . import selectors, services
from .formatting import event_when
from .forms import CheckinForm, EventForm, event_initial
from .models import RsvpStatus

LIST_LIMIT = 100


class EventListView(BrandView):
    permission = Perm.CHAT

    def get(self, request):
        upcoming = list(selectors.event_list(self.brand, upcoming=True)[:LIST_LIMIT])
        past = list(selectors.event_list(self.brand, upcoming=False)[:LIST_LIMIT])
        for event in (*upcoming, *past):
            event.when = event_when(event)
        return render(request, "campaigns/events/list.html", {
            "upcoming": upcoming, "past": past, "limit": LIST_LIMIT, "can_manage": self.can(Perm.MANAGE_CAMPAIGNS)})


class _EventFormPage(BrandView):
    permission = Perm.MANAGE_CAMPAIGNS
    template = "campaigns/events/form.html"

    def _choices(self):
        groups = {g.pk: g for g in group_list(brand=self.brand, actor=self.actor)}
        stores = {s.pk: s for s in store_list(brand=self.brand)}
        return groups, stores

    def _form(self, data=None, initial=None):
        groups, stores = self._choices()
        return EventForm(data, initial=initial, tz=self.brand.tzinfo, groups=groups.values(), stores=stores.values())

    def _render(self, request, form, event=None, status=200):
        return render(request, self.template, {"form": form, "event": event}, status=status)


class EventCreateView(_EventFormPage):
    def get(self, request):
        return self._render(request, self._form())

    def post(self, request):
        form = self._form(request.POST)
        if form.is_valid():
            groups, stores = self._choices()
            with form_errors(form) as outcome:
                event = services.event_create(brand=self.brand, actor=self.actor,
                                              **form.service_fields(groups=groups, stores=stores))
            if outcome.ok:
                messages.success(request, _("Event created."))
                return redirect("events:detail", slug=self.brand.slug, event_id=event.pk)
        return self._render(request, form, status=400)


class EventEditView(_EventFormPage):
    def get(self, request, event_id):
        event = selectors.event_get(self.brand, event_id=event_id)
        return self._render(request, self._form(initial=event_initial(event, self.brand.tzinfo)), event)

    def post(self, request, event_id):
        event = selectors.event_get(self.brand, event_id=event_id)
        form = self._form(request.POST)
        if form.is_valid():
            groups, stores = self._choices()
            with form_errors(form) as outcome:
                services.event_update(actor=self.actor, event=event, **form.service_fields(groups=groups, stores=stores))
            if outcome.ok:
                messages.success(request, _("Event saved."))
                return redirect("events:detail", slug=self.brand.slug, event_id=event.pk)
        return self._render(request, form, event, status=400)


class EventDetailView(BrandView):
    permission = Perm.CHAT

    def get(self, request, event_id):
        event = selectors.event_get(self.brand, event_id=event_id)
        return render(request, "campaigns/events/detail.html", {
            "event": event, "when": event_when(event), "counts": selectors.event_counts(self.brand, event=event),
            "going": list(selectors.event_rsvps(self.brand, event=event, status=RsvpStatus.GOING)),
            "waitlist": list(selectors.event_rsvps(self.brand, event=event, status=RsvpStatus.WAITLISTED)),
            "checked_in": list(selectors.event_rsvps(self.brand, event=event, status=RsvpStatus.CHECKED_IN)),
            "can_manage": self.can(Perm.MANAGE_CAMPAIGNS)})


def _camera_allowed(response: HttpResponse) -> HttpResponse:
    """The check-in page may use this site's camera (every other page may not: settings.PERMISSIONS_POLICY)."""
    policy = {**settings.PERMISSIONS_POLICY, "camera": ["self"]}
    response._permissions_policy_override = PermissionsPolicyMiddleware.compute_header_value(
        policy, name="PERMISSIONS_POLICY")
    return response


class EventCheckinView(BrandView):
    permission = Perm.CHAT

    def _render(self, request, event, form, checked=None, status=200):
        counts = selectors.event_counts(self.brand, event=event)
        return _camera_allowed(render(request, "campaigns/events/checkin.html", {
            "event": event, "when": event_when(event), "form": form, "checked": checked, "counts": counts,
            "going_total": counts[RsvpStatus.GOING] + counts[RsvpStatus.CHECKED_IN]}, status=status))

    def get(self, request, event_id):
        event = selectors.event_get(self.brand, event_id=event_id)
        return self._render(request, event, CheckinForm())

    def post(self, request, event_id):
        event = selectors.event_get(self.brand, event_id=event_id)
        form = CheckinForm(request.POST)
        if not form.is_valid():
            return self._render(request, event, form, status=400)
        with form_errors(form) as outcome:
            rsvp = services.event_checkin(actor=self.actor, event=event, code=form.cleaned_data["code"])
        if not outcome.ok:
            return self._render(request, event, form, status=outcome.error.status)
        return self._render(request, event, CheckinForm(), checked=rsvp)


class EventAttendanceCsvView(BrandView):
    """Names with emails and phones of everyone who answered: for the brand's marketers and admins (reps at the
    door see the names on the event page)."""

    permission = Perm.MANAGE_CAMPAIGNS

    def get(self, request, event_id):
        event = selectors.event_get(self.brand, event_id=event_id)
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([_("Name"), _("Email"), _("Phone"), _("Status"), _("Waitlist position"), _("RSVP at"),
                         _("Checked in at"), _("Checked in by")])
        tz = self.brand.tzinfo

        def local(moment):
            return timezone.localtime(moment, tz).strftime("%Y-%m-%d %H:%M") if moment else ""

        for rsvp in selectors.event_rsvps(self.brand, event=event):
            c = rsvp.customer
            # A cell starting with = + - @ would run as a formula in a spreadsheet: quote it.
            cells = [c.name, c.email, c.phone, rsvp.get_status_display(), rsvp.waitlist_position or "",
                     local(rsvp.created_at), local(rsvp.checked_in_at),
                     rsvp.checked_in_by.user.display_name if rsvp.checked_in_by else ""]
            writer.writerow([f"'{v}" if isinstance(v, str) and v[:1] in ("=", "+", "-", "@") else v for v in cells])
        response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="event-{event.pk}-attendance.csv"'
        return response


class CustomerEventQrView(CustomerPageView):
    """/chat/events/<id>/qr.svg: the signed-in customer's own check-in code as a QR (404 without a seat)."""

    def resolve(self, request, *, event_id) -> CustomerScope:
        brand_id = selectors.event_brand_id(event_id)
        identity = chat_selectors.chat_identity_for_user(user=request.user)
        customer = identity.customer_in(brand_id) if brand_id is not None else None
        if customer is None:
            raise ApplicationError.not_found("event")
        return CustomerScope(brand=customer.brand, customer=customer)

    def get(self, request, event_id):
        event = selectors.event_get(self.brand, event_id=event_id)
        rsvp = selectors.rsvp_for_customer(self.brand, event=event, customer=self.customer)
        if rsvp is None or rsvp.status not in (RsvpStatus.GOING, RsvpStatus.CHECKED_IN):
            raise ApplicationError.not_found("check-in code")
        response = HttpResponse(qr_svg(rsvp.checkin_code, title=_("Check-in code")), content_type="image/svg+xml")
        response["Cache-Control"] = "private, no-store"
        return response
