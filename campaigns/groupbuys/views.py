"""Dashboard pages of group-buys (list, create, edit, the page with participants and referrals, posting the
card in a group) and the customer's referral page /g/<code>/. Thin: parse, call the services, render."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from communities.groups.selectors import group_get, group_list
from communities.join.forms import JoinForm
from communities.join.middleware import remember_device
from crm.customers.selectors import customer_for_user
from privtraffic.tenancy.actors import CustomerActor
from privtraffic.tenancy.customer_pages import CustomerPageView, CustomerScope
from privtraffic.tenancy.dashboard import BrandView, flash_errors, form_errors
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.parsing import query_choice, query_int
from privtraffic.tenancy.roles import Perm

from . import selectors, services
from .cards import card_state_for
from .forms import GroupBuyForm, PostToGroupForm, tiers_as_lines
from .models import GroupBuyStatus

PAGE_SIZE = 25
PARTICIPANTS_PAGE = 100


def _group_buy_or_404(view, group_buy_id):
    group_buy = selectors.group_buy_get(view.brand, group_buy_id=group_buy_id)
    if group_buy is None:
        raise ApplicationError.not_found("group-buy")
    return group_buy


class GroupBuyListView(BrandView):
    permission = Perm.MANAGE_CAMPAIGNS

    def get(self, request):
        status = query_choice(request, "status", GroupBuyStatus.values) or ""
        page = Paginator(selectors.group_buy_list(self.brand, status=status), PAGE_SIZE).get_page(
            query_int(request, "page", minimum=1) or 1)
        return render(request, "campaigns/groupbuys/list.html", {
            "page": page, "status": status, "statuses": GroupBuyStatus.choices,
            "any_group_buy": bool(status) or page.paginator.count > 0})


class _FormPage(BrandView):
    permission = Perm.MANAGE_CAMPAIGNS

    def _form(self, data=None, initial=None):
        return GroupBuyForm(data, initial=initial, tz=self.brand.tzinfo,
                            products=selectors.product_choices(self.brand))

    def _render(self, request, form, group_buy=None, status=200):
        return render(request, "campaigns/groupbuys/form.html", {"form": form, "group_buy": group_buy},
                      status=status)

    def _save(self, request, group_buy=None):
        form = self._form(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            with form_errors(form) as outcome:
                saved = services.group_buy_save(brand=self.brand, actor=self.actor, product_id=data["product"],
                                                title=data["title"], tiers=data["tiers"], deadline=data["deadline"],
                                                group_buy=group_buy)
            if outcome.ok:
                messages.success(request, _("Group-buy saved."))
                return redirect("groupbuys:detail", slug=self.brand.slug, groupbuy_id=saved.pk)
        return self._render(request, form, group_buy, status=400)


class GroupBuyCreateView(_FormPage):
    def get(self, request):
        return self._render(request, self._form())

    def post(self, request):
        return self._save(request)


class GroupBuyEditView(_FormPage):
    def get(self, request, groupbuy_id):
        group_buy = _group_buy_or_404(self, groupbuy_id)
        local = timezone.localtime(group_buy.deadline, self.brand.tzinfo)
        return self._render(request, self._form(initial={
            "product": str(group_buy.product_id), "title": group_buy.title, "tiers": tiers_as_lines(group_buy.tiers),
            "deadline": local.strftime("%Y-%m-%dT%H:%M")}), group_buy)

    def post(self, request, groupbuy_id):
        return self._save(request, _group_buy_or_404(self, groupbuy_id))


class GroupBuyDetailView(BrandView):
    permission = Perm.MANAGE_CAMPAIGNS

    def get(self, request, groupbuy_id):
        return self._render(request, _group_buy_or_404(self, groupbuy_id))

    def _render(self, request, group_buy, post_form=None, status=200):
        participants = Paginator(selectors.participant_list(self.brand, group_buy=group_buy), PARTICIPANTS_PAGE)
        page = participants.get_page(query_int(request, "page", minimum=1) or 1)
        return render(request, "campaigns/groupbuys/detail.html", {
            "group_buy": group_buy, "state": card_state_for(group_buy, None, customer=False),
            "participants": page, "referrers": selectors.referrers_of(self.brand, group_buy=group_buy),
            "post_form": post_form or PostToGroupForm(groups=group_list(brand=self.brand, actor=self.actor)),
            "open": group_buy.status == GroupBuyStatus.OPEN}, status=status)


class GroupBuyPostView(GroupBuyDetailView):
    """Post the group-buy's card in one of the brand's VIP groups."""

    def get(self, request, groupbuy_id):
        group_buy = _group_buy_or_404(self, groupbuy_id)
        return redirect("groupbuys:detail", slug=self.brand.slug, groupbuy_id=group_buy.pk)

    def post(self, request, groupbuy_id):
        group_buy = _group_buy_or_404(self, groupbuy_id)
        form = PostToGroupForm(request.POST, groups=group_list(brand=self.brand, actor=self.actor))
        if not form.is_valid():
            return self._render(request, group_buy, post_form=form, status=400)
        group = group_get(brand=self.brand, group_id=form.cleaned_data["group"], actor=self.actor)
        with form_errors(form) as outcome:
            services.group_buy_post_to_group(actor=self.actor, group_buy=group_buy, group=group)
        if not outcome.ok:
            return self._render(request, group_buy, post_form=form, status=400)
        messages.success(request, _("The card is posted in %(group)s.") % {"group": group.name})
        return redirect("groupbuys:detail", slug=self.brand.slug, groupbuy_id=group_buy.pk)


# --- the customer's referral page ----------------------------------------------------------------------


class ReferralView(CustomerPageView):
    """/g/<code>/: a participant's link. It shows the deal; a customer of the brand joins with one tap, and
    someone new gives their name and consent (as on an invite link) and is in, counted for the referrer."""

    login_required = False

    def resolve(self, request, *, token: str, **kwargs) -> CustomerScope:
        referrer = selectors.participant_by_referral_code(code=token)
        if referrer is None:
            raise ApplicationError.not_found("group-buy")
        self.referrer = referrer
        self.group_buy = referrer.group_buy
        return CustomerScope(brand=referrer.brand, customer=customer_for_user(brand=referrer.brand, user=request.user))

    def _here(self) -> str:
        return reverse("groupbuys:referral", kwargs={"token": self.referrer.referral_code})

    def _render(self, request, form=None, status=200):
        participant = None
        if self.customer is not None:
            participant = selectors.participant_of(self.brand, group_buy=self.group_buy, customer=self.customer)
        state = card_state_for(self.group_buy, participant, customer=self.customer is not None)
        is_open = self.group_buy.status == GroupBuyStatus.OPEN and self.group_buy.deadline > timezone.now()
        if form is None and self.customer is None and is_open:
            form = JoinForm()
        sign_in = f"{reverse('account_request_login_code')}?{urlencode({'next': self._here()})}"
        return render(request, "campaigns/groupbuys/referral.html", {
            "brand": self.brand, "group_buy": self.group_buy, "state": state, "participant": participant,
            "referrer_name": self.referrer.customer.name.split(" ")[0] if self.referrer.customer.name else "",
            "share_url": services.share_url(participant.referral_code) if participant else "",
            "open": is_open, "form": form, "sign_in_url": sign_in}, status=status)

    def get(self, request, token):
        return self._render(request)

    def post(self, request, token):
        if self.customer is not None:
            with flash_errors(request) as outcome:
                services.group_buy_join(actor=CustomerActor(self.customer), group_buy_id=self.group_buy.pk,
                                        referral_code=self.referrer.referral_code)
            if outcome.ok:
                messages.success(request, _("You joined the group-buy."))
            return redirect(self._here())
        form = JoinForm(request.POST)
        if not form.is_valid():
            return self._render(request, form, status=400)
        data = form.cleaned_data
        user = request.user if request.user.is_authenticated else None
        with form_errors(form, forbidden_on_form=True) as outcome:
            joined = services.group_buy_join_by_referral(
                referrer=self.referrer, name=data["name"], consent_chat=data["consent_chat"],
                consent_promotions=data["consent_promotions"], user=user,
                user_agent=request.headers.get("User-Agent", ""))
        if outcome.ok and joined.device is not None:
            remember_device(request, joined.device, joined.secret)
        if not outcome.ok:
            return self._render(request, form, status=400)
        messages.success(request, _("You joined the group-buy."))
        return redirect(self._here())
