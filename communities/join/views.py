"""The customer join flow: /join/<token>/ from a link or a QR code, on a phone.

Two taps: a new person gives their name and the consent to chat and is in, on this device, at once (a
device session: see services.py and middleware.py); proving an email address is optional and comes later
(/join/secure/<customer id>/, "use your chat on another device"), with allauth's emailed one-time code or a
6-digit code texted to a mobile number (phone.py, SMS_BACKEND); a linked number brings the chat to another
phone through the brand's link (/join/<token>/phone/, "continue with your phone").
Returning devices go straight to the chat. Every page here resolves the invite (and so the brand) from the
token once, in `resolve()`: an unknown token is a 404, a dead link a 410 page that points to the brand's stores.
"""

import hmac
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from allauth.account.adapter import get_adapter
from allauth.core import ratelimit
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from crm.customers.selectors import customer_for_user
from crm.customers.services import customer_join_as_user
from crm.surveys.selectors import onboarding_survey_pending
from privtraffic.tenancy.actors import CustomerActor, SystemActor
from privtraffic.tenancy.customer_pages import CustomerPageView, CustomerScope
from privtraffic.tenancy.dashboard import Outcome, form_errors
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.models import Brand
from privtraffic.tenancy.selectors import store_list

from ..groups.selectors import group_series
from ..invites import qr
from ..invites.selectors import group_membership_in_series, invite_by_token
from ..invites.services import JOIN_SOURCES, invite_join, invite_open_record, invite_unusable_error
from ..models import InviteKind, InviteLink
from .forms import JoinForm, PhoneCodeForm, PhoneForm, SecureCodeForm, SecureForm
from .middleware import BACKEND, SESSION_KEY, forget_device, remember_device
from .phone import (
    phone_code_live,
    phone_code_new,
    phone_code_pending,
    phone_code_send,
    phone_code_try,
    phone_display,
)
from .selectors import (
    customer_login_by_phone,
    customer_of_user,
    customer_of_user_in_brand,
    secret_hash,
    user_by_email,
    user_by_phone,
)
from .services import (
    customer_email_link,
    customer_join_on_device,
    customer_phone_link,
    device_session_start,
    phone_link_check,
)

# The brand an allauth page (the code page) shows while a customer is in one of its flows.
BRAND_SESSION_KEY = "customer_brand"
SECURE_SESSION_KEY = "secure_chat"
SECURE_PHONE_SESSION_KEY = "secure_chat_phone"
PHONE_SIGN_IN_SESSION_KEY = "phone_sign_in"
MAX_CODE_TRIES = 3


def code_check(request, *, session_key: str, pending: dict, form, right: Callable[[], bool], wrong: str,
               restart: str, page: Callable[[int], HttpResponse]) -> HttpResponse | None:
    """One try of a code kept in the session under `session_key` (the emailed one or a texted one), the one
    place the join pages count tries. Returns None when `right()` says the code is right (the attempt leaves the
    session), else the response: a wrong code counts in the session (`wrong` on the form; the MAX_CODE_TRIES-th
    ends the attempt and sends the person to `restart` to ask again). `right` may refuse with an ApplicationError
    (a texted code's number out of tries: phone_code_try), shown on the page with its status, nothing compared."""
    with form_errors(form) as outcome:
        is_right = right()
    if not outcome.ok:
        return page(outcome.error.status)
    if is_right:
        request.session.pop(session_key, None)
        return None
    pending["tries"] = pending.get("tries", 0) + 1
    if pending["tries"] >= MAX_CODE_TRIES:
        request.session.pop(session_key, None)
        messages.error(request, _("Too many wrong codes. Ask for a new one."))
        return redirect(restart)
    request.session[session_key] = pending
    form.add_error("code", wrong)
    return page(400)


def brand_look(brand: Brand) -> dict:
    """What a page needs to carry the brand: name, logo and colour (kept in the session for allauth's pages)."""
    return {"name": brand.name, "logo": brand.logo.url if brand.logo else "", "color": brand.color}


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
        if self.customer is not None:
            landing = self._already_in(self.customer)
            if landing:  # a returning device that already joined: straight to the chat
                return redirect(landing)
            return render(request, "communities/join.html", self.context(customer=self.customer))
        request.session[BRAND_SESSION_KEY] = brand_look(self.brand)  # for the code page, when signing in
        return render(request, "communities/join.html", self.context(form=JoinForm(), sign_in_url=self._sign_in_url(),
                                                                     phone_sign_in_url=self._phone_sign_in_url()))

    def post(self, request, token: str):
        reason = self.invite.unusable_reason()
        if reason:
            return self.gone(request, reason)
        if self.customer is not None:
            return self.join(request, self.customer)  # a returning customer: straight in

        form = JoinForm(request.POST)
        if not form.is_valid():
            return render(request, "communities/join.html",
                          self.context(form=form, sign_in_url=self._sign_in_url(),
                                       phone_sign_in_url=self._phone_sign_in_url()), status=400)
        data = form.cleaned_data
        if request.user.is_authenticated:
            return self._create_customer_and_join(request, data, form)
        return self._join_on_this_device(request, data)

    def _already_in(self, customer) -> str:
        invite = self.invite
        if invite.kind == InviteKind.GROUP:
            member = group_membership_in_series(group=invite.group, customer=customer)
            return _landing_url(invite, member) if member is not None else ""
        return _landing_url(invite, customer) if customer.assigned_rep_id is not None else ""

    def _sign_in_url(self) -> str:
        """For someone who joined on another device: the emailed code, then back to this link."""
        here = reverse("communities:join", kwargs={"token": self.invite.token})
        return f"{reverse('account_request_login_code')}?{urlencode({'next': here})}"

    def _phone_sign_in_url(self) -> str:
        """For someone who linked a phone on another device: a texted code, then back to this link."""
        return reverse("communities:join_phone", kwargs={"token": self.invite.token})

    def _join_on_this_device(self, request, data):
        """A new person: their record, a login for this browser and a device session, then the join."""
        with refusals() as outcome:
            customer = customer_join_on_device(invite=self.invite, name=data["name"],
                                               consent_chat=data["consent_chat"],
                                               consent_promotions=data["consent_promotions"])
        if not outcome.ok:
            return render(request, "communities/join.html", self.context(error=outcome.error.message),
                          status=outcome.error.status)
        device, secret = device_session_start(customer=customer, user=customer.user,
                                              actor=CustomerActor(customer=customer),
                                              user_agent=request.headers.get("User-Agent", ""))
        remember_device(request, device, secret)
        return self.join(request, customer)

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


class _OwnCustomerPage(CustomerPageView):
    """A page about the signed-in person's own customer record (another person's id: 404)."""

    def resolve(self, request, *, customer_id, **kwargs) -> CustomerScope:
        customer = customer_of_user(user=request.user, customer_id=customer_id)
        if customer is None:
            raise ApplicationError.not_found("customer")
        return CustomerScope(brand=customer.brand, customer=customer, extra={"brand": customer.brand})

    def _render(self, request, form=None, status=200, **extra):
        phone = request.user.phone
        context = {"brand": self.brand, "customer": self.customer, "form": form,
                   "device": request.session.get(SESSION_KEY) is not None,
                   "linked_phone": phone_display(phone) if phone else "", **extra}
        return render(request, "communities/secure.html", context, status=status)

    def _choices(self, request, status=200, **extra):
        """The page with both ways offered: an email or a phone (each only while not linked yet)."""
        extra.setdefault("form", None if request.user.has_real_email else SecureForm())
        extra.setdefault("phone_form", None if request.user.phone else PhoneForm())
        return self._render(request, status=status, **extra)


class ForgetDeviceView(_OwnCustomerPage):
    """POST: "forget this device" ends this browser's device session. GET goes back to the page."""

    def get(self, request, customer_id):
        return redirect("communities:secure", customer_id=self.customer.pk)

    def post(self, request, customer_id):
        forget_device(request)
        messages.success(request, _("This device is signed out of your chat."))
        return redirect("chats:customer_home")


class SecureView(_OwnCustomerPage):
    """The optional later step: "use your chat on another device". An address proven with an emailed
    one-time code (allauth's code format and mail) makes the chat reachable from any device and recoverable."""

    def get(self, request, customer_id):
        return self._choices(request)

    def post(self, request, customer_id):
        if request.user.has_real_email:
            return redirect("communities:secure", customer_id=self.customer.pk)
        form = SecureForm(request.POST)
        if not form.is_valid():
            return self._choices(request, form=form, status=400)
        email = form.cleaned_data["email"].strip().lower()
        if not ratelimit.consume(request, action="request_login_code", key=email):
            form.add_error("email", _("Too many codes were sent to this address. Wait a few minutes and try again."))
            return self._choices(request, form=form, status=429)
        code = get_adapter().generate_login_code()
        request.session[SECURE_SESSION_KEY] = {"customer": self.customer.pk, "user": request.user.pk, "email": email,
                                               "code": secret_hash(_code_key(code)), "at": time.time(), "tries": 0}
        get_adapter().send_mail("account/email/login_code", email,
                                {"request": request, "code": code, "reauthentication": False})
        return redirect("communities:secure_code", customer_id=self.customer.pk)


def _code_key(code: str) -> str:
    return "".join(code.split()).replace("-", "").upper()


def _too_many_texts() -> str:
    return _("Too many codes were sent to this number. Wait a few minutes and try again.")


def _wrong_text_code() -> str:
    return _("This code is not right. Check the text message and try again.")


class _CodeEntryPage:
    """The outline of the pages where a code kept in the session under `session_key` is entered with
    `form_class` (the emailed code, a texted one): without a live attempt of this browser's the page sends it
    to `_restart_url()` to ask again; a code `code_check` finds right goes on with `_confirmed`. Each page says
    which attempts are its own (`_pending_ok`), when a code is right (`_code_right`) and how it looks
    (`_code_page`)."""

    session_key: str
    form_class: type[forms.Form]

    def _pending_ok(self, request, pending: dict) -> bool:
        raise NotImplementedError

    def _restart_url(self) -> str:
        raise NotImplementedError

    def _code_page(self, request, form, pending: dict, status: int = 200) -> HttpResponse:
        raise NotImplementedError

    def _code_right(self, request, form, pending: dict) -> bool:
        raise NotImplementedError

    def _wrong_code(self) -> str:
        return _wrong_text_code()

    def _confirmed(self, request, pending: dict) -> HttpResponse:
        raise NotImplementedError

    def _pending(self, request) -> dict | None:
        pending = request.session.get(self.session_key)
        return pending if isinstance(pending, dict) and self._pending_ok(request, pending) else None

    def get(self, request, **kwargs):
        pending = self._pending(request)
        if pending is None:
            return redirect(self._restart_url())
        return self._code_page(request, self.form_class(), pending)

    def post(self, request, **kwargs):
        pending = self._pending(request)
        if pending is None:
            return redirect(self._restart_url())
        form = self.form_class(request.POST)
        if not form.is_valid():
            return self._code_page(request, form, pending, status=400)
        refused = code_check(request, session_key=self.session_key, pending=pending, form=form,
                             right=lambda: self._code_right(request, form, pending), wrong=self._wrong_code(),
                             restart=self._restart_url(),
                             page=lambda status: self._code_page(request, form, pending, status=status))
        if refused is not None:
            return refused
        return self._confirmed(request, pending)


class SecureCodeView(_CodeEntryPage, _OwnCustomerPage):
    """The code sent by SecureView, entered on a page that carries the brand. Three tries, ten minutes,
    for the customer, login and address this browser asked for; then the address is linked (see
    customer_email_link), and when it belonged to an existing login this browser is signed in to it."""

    session_key = SECURE_SESSION_KEY
    form_class = SecureCodeForm

    def _pending_ok(self, request, pending: dict) -> bool:
        return (pending.get("customer") == self.customer.pk and pending.get("user") == request.user.pk
                and time.time() - pending.get("at", 0) <= settings.ACCOUNT_LOGIN_BY_CODE_TIMEOUT)

    def _restart_url(self) -> str:
        return reverse("communities:secure", kwargs={"customer_id": self.customer.pk})

    def _code_right(self, request, form, pending: dict) -> bool:
        return hmac.compare_digest(secret_hash(_code_key(form.cleaned_data["code"])), pending["code"])

    def _wrong_code(self) -> str:
        return _("This code is not right. Check the email and try again.")

    def _confirmed(self, request, pending: dict) -> HttpResponse:
        device_id = request.session.get(SESSION_KEY)
        owner = user_by_email(email=pending["email"])
        with refusals() as outcome:
            customer = customer_email_link(customer=self.customer, device_user=request.user,
                                           owner=owner, email=pending["email"],
                                           actor=CustomerActor(customer=self.customer))
        if not outcome.ok:
            return self._choices(request, status=outcome.error.status, error=outcome.error.message)
        if owner is not None and owner.pk != request.user.pk:
            login(request, owner, backend=BACKEND)  # the code proved the address: its own login from now on
            if device_id is not None:
                request.session[SESSION_KEY] = device_id
        messages.success(request, _("Your chat is linked to %(email)s: sign in with it on any device.") % {
            "email": pending["email"]})
        return redirect("communities:secure", customer_id=customer.pk)

    def _code_page(self, request, form, pending: dict, status: int = 200) -> HttpResponse:
        return self._render(request, form, status=status, code_sent_to=pending["email"])


class SecurePhoneView(_OwnCustomerPage):
    """The phone route of the optional later step: a mobile number (E.164; +86 when typed without a country
    code) gets a 6-digit code by text message (SMS_BACKEND), entered on SecurePhoneCodeView."""

    def get(self, request, customer_id):
        return redirect("communities:secure", customer_id=self.customer.pk)

    def post(self, request, customer_id):
        if request.user.phone:
            return redirect("communities:secure", customer_id=self.customer.pk)
        form = PhoneForm(request.POST)
        if not form.is_valid():
            return self._choices(request, phone_form=form, status=400)
        phone = form.cleaned_data["phone"]
        if not ratelimit.consume(request, action="request_login_code", key=phone):
            form.add_error("phone", _too_many_texts())
            return self._choices(request, phone_form=form, status=429)
        code = phone_code_new()
        with refusals() as outcome:
            phone_link_check(device_user=request.user)  # a team member's login: refused before anything is texted
            phone_code_send(phone=phone, code=code, brand=self.brand)
        if not outcome.ok:
            return self._choices(request, phone_form=form, status=outcome.error.status, error=outcome.error.message)
        request.session[SECURE_PHONE_SESSION_KEY] = phone_code_pending(phone=phone, code=code,
                                                                       customer=self.customer.pk, user=request.user.pk)
        return redirect("communities:secure_phone_code", customer_id=self.customer.pk)




class SecurePhoneCodeView(_CodeEntryPage, _OwnCustomerPage):
    """The texted code, on a page that carries the brand. MAX_CODE_TRIES tries within the code timeout (and the
    number's own PHONE_CODE_MAX_TRIES_PER_HOUR, whatever the browser: code_check), for the customer, login and
    number this browser asked for; then the number is linked (customer_phone_link)."""

    session_key = SECURE_PHONE_SESSION_KEY
    form_class = PhoneCodeForm

    def _pending_ok(self, request, pending: dict) -> bool:
        return (phone_code_live(pending) and pending.get("customer") == self.customer.pk
                and pending.get("user") == request.user.pk)

    def _restart_url(self) -> str:
        return reverse("communities:secure", kwargs={"customer_id": self.customer.pk})

    def _code_right(self, request, form, pending: dict) -> bool:
        return phone_code_try(pending, form.cleaned_data["code"])

    def _confirmed(self, request, pending: dict) -> HttpResponse:
        phone, device_id = pending["phone"], request.session.get(SESSION_KEY)
        owner = user_by_phone(phone=phone)
        with refusals() as outcome:
            customer = customer_phone_link(customer=self.customer, device_user=request.user, owner=owner,
                                           phone=phone, actor=CustomerActor(customer=self.customer))
        if not outcome.ok:
            return self._choices(request, status=outcome.error.status, error=outcome.error.message)
        if owner is not None and owner.pk != request.user.pk:
            login(request, owner, backend=BACKEND)  # the code proved the number: its own login from now on
            if device_id is not None:
                request.session[SESSION_KEY] = device_id
        messages.success(request, _("Your chat is linked to %(phone)s: continue with it on any device.") % {
            "phone": phone_display(phone)})
        return redirect("communities:secure", customer_id=customer.pk)

    def _code_page(self, request, form, pending: dict, status: int = 200) -> HttpResponse:
        return self._render(request, form, status=status, code_sent_to=phone_display(pending["phone"]),
                            code_by_text=True)


class PhoneSignInView(InvitePage):
    """"Continue with my phone" on another device, from the brand's link: the number linked earlier gets a
    texted code. A number linked to no chat, or to a team member's login, gets NOTHING (a text to any number
    typed here would be SMS-bill fraud and harassment), and the page goes on exactly the same way (the same
    limits counted, the same code page), so it tells nobody which numbers are linked."""

    template = "communities/join_phone.html"

    def _page(self, request, form, status=200, **extra):
        return render(request, self.template, self.context(form=form, **extra), status=status)

    def get(self, request, token: str):
        if request.user.is_authenticated:
            return redirect("communities:join", token=self.invite.token)
        request.session[BRAND_SESSION_KEY] = brand_look(self.brand)
        return self._page(request, PhoneForm())

    def post(self, request, token: str):
        if request.user.is_authenticated:
            return redirect("communities:join", token=self.invite.token)
        form = PhoneForm(request.POST)
        if not form.is_valid():
            return self._page(request, form, status=400)
        phone = form.cleaned_data["phone"]
        if not ratelimit.consume(request, action="request_login_code", key=phone):
            form.add_error("phone", _too_many_texts())
            return self._page(request, form, status=429)
        code = phone_code_new()
        with refusals() as outcome:
            phone_code_send(phone=phone, code=code, brand=self.brand,
                            deliver=customer_login_by_phone(phone=phone) is not None)
        if not outcome.ok:
            return self._page(request, form, status=outcome.error.status, error=outcome.error.message)
        request.session[PHONE_SIGN_IN_SESSION_KEY] = phone_code_pending(phone=phone, code=code, brand=self.brand.pk)
        return redirect("communities:join_phone_code", token=self.invite.token)



class PhoneSignInCodeView(_CodeEntryPage, PhoneSignInView):
    """The texted code on another device: right, and this browser is signed in to the number's login with a
    device session for its chat in this brand, then on through the link (straight to the chat)."""

    session_key = PHONE_SIGN_IN_SESSION_KEY
    form_class = PhoneCodeForm
    user = None

    def _pending_ok(self, request, pending: dict) -> bool:
        return (not request.user.is_authenticated and phone_code_live(pending)
                and pending.get("brand") == self.brand.pk)

    def _restart_url(self) -> str:
        return reverse("communities:join_phone", kwargs={"token": self.invite.token})

    def _code_right(self, request, form, pending: dict) -> bool:
        self.user = customer_login_by_phone(phone=pending["phone"])  # None: unknown, or a team member's login
        return phone_code_try(pending, form.cleaned_data["code"]) and self.user is not None

    def _confirmed(self, request, pending: dict) -> HttpResponse:
        user = self.user
        customer = customer_of_user_in_brand(brand_id=self.brand.pk, user=user)
        if customer is not None and customer.erased_at is None:
            device, secret = device_session_start(customer=customer, user=user,
                                                  actor=CustomerActor(customer=customer),
                                                  user_agent=request.headers.get("User-Agent", ""))
            remember_device(request, device, secret)
        else:  # their login, without a chat in this brand yet: the link offers to join
            login(request, user, backend=BACKEND)
        return redirect("communities:join", token=self.invite.token)

    def _code_page(self, request, form, pending: dict, status: int = 200) -> HttpResponse:
        return self._page(request, form, status=status, code_sent_to=phone_display(pending["phone"]))
