"""The customer join flow: /join/<token>/ from a link or a QR code, on a phone.

New people give a name and email, confirm an emailed one-time code (allauth), and land in the chat.
Returning customers skip straight in with one tap. Every page here resolves the invite (and so the brand)
from the token once, in `resolve()`: an unknown token is a 404, a dead link a 410 page that points to the
brand's stores.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from allauth.account.internal.flows.login_by_code import LoginCodeVerificationProcess
from allauth.core import ratelimit
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from crm.customers.selectors import customer_for_user
from crm.customers.services import customer_join_as_user
from crm.surveys.selectors import onboarding_survey_pending
from privtraffic.accounts.services import customer_user_get_or_create
from privtraffic.tenancy.actors import SystemActor
from privtraffic.tenancy.customer_pages import CustomerPageView, CustomerScope
from privtraffic.tenancy.dashboard import Outcome, form_errors
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.selectors import store_list

from ..groups.selectors import group_series
from ..invites import qr
from ..invites.selectors import invite_by_token
from ..invites.services import JOIN_SOURCES, invite_join, invite_open_record, invite_unusable_error
from ..models import InviteKind, InviteLink
from .forms import JoinAsKnownUserForm, JoinForm

PENDING_JOIN_KEY = "pending_join"


@contextmanager
def refusals() -> Iterator[Outcome]:
    """Run a service for the person on a join page without a form. Every refusal here is about them
    (removed from the group, an email not proven, a link that died meanwhile), so the page shows it, where
    CustomerPageView would turn a 403 into a 404."""
    outcome = Outcome()
    try:
        yield outcome
    except ApplicationError as exc:
        outcome.ok, outcome.error = False, exc


class InvitePage(CustomerPageView):
    """A page named by an invite token. No login needed: the token is the secret."""

    login_required = False

    def resolve(self, request, *, token: str, **kwargs) -> CustomerScope:
        invite = invite_by_token(token=token)
        if invite is None:
            raise ApplicationError.not_found("invite")
        self.invite: InviteLink = invite
        return CustomerScope(brand=invite.brand, extra={"invite": invite})

    def context(self, **extra) -> dict:
        invite, group = self.invite, self.invite.group
        context = {"invite": invite, "brand": invite.brand, "group": group, "rep": invite.rep}
        if group is not None:
            context["series"] = group_series(group=group)
        return {**context, **extra}

    def gone(self, request, reason: str) -> HttpResponse:
        context = {"invite": self.invite, "brand": self.brand, "reason": reason,
                   "message": invite_unusable_error(reason).message, "stores": store_list(brand=self.brand)[:5]}
        return render(request, "communities/join_gone.html", context, status=410)

    def join(self, request, customer) -> HttpResponse:
        """Use the invite for this customer, then on to the onboarding survey (once) or the chat."""
        with refusals() as outcome:
            result = invite_join(invite=self.invite, customer=customer)
        if not outcome.ok:
            if outcome.error.status == 410:
                return self.gone(request, outcome.error.code.removeprefix("invite_"))
            return render(request, "communities/join.html", self.context(error=outcome.error.message),
                          status=outcome.error.status)
        landing = _landing_url(self.invite, result)
        survey = onboarding_survey_pending(brand=self.brand, customer=customer)
        if survey is not None:
            take = reverse("crm_surveys:take", kwargs={"survey_id": survey.pk})
            return redirect(f"{take}?{urlencode({'next': landing})}")
        return redirect(landing)


def _landing_url(invite: InviteLink, result) -> str:
    """Where a joined customer lands: the group's chat, or the 1:1 chat with their rep."""
    if invite.kind == InviteKind.GROUP:
        return reverse("chats:customer_group", kwargs={"group_id": result.group_id})
    return reverse("chats:customer_direct", kwargs={"customer_id": result.pk})


class JoinView(InvitePage):
    def resolve(self, request, **kwargs) -> CustomerScope:
        scope = super().resolve(request, **kwargs)
        scope.customer = customer_for_user(brand=scope.brand, user=request.user)
        return scope

    def get(self, request, token: str):
        reason = self.invite.unusable_reason()
        if reason:
            return self.gone(request, reason)
        invite_open_record(invite=self.invite, actor=SystemActor.for_brand(self.brand, "join:open"))  # the funnel's first step
        form = None
        if self.customer is None:
            form = JoinAsKnownUserForm() if request.user.is_authenticated else JoinForm()
        return render(request, "communities/join.html", self.context(customer=self.customer, form=form))

    def post(self, request, token: str):
        reason = self.invite.unusable_reason()
        if reason:
            return self.gone(request, reason)
        if self.customer is not None:
            return self.join(request, self.customer)  # a returning customer: straight in

        form = (JoinAsKnownUserForm if request.user.is_authenticated else JoinForm)(request.POST)
        if not form.is_valid():
            return render(request, "communities/join.html", self.context(form=form), status=400)
        data = form.cleaned_data
        if request.user.is_authenticated:
            return self._create_customer_and_join(request, data, form)

        email = data["email"].strip().lower()
        if not ratelimit.consume(request, action="request_login_code", key=email):
            form.add_error("email", _("Too many codes were sent to this address. Wait a few minutes and try again."))
            return render(request, "communities/join.html", self.context(form=form), status=429)
        # Prove the email with a one-time code, then finish at join_complete (for this email only).
        request.session[PENDING_JOIN_KEY] = {
            "token": self.invite.token, "email": email, "name": data["name"], "consent_chat": data["consent_chat"],
            "consent_promotions": data["consent_promotions"],
        }
        user = customer_user_get_or_create(email=data["email"], name=data["name"])
        LoginCodeVerificationProcess.initiate(request=request, user=user, email=user.email)
        complete = reverse("communities:join_complete", kwargs={"token": self.invite.token})
        return redirect(f"{reverse('account_confirm_login_code')}?{urlencode({'next': complete})}")

    def _create_customer_and_join(self, request, data, form):
        invite = self.invite
        with form_errors(form, forbidden_on_form=True) as outcome:  # e.g. an email this login never proved
            customer = customer_join_as_user(
                brand=self.brand, user=request.user, name=data["name"], source=JOIN_SOURCES[invite.kind],
                source_ref=invite.token, consent_chat=data["consent_chat"],
                consent_promotions=data["consent_promotions"], home_store=invite.store,
            )
        if not outcome.ok:
            return render(request, "communities/join.html", self.context(form=form), status=400)
        return self.join(request, customer)


class JoinCompleteView(InvitePage):
    """After the code: create the customer with the consents given on the form, then join.

    Only a join this browser started, for this token and this verified email, is completed here,
    so a link from elsewhere cannot join a signed-in person to anything.
    """

    login_required = True

    def get(self, request, token: str):
        invite = self.invite
        pending = request.session.pop(PENDING_JOIN_KEY, None)
        if not pending or pending.get("token") != token or pending.get("email") != request.user.email:
            return redirect("communities:join", token=token)
        reason = invite.unusable_reason()
        if reason:
            return self.gone(request, reason)
        with refusals() as outcome:
            customer = customer_join_as_user(
                brand=self.brand, user=request.user, name=pending["name"], source=JOIN_SOURCES[invite.kind],
                source_ref=invite.token, consent_chat=pending["consent_chat"],
                consent_promotions=pending["consent_promotions"], home_store=invite.store,
            )
        if not outcome.ok:
            return render(request, "communities/join.html", self.context(error=outcome.error.message),
                          status=outcome.error.status)
        return self.join(request, customer)

    post = get


class JoinQrSvgView(InvitePage):
    def get(self, request, token: str):
        url = request.build_absolute_uri(reverse("communities:join", kwargs={"token": self.invite.token}))
        return HttpResponse(qr.qr_svg(url), content_type="image/svg+xml")


class JoinQrPngView(InvitePage):
    def get(self, request, token: str):
        url = request.build_absolute_uri(reverse("communities:join", kwargs={"token": self.invite.token}))
        response = HttpResponse(qr.qr_png(url), content_type="image/png")
        if request.GET.get("download"):
            response["Content-Disposition"] = f'attachment; filename="join-{self.brand.slug}-{self.invite.pk}.png"'
        return response
