"""Dashboard pages of outbound webhooks (admins and owners): endpoints, their delivery log, test, redeliver."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from privtraffic.tenancy.dashboard import BrandView, flash_errors, form_errors
from privtraffic.tenancy.roles import Perm

from . import selectors, services
from .catalogue import EVENT_TYPES
from .forms import WebhookEndpointForm

LOG_LIMIT = 50


class _WebhookPage(BrandView):
    permission = Perm.MANAGE_SETTINGS

    def _endpoint(self, endpoint_id):
        return selectors.webhook_endpoint_get(brand=self.brand, endpoint_id=endpoint_id)

    def _detail(self, endpoint_id):
        return redirect("campaigns:webhooks:detail", slug=self.brand.slug, endpoint_id=endpoint_id)

    def _render_detail(self, request, endpoint, form=None, status=200, **extra):
        return render(request, "campaigns/webhooks/detail.html", {
            "endpoint": endpoint, "form": form or WebhookEndpointForm.for_endpoint(endpoint),
            "deliveries": selectors.webhook_delivery_list(brand=self.brand, endpoint=endpoint)[:LOG_LIMIT],
            "log_limit": LOG_LIMIT, **extra}, status=status)


class WebhookListView(_WebhookPage):
    def get(self, request):
        return self._render(request, WebhookEndpointForm())

    def post(self, request):
        form = WebhookEndpointForm(request.POST)
        if form.is_valid():
            with form_errors(form) as outcome:
                endpoint, secret = services.webhook_endpoint_create(brand=self.brand, actor=self.actor,
                                                                    **form.cleaned_data)
            if outcome.ok:
                # The secret is on this response only.
                return self._render_detail(request, endpoint, new_secret=secret)
        return self._render(request, form, status=400)

    def _render(self, request, form, status=200):
        return render(request, "campaigns/webhooks/list.html", {
            "endpoints": selectors.webhook_endpoint_list(brand=self.brand), "form": form,
            "event_types": EVENT_TYPES}, status=status)


class WebhookDetailView(_WebhookPage):
    def get(self, request, endpoint_id):
        return self._render_detail(request, self._endpoint(endpoint_id))

    def post(self, request, endpoint_id):
        endpoint = self._endpoint(endpoint_id)
        form = WebhookEndpointForm.for_endpoint(endpoint, data=request.POST)
        if form.is_valid():
            with form_errors(form) as outcome:
                services.webhook_endpoint_update(endpoint=endpoint, actor=self.actor, **form.cleaned_data)
            if outcome.ok:
                messages.success(request, _("Webhook saved."))
                return self._detail(endpoint.pk)
        return self._render_detail(request, endpoint, form=form, status=400)


class WebhookRotateView(_WebhookPage):
    http_method_names = ["post"]

    def post(self, request, endpoint_id):
        endpoint = self._endpoint(endpoint_id)
        secret = services.webhook_secret_rotate(endpoint=endpoint, actor=self.actor)
        return self._render_detail(request, endpoint, new_secret=secret)


class WebhookActiveView(_WebhookPage):
    http_method_names = ["post"]

    def post(self, request, endpoint_id):
        endpoint = self._endpoint(endpoint_id)
        active = request.POST.get("active") == "1"
        with flash_errors(request) as outcome:
            services.webhook_endpoint_update(endpoint=endpoint, actor=self.actor, active=active)
        if outcome.ok:
            messages.success(request, _("Webhook enabled.") if active else _("Webhook disabled."))
        return self._detail(endpoint.pk)


class WebhookDeleteView(_WebhookPage):
    http_method_names = ["post"]

    def post(self, request, endpoint_id):
        endpoint = self._endpoint(endpoint_id)
        with flash_errors(request) as outcome:
            services.webhook_endpoint_delete(endpoint=endpoint, actor=self.actor)
        if outcome.ok:
            messages.success(request, _("Webhook deleted."))
        return redirect("campaigns:webhooks:list", slug=self.brand.slug)


class WebhookTestView(_WebhookPage):
    http_method_names = ["post"]

    def post(self, request, endpoint_id):
        endpoint = self._endpoint(endpoint_id)
        with flash_errors(request) as outcome:
            services.webhook_test_send(endpoint=endpoint, actor=self.actor)
        if outcome.ok:
            messages.success(request, _("Test event sent; its delivery is at the top of the log."))
        return self._detail(endpoint.pk)


class WebhookRedeliverView(_WebhookPage):
    http_method_names = ["post"]

    def post(self, request, endpoint_id, delivery_id):
        endpoint = self._endpoint(endpoint_id)
        delivery = selectors.webhook_delivery_get(brand=self.brand, endpoint=endpoint, delivery_id=delivery_id)
        with flash_errors(request) as outcome:
            services.webhook_delivery_redeliver(delivery=delivery, actor=self.actor)
        if outcome.ok:
            messages.success(request, _("Delivery queued again."))
        return self._detail(endpoint.pk)
