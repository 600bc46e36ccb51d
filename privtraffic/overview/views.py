"""The brand home, /b/<slug>/ (URL name `tenancy:overview`): how the brand's private traffic is doing.

It sits in the configuration layer because it reads every app's figures: crm (members, active customers,
the funnel), communities (group joins, invite opens, top groups) and chats (messages, first responses).
Each figure comes from a selector of the app that owns the data and links to the list behind it. Until a new
brand has its first store, rep, group and invite, and customer, a checklist shows the next step.
"""

import datetime
from urllib.parse import urlencode

from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from campaigns.results.overview import campaign_period_summaries
from chats.analytics import selectors as chat_stats
from chats.analytics.services import analytics_days_fill
from communities.analytics import selectors as community_stats
from crm.analytics import selectors as crm_stats
from privtraffic.tenancy.actors import SystemActor, actor_store_id
from privtraffic.tenancy.dashboard import BrandView
from privtraffic.tenancy.parsing import query_choice, query_int
from privtraffic.tenancy.roles import Perm, Role
from privtraffic.tenancy.selectors import member_list, store_choices, store_get

from . import charts

PERIODS = ("7", "30", "90")
DEFAULT_PERIOD = "30"
TOP = 5


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    seconds = round(seconds)
    if seconds < 60:
        return _("%(n)d s") % {"n": seconds}
    if seconds < 3600:
        return _("%(n)d min") % {"n": round(seconds / 60)}
    if seconds < 86400:
        return _("%(h)d h %(m)d min") % {"h": seconds // 3600, "m": (seconds % 3600) // 60}
    return _("%(n).1f days") % {"n": seconds / 86400}


class OverviewView(BrandView):
    permission = Perm.VIEW_DASHBOARD

    def get(self, request):
        brand = self.brand
        period = int(query_choice(request, "period", PERIODS) or DEFAULT_PERIOD)
        # Store-scoped roles see their own store's figures; others pick a store or the whole brand.
        store_id = actor_store_id(self.actor)
        if store_id is None:
            store_id = query_int(request, "store")
        store = store_get(brand=brand, store_id=store_id) if store_id is not None else None
        today = timezone.localdate(timezone=brand.tzinfo)
        days = [today - datetime.timedelta(days=n) for n in range(period - 1, -1, -1)]
        start = datetime.datetime.combine(days[0], datetime.time.min, tzinfo=brand.tzinfo)
        scope = {"start": start, "store_id": store_id}
        context = {
            "period": period, "periods": [int(p) for p in PERIODS], "store": store,
            "stores": store_choices(brand=brand, actor=self.actor),
            "store_fixed": actor_store_id(self.actor) is not None,
            "checklist": self._checklist(),
        }
        context.update(self._growth(days, scope))
        # Finished days of chat figures come from daily rollups: write any the period still lacks (once).
        analytics_days_fill(brand=brand, actor=SystemActor.for_brand(brand, "overview"), since=days[0])
        responses = chat_stats.first_response_stats(brand, **scope)
        context.update(self._messages(days, scope, responses))
        context["links"] = links = self._links(period, store_id)
        context.update(self._funnel(scope, links))
        context["active"] = crm_stats.customer_active_count(brand, since=start, store_id=store_id)
        context["top_groups"] = community_stats.group_top_by_joins(brand, limit=TOP, **scope)
        context.update(self._reps(scope, responses))
        # Campaign results are for those who run campaigns (a rep's overview has no campaign panel).
        context["campaigns"] = self._campaigns(scope) if self.can(Perm.MANAGE_CAMPAIGNS) else None
        return render(request, "overview/overview.html", context)

    def _campaigns(self, scope) -> list[dict]:
        """What the period's campaigns did; each row drills into that campaign's results page."""
        return [{"summary": summary, "revenue": ", ".join(f"{amount} {currency}" for currency, amount
                                                          in summary.attributed.revenue_text.items()),
                 "url": reverse("campaigns:results", kwargs={"slug": self.brand.slug,
                                                              "campaign_id": summary.campaign_id})}
                for summary in campaign_period_summaries(self.brand, limit=TOP, **scope)]

    def _links(self, period: int, store_id: int | None) -> dict:
        slug = self.brand.slug
        customers = reverse("crm:customers", kwargs={"slug": slug})

        def customers_where(**filters) -> str:
            if store_id is not None:
                filters["store"] = store_id
            return f"{customers}?{urlencode(filters)}" if filters else customers

        return {
            "customers": customers_where(),
            "joined": customers_where(joined_days=period),
            "active": customers_where(active_days=period),
            "via_invite": customers_where(joined_days=period, via="invite"),
            "surveyed": customers_where(joined_days=period, via="invite", surveyed=1),
            "ordered": customers_where(joined_days=period, via="invite", ordered=1),
        }

    def _checklist(self) -> list[dict] | None:
        brand, slug = self.brand, self.brand.slug
        steps = [
            (store_choices(brand=brand, actor=self.actor).exists(), _("Add your first store"),
             reverse("tenancy:stores", kwargs={"slug": slug})),
            (member_list(brand=brand, actor=self.actor, role=Role.REP).exists(), _("Invite your first rep"),
             reverse("tenancy:team", kwargs={"slug": slug})),
            (community_stats.group_exists(brand) and community_stats.invite_exists(brand),
             _("Create a group and its invite link"), reverse("communities:groups", kwargs={"slug": slug})),
            (crm_stats.customer_exists(brand), _("Welcome your first customer (share the invite link or QR code)"),
             reverse("communities:invites", kwargs={"slug": slug})),
        ]
        if all(done for done, _label, _url in steps):
            return None
        return [{"done": done, "label": label, "url": url} for done, label, url in steps]

    def _growth(self, days, scope) -> dict:
        growth = crm_stats.customer_growth(self.brand, **scope)
        joins = [growth["by_day"].get(day, 0) for day in days]
        members, running = [], growth["before"]
        for n in joins:
            running += n
            members.append(running)
        labels = [date_format(day, "M j") for day in days]
        chart = charts.bar_chart(title=_("Customers joining per day, and all customers"), labels=labels,
                                 series=[("chart-joins", _("joined"), joins)],
                                 line=("chart-members", _("customers"), members))
        return {"members": running, "joins": sum(joins), "growth_chart": chart,
                "group_joins": community_stats.group_joins_count(self.brand, **scope)}

    def _messages(self, days, scope, responses) -> dict:
        by_day = chat_stats.message_counts_by_day(self.brand, **scope)
        customer = [by_day.get(day, {}).get("customer", 0) for day in days]
        staff = [by_day.get(day, {}).get("staff", 0) for day in days]
        chart = charts.bar_chart(title=_("Messages per day by customers and by staff"),
                                 labels=[date_format(day, "M j") for day in days],
                                 series=[("chart-customer", _("customers"), customer), ("chart-staff", _("staff"), staff)])
        return {"messages_customer": sum(customer), "messages_staff": sum(staff), "messages_chart": chart,
                "response_median": duration_text(responses["median"]), "response_count": responses["count"]}

    def _funnel(self, scope, links) -> dict:
        opened = community_stats.invite_open_count(self.brand, **scope)
        counts = crm_stats.customer_funnel(self.brand, **scope)
        steps = [(_("Opened an invite"), opened), (_("Joined"), counts["joined"]),
                 (_("Answered a survey"), counts["surveyed"]), (_("Ordered"), counts["ordered"])]
        urls = [reverse("communities:invites", kwargs={"slug": self.brand.slug}), links["via_invite"],
                links["surveyed"], links["ordered"]]
        rows, previous = [], None
        for (name, value), url in zip(steps, urls, strict=True):
            rate = None if previous in (None, 0) else round(100 * value / previous)
            rows.append({"name": name, "value": value, "rate": rate, "url": url})
            previous = value
        return {"funnel": rows, "funnel_chart": charts.funnel_chart(title=_("Invite funnel"), steps=steps)}

    def _reps(self, scope, responses) -> dict:
        new_customers = crm_stats.rep_new_customer_counts(self.brand, **scope)
        by_user = responses["by_user"]
        rows = []
        for rep in member_list(brand=self.brand, actor=self.actor, role=Role.REP, store_id=scope["store_id"]):
            answered = by_user.get(rep.user_id, {})
            row = {"rep": rep, "new": new_customers.get(rep.pk, 0), "answered": answered.get("count", 0),
                   "median": duration_text(answered.get("median")),
                   "url": reverse("crm:customers", kwargs={"slug": self.brand.slug}) + "?" + urlencode({"rep": rep.pk})}
            if row["new"] or row["answered"]:
                rows.append(row)
        rows.sort(key=lambda r: (-r["new"], -r["answered"], r["rep"].user.email))
        return {"top_reps": rows[:TOP]}
