"""The base of every customer-facing page: /chat/, /join/<token>/, /s/<id>/, /o/<token>/.

The dashboard has BrandView and the API BrandAPIView; customers' pages have this. A subclass says
how its URL names the brand and the customer by implementing `resolve()`, once; `dispatch()` (which
subclasses cannot override) asks for a login when the page needs one, calls `resolve()`, sets
`self.brand` and `self.customer`, shows times in the brand's time zone, and turns a service's
ApplicationError into the right answer: 404 for anything missing *or another person's* (existence
is never confirmed), and a friendly error page for any other refusal, never a 500.
"""

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.views import View

from .errors import ApplicationError
from .models import Brand


@dataclass
class CustomerScope:
    """What a customer page acts within: the brand (None on pages spanning brands, like /chat/) and the
    customer record in it (None before they join). `extra` carries what resolving found on the way."""

    brand: Brand | None = None
    customer: Any = None
    extra: dict[str, Any] = field(default_factory=dict)


class CustomerPageView(View):
    login_required: bool = True
    error_template = "customer_error.html"

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "dispatch" in cls.__dict__:
            raise TypeError(f"{cls.__name__} may not override dispatch(): the customer is resolved there.")

    def resolve(self, request, **kwargs) -> CustomerScope:
        """Find the brand (and the customer, when the page has one) from the request and URL; raise
        ApplicationError.not_found when the person may not see it."""
        raise NotImplementedError

    def dispatch(self, request, *args, **kwargs):
        if self.login_required and not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        try:
            scope = self.resolve(request, **kwargs)
            self.scope, self.brand, self.customer = scope, scope.brand, scope.customer
            if scope.brand is None:
                return super().dispatch(request, *args, **kwargs)
            with timezone.override(scope.brand.tzinfo):
                return super().dispatch(request, *args, **kwargs)
        except ApplicationError as exc:
            if exc.status in (403, 404):
                raise Http404(exc.message)
            return render(request, self.error_template, {"message": exc.message}, status=exc.status)
