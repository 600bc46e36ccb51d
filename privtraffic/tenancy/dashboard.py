"""The dashboard base: one mixin resolves the brand from the URL slug and the user's membership.

Every page under /b/<slug>/ subclasses BrandView and declares the permission it
needs. A non-member gets a 404 (the brand's existence is not confirmed); a
member whose role lacks the permission gets a 403. `self.actor` is the membership,
which every service call passes on.

A service's ApplicationError reaches the person one of three ways, all decided here:
403/404 become PermissionDenied/Http404 (in BrandView.dispatch); on a page with a form,
`form_errors(form)` puts it on the form; elsewhere `flash_errors(request)` shows it as a
message. Pages never write their own `try/except ApplicationError`.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.views import View

from .errors import ApplicationError
from .roles import Perm, role_has
from .selectors import membership_for_user


class BrandView(View):
    permission: Perm

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "dispatch" in cls.__dict__:
            raise TypeError(f"{cls.__name__} may not override dispatch(): brand resolution happens there.")
        if not isinstance(getattr(cls, "permission", None), Perm):
            raise TypeError(f"{cls.__name__} must declare `permission` (a tenancy.roles.Perm).")

    def dispatch(self, request, *args, slug: str, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        membership = membership_for_user(user=request.user, brand_slug=slug)
        if membership is None:
            raise Http404("No such brand.")
        if not role_has(membership.role, self.permission):
            raise PermissionDenied("Your role does not allow this page.")
        self.membership = membership
        self.actor = membership
        self.brand = membership.brand
        request.brand = membership.brand
        request.membership = membership
        try:
            # Every dashboard page reads and shows times in the brand's time zone.
            with timezone.override(membership.brand.tzinfo):
                return super().dispatch(request, *args, **kwargs)
        except ApplicationError as exc:
            if exc.status == 404:
                raise Http404(exc.message)
            if exc.status == 403:
                raise PermissionDenied(exc.message)
            # Any other business-rule failure a page did not handle itself is shown, never a 500.
            return render(request, "dashboard/error.html", {"message": exc.message}, status=exc.status)

    def can(self, perm: Perm) -> bool:
        return role_has(self.membership.role, perm)


def reraise_access(exc: ApplicationError) -> None:
    """403 and 404 are not form errors: let BrandView turn them into PermissionDenied / Http404."""
    if exc.status in (403, 404):
        raise exc


def form_apply_error(form, exc: ApplicationError) -> None:
    """Show a service's ApplicationError on a Django form: per-field when it names fields."""
    placed = False
    for field, field_messages in exc.fields.items():
        if field in form.fields:
            for message in field_messages if isinstance(field_messages, list) else [field_messages]:
                form.add_error(field, str(message))
            placed = True
    if not placed:
        form.add_error(None, exc.message)


@dataclass
class Outcome:
    """What a `form_errors` / `flash_errors` block did: `ok` is False when a service refused."""

    ok: bool = True
    error: ApplicationError | None = None


@contextmanager
def form_errors(form, *, forbidden_on_form: bool = False,
                apply: Callable[[object, ApplicationError], None] = form_apply_error) -> Iterator[Outcome]:
    """Run service calls for a form page: a refusal lands on the form. 404 and 403 propagate (BrandView
    answers them with its 404 and 403 pages: a forbidden action is a 403, never a 400 form). The one
    exception, `forbidden_on_form`, is for a customer page, where CustomerPageView would turn a 403 into a 404
    although the refusal is about what the person typed (the join form's email); staff pages never pass it.

        with form_errors(form) as outcome:
            segment = segment_save(...)
        if outcome.ok:
            return redirect(...)
        return render(..., status=400)
    """
    outcome = Outcome()
    try:
        yield outcome
    except ApplicationError as exc:
        if exc.status == 404 or (exc.status == 403 and not forbidden_on_form):
            raise
        apply(form, exc)
        outcome.ok, outcome.error = False, exc


@contextmanager
def flash_errors(request) -> Iterator[Outcome]:
    """Run service calls for a page without a form: a refusal becomes an error message."""
    outcome = Outcome()
    try:
        yield outcome
    except ApplicationError as exc:
        reraise_access(exc)
        messages.error(request, exc.message)
        outcome.ok, outcome.error = False, exc
