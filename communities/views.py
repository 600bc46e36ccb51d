"""The customer join flow: /join/<token>/ from a link or a QR code, on a phone.

New people give a name and email, confirm an emailed one-time code (allauth),
and land in the chat. Returning customers skip straight in with one tap.
"""

from allauth.account.internal.flows.login_by_code import LoginCodeVerificationProcess
from allauth.core import ratelimit
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views import View

from crm.customers.selectors import customer_for_user
from crm.customers.services import customer_join_as_user
from crm.surveys.selectors import onboarding_survey_pending
from privtraffic.accounts.services import customer_user_get_or_create
from privtraffic.tenancy.dashboard import form_apply_error
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.selectors import store_list

from . import qr, selectors, services
from .forms import JoinAsKnownUserForm, JoinForm
from .models import InviteKind, InviteLink

PENDING_JOIN_KEY = "pending_join"


def _usable_invite(token: str) -> InviteLink:
    invite = selectors.invite_by_token(token=token)
    if invite is None:
        raise Http404(_("No such invite."))
    return invite


def _gone(request, invite: InviteLink, reason: str) -> HttpResponse:
    context = {"invite": invite, "brand": invite.brand, "reason": reason,
               "message": services.invite_unusable_error(reason).message,
               "stores": store_list(brand=invite.brand)[:5]}
    return render(request, "communities/join_gone.html", context, status=410)


def _landing_url(invite: InviteLink, result) -> str:
    """Where a joined customer lands: the group's chat, or the 1:1 chat with their rep."""
    if invite.kind == InviteKind.GROUP:
        return reverse("chats:customer_group", kwargs={"group_id": result.group_id})
    return reverse("chats:customer_direct", kwargs={"customer_id": result.pk})


def _join(request, invite: InviteLink, customer) -> HttpResponse:
    try:
        result = services.invite_join(invite=invite, customer=customer)
    except ApplicationError as exc:
        if exc.status == 410:
            return _gone(request, invite, exc.code.removeprefix("invite_"))
        return render(request, "communities/join.html", _context(invite, error=exc.message), status=exc.status)
    landing = _landing_url(invite, result)
    # The brand's onboarding survey comes first (once: answered or skipped), then the chat.
    survey = onboarding_survey_pending(brand=invite.brand, customer=customer)
    if survey is not None:
        take = reverse("crm_surveys:take", kwargs={"survey_id": survey.pk})
        return redirect(f"{take}?{urlencode({'next': landing})}")
    return redirect(landing)


def _context(invite: InviteLink, **extra) -> dict:
    group = invite.group
    context = {"invite": invite, "brand": invite.brand, "group": group, "rep": invite.rep}
    if group is not None:
        context["series"] = selectors.group_series(group=group)
    return {**context, **extra}


class JoinView(View):
    def dispatch(self, request, *args, token: str, **kwargs):
        self.invite = _usable_invite(token)
        reason = self.invite.unusable_reason()
        if reason:
            return _gone(request, self.invite, reason)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        invite = self.invite
        customer = customer_for_user(brand=invite.brand, user=request.user)
        form = None
        if customer is None:
            form = JoinAsKnownUserForm() if request.user.is_authenticated else JoinForm()
        return render(request, "communities/join.html", _context(invite, customer=customer, form=form))

    def post(self, request):
        invite = self.invite
        customer = customer_for_user(brand=invite.brand, user=request.user)
        if customer is not None:
            return _join(request, invite, customer)  # a returning customer: straight in

        form = (JoinAsKnownUserForm if request.user.is_authenticated else JoinForm)(request.POST)
        if not form.is_valid():
            return render(request, "communities/join.html", _context(invite, form=form), status=400)
        data = form.cleaned_data
        if request.user.is_authenticated:
            return self._create_customer_and_join(request, invite, request.user, data, form)

        email = data["email"].strip().lower()
        if not ratelimit.consume(request, action="request_login_code", key=email):
            form.add_error("email", _("Too many codes were sent to this address. Wait a few minutes and try again."))
            return render(request, "communities/join.html", _context(invite, form=form), status=429)
        # Prove the email with a one-time code, then finish at join_complete (for this email only).
        request.session[PENDING_JOIN_KEY] = {
            "token": invite.token, "email": email, "name": data["name"], "consent_chat": data["consent_chat"],
            "consent_promotions": data["consent_promotions"],
        }
        user = customer_user_get_or_create(email=data["email"], name=data["name"])
        LoginCodeVerificationProcess.initiate(request=request, user=user, email=user.email)
        complete = reverse("communities:join_complete", kwargs={"token": invite.token})
        return redirect(f"{reverse('account_confirm_login_code')}?{urlencode({'next': complete})}")

    def _create_customer_and_join(self, request, invite, user, data, form):
        try:
            customer = customer_join_as_user(
                brand=invite.brand, user=user, name=data["name"], source=services.JOIN_SOURCES[invite.kind],
                source_ref=invite.token, consent_chat=data["consent_chat"],
                consent_promotions=data["consent_promotions"], home_store=invite.store,
            )
        except ApplicationError as exc:
            form_apply_error(form, exc)
            return render(request, "communities/join.html", _context(invite, form=form), status=400)
        return _join(request, invite, customer)


@login_required
def join_complete(request, token: str):
    """After the code: create the customer with the consents given on the form, then join.

    Only a join this browser started, for this token and this verified email, is completed here,
    so a link from elsewhere cannot join a signed-in person to anything.
    """
    invite = _usable_invite(token)
    pending = request.session.pop(PENDING_JOIN_KEY, None)
    if not pending or pending.get("token") != token or pending.get("email") != request.user.email:
        return redirect("communities:join", token=token)
    reason = invite.unusable_reason()
    if reason:
        return _gone(request, invite, reason)
    try:
        customer = customer_join_as_user(
            brand=invite.brand, user=request.user, name=pending["name"], source=services.JOIN_SOURCES[invite.kind],
            source_ref=invite.token, consent_chat=pending["consent_chat"],
            consent_promotions=pending["consent_promotions"], home_store=invite.store,
        )
    except ApplicationError as exc:
        return render(request, "communities/join.html", _context(invite, error=exc.message), status=exc.status)
    return _join(request, invite, customer)


def join_qr_svg(request, token: str):
    invite = _usable_invite(token)
    url = request.build_absolute_uri(reverse("communities:join", kwargs={"token": invite.token}))
    return HttpResponse(qr.qr_svg(url), content_type="image/svg+xml")


def join_qr_png(request, token: str):
    invite = _usable_invite(token)
    url = request.build_absolute_uri(reverse("communities:join", kwargs={"token": invite.token}))
    response = HttpResponse(qr.qr_png(url), content_type="image/png")
    if request.GET.get("download"):
        response["Content-Disposition"] = f'attachment; filename="join-{invite.brand.slug}-{invite.pk}.png"'
    return response
