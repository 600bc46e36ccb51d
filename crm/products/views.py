"""The catalogue pages (/b/<slug>/products/): everyone on the team reads it, marketers and admins add, edit and
deactivate products. `pick/` answers the card pickers (inbox composer, campaign builder) with active products
as JSON. Thin: parse, call crm.products, render."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from privtraffic.tenancy.dashboard import BrandView, flash_errors, form_errors
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.parsing import query_choice
from privtraffic.tenancy.roles import Perm

from . import selectors, services
from .forms import ProductForm

PER_PAGE = 50
STATES = {"active": True, "inactive": False}


def _form_values(form: ProductForm) -> dict:
    return dict(form.cleaned_data)


class ProductListView(BrandView):
    permission = Perm.VIEW_DASHBOARD

    def get(self, request):
        return self._render(request, ProductForm(initial={"currency": self.brand.default_currency, "active": True}))

    def post(self, request):
        if not self.can(services.PRODUCT_PERM):
            raise ApplicationError.forbidden(_("Your role does not allow this."))
        form = ProductForm(request.POST)
        if form.is_valid():
            with form_errors(form) as outcome:
                product = services.product_create(brand=self.brand, actor=self.actor, **_form_values(form))
            if outcome.ok:
                messages.success(request, _("Product “%(name)s” added.") % {"name": product.name})
                return redirect("crm_products:list", slug=self.brand.slug)
        return self._render(request, form, status=400)

    def _render(self, request, form, status=200):
        q = request.GET.get("q", "").strip()[:100]
        state = query_choice(request, "state", list(STATES)) or ""
        products = selectors.product_list(self.brand, search=q, active=STATES.get(state))
        context = {"page": Paginator(products, PER_PAGE).get_page(request.GET.get("page")), "q": q, "state": state,
                   "form": form, "can_manage": self.can(services.PRODUCT_PERM), "open_form": status != 200}
        return render(request, "crm/products/list.html", context, status=status)


class ProductEditView(BrandView):
    permission = Perm.VIEW_DASHBOARD

    def get(self, request, product_id):
        product = selectors.product_get(self.brand, product_id=product_id)
        initial = {key: getattr(product, key) for key in services.FIELDS}
        return self._render(request, product, ProductForm(initial=initial))

    def post(self, request, product_id):
        product = selectors.product_get(self.brand, product_id=product_id)
        if not self.can(services.PRODUCT_PERM):
            raise ApplicationError.forbidden(_("Your role does not allow this."))
        if request.POST.get("action") in ("deactivate", "activate"):
            with flash_errors(request) as outcome:
                if request.POST["action"] == "deactivate":
                    services.product_deactivate(product=product, actor=self.actor)
                else:
                    services.product_update(product=product, actor=self.actor, active=True)
            if outcome.ok:
                messages.success(request, _("“%(name)s” is no longer offered.") % {"name": product.name}
                                 if not product.active else _("“%(name)s” is offered again.") % {"name": product.name})
            return redirect("crm_products:edit", slug=self.brand.slug, product_id=product.pk)
        form = ProductForm(request.POST)
        if form.is_valid():
            with form_errors(form) as outcome:
                services.product_update(product=product, actor=self.actor, **_form_values(form))
            if outcome.ok:
                messages.success(request, _("Product saved."))
                return redirect("crm_products:edit", slug=self.brand.slug, product_id=product.pk)
        return self._render(request, product, form, status=400)

    def _render(self, request, product, form, status=200):
        return render(request, "crm/products/edit.html",
                      {"product": product, "form": form, "can_manage": self.can(services.PRODUCT_PERM)},
                      status=status)


class ProductPickView(BrandView):
    """GET ?q= -> {"results": [active products]}: what a card picker lists (anyone who chats may send a card)."""

    permission = Perm.CHAT

    def get(self, request):
        products = selectors.product_pick_list(self.brand, search=request.GET.get("q", ""))
        return JsonResponse({"results": [
            {"id": p.pk, "sku": p.sku, "name": p.name, "price": str(p.price), "currency": p.currency,
             "image_url": p.image_url, "url": p.url} for p in products]})
