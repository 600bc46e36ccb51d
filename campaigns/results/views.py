"""The results page of a campaign (/b/<slug>/campaigns/<id>/results/) and the tracked card link (/c/<token>/)."""

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from privtraffic.tenancy.actors import SystemActor
from privtraffic.tenancy.customer_pages import CustomerPageView, CustomerScope
from privtraffic.tenancy.dashboard import BrandView, form_errors
from privtraffic.tenancy.roles import Perm

from ..authoring.selectors import campaign_get
from ..models import SkipReason
from ..orders.selectors import campaign_order_attributions
from . import selectors, services
from .chart import chart_build
from .forms import AttributionForm


class CampaignResultsView(BrandView):
    permission = Perm.MANAGE_CAMPAIGNS

    def get(self, request, campaign_id):
        campaign = campaign_get(brand=self.brand, campaign_id=campaign_id)
        settings = selectors.campaign_settings_get(self.brand)
        return self._render(request, campaign, AttributionForm(initial={"attribution_days": settings.attribution_days}))

    def post(self, request, campaign_id):
        campaign = campaign_get(brand=self.brand, campaign_id=campaign_id)
        form = AttributionForm(request.POST)
        if form.is_valid():
            with form_errors(form) as outcome:
                services.campaign_settings_save(brand=self.brand, actor=self.actor, **form.cleaned_data)
            if outcome.ok:
                messages.success(request, _("Attribution window saved."))
                return redirect("campaigns:results", slug=self.brand.slug, campaign_id=campaign.pk)
        return self._render(request, campaign, form, status=400)

    def _render(self, request, campaign, form, status=200):
        stats = selectors.campaign_stats(self.brand, campaign=campaign)
        reasons = dict(SkipReason.choices)
        return render(request, "campaigns/results.html", {
            "campaign": campaign, "stats": stats, "form": form,
            "skipped_by_reason": sorted(((reasons.get(r, r), n) for r, n in stats["skipped_by_reason"].items()),
                                        key=lambda item: -item[1]),
            "breakdowns": selectors.campaign_breakdowns(self.brand, campaign=campaign,
                                                        no_rep_label=_("Brand persona / brand")),
            "chart": chart_build(selectors.campaign_series(self.brand, campaign=campaign)),
            "order_attributions": campaign_order_attributions(self.brand, campaign=campaign),
        }, status=status)


class CardClickView(CustomerPageView):
    """No login: the signed link names the recipient's delivery. Counts the click, then redirects to the card's
    link. A forged or stale link is a 404."""

    login_required = False

    def resolve(self, request, *, token: str) -> CustomerScope:
        delivery, target = selectors.delivery_for_click(token=token)
        return CustomerScope(brand=delivery.brand, extra={"delivery": delivery, "target": target})

    def get(self, request, token: str):
        delivery = self.scope.extra["delivery"]
        services.delivery_click(delivery=delivery, actor=SystemActor.for_brand(self.brand, "link:card_click"))
        response = HttpResponseRedirect(self.scope.extra["target"])
        response["Referrer-Policy"] = "no-referrer"  # the token stays on this site
        response["Cache-Control"] = "no-store"
        return response
