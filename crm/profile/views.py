"""Dashboard pages of the customer profile: tags, attributes and notes of one customer, and the page that
manages the brand's tags and attribute definitions. Thin: parse a form, call one service, redirect.

The panels on the customer page come from crm/templatetags/crm_profile.py. A form with errors is shown
again on its own small page (status 400) so the customer page's view stays untouched.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from privtraffic.tenancy.dashboard import BrandView, form_errors
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.roles import Perm

from ..customers import selectors as customer_selectors
from . import selectors, services
from .forms import (
    AttributeDefinitionForm,
    CustomerAttributesForm,
    CustomerNoteForm,
    CustomerTagsForm,
    TagForm,
)

MANAGE_PERM = services.MANAGE_PERM


def _apply_attribute_errors(form, exc: ApplicationError) -> None:
    """Attribute errors name their field `attributes.<key>`; the form's fields are the keys."""
    placed = False
    for field, errors in exc.fields.items():
        key = field.removeprefix("attributes.")
        if key in form.fields:
            for e in errors:
                form.add_error(key, str(e))
            placed = True
    if not placed:
        form.add_error(None, exc.message)


class _CustomerProfileView(BrandView):
    """Anyone who may see the customer (a rep: their own customers) may tag them, set attributes, add notes."""

    permission = Perm.VIEW_CUSTOMERS
    title = ""

    def _customer(self, customer_id):
        return customer_selectors.customer_get(brand=self.brand, customer_id=customer_id, actor=self.actor)

    def _done(self, customer, anchor):
        url = reverse("crm:customer_detail", kwargs={"slug": self.brand.slug, "customer_id": customer.pk})
        return redirect(f"{url}#{anchor}")

    def _again(self, request, customer, form, title):
        return render(request, "crm/profile/customer_form.html",
                      {"customer": customer, "form": form, "title": title, "action": request.path}, status=400)


class CustomerTagsView(_CustomerProfileView):
    def post(self, request, customer_id):
        customer = self._customer(customer_id)
        form = CustomerTagsForm(request.POST, tags=selectors.tag_list(brand=self.brand))
        if form.is_valid():
            with form_errors(form) as outcome:
                services.customer_tags_set(customer=customer, actor=self.actor, tags=form.tag_names())
            if outcome.ok:
                messages.success(request, _("Tags saved."))
                return self._done(customer, "tags")
        return self._again(request, customer, form, _("Tags"))


class CustomerAttributesView(_CustomerProfileView):
    def post(self, request, customer_id):
        customer = self._customer(customer_id)
        form = CustomerAttributesForm(request.POST, definitions=selectors.attribute_list(brand=self.brand))
        if form.is_valid():
            with form_errors(form, apply=_apply_attribute_errors) as outcome:
                services.customer_attributes_set(customer=customer, actor=self.actor, values=form.values())
            if outcome.ok:
                messages.success(request, _("Attributes saved."))
                return self._done(customer, "attributes")
        return self._again(request, customer, form, _("Attributes"))


class CustomerNoteAddView(_CustomerProfileView):
    def post(self, request, customer_id):
        customer = self._customer(customer_id)
        form = CustomerNoteForm(request.POST)
        if form.is_valid():
            with form_errors(form) as outcome:
                services.customer_note_add(customer=customer, actor=self.actor, body=form.cleaned_data["body"])
            if outcome.ok:
                messages.success(request, _("Note added."))
                return self._done(customer, "notes")
        return self._again(request, customer, form, _("Add a note"))


class TagsManageView(BrandView):
    """The brand's tags (create, rename/recolour, delete) and attribute definitions. POST here creates a
    tag; defining an attribute posts to AttributeDefineView (one route per command)."""

    permission = MANAGE_PERM

    def get(self, request):
        return self._render(request)

    def post(self, request):
        form = TagForm(request.POST, prefix="tag")
        if form.is_valid():
            with form_errors(form) as outcome:
                tag = services.tag_create(brand=self.brand, actor=self.actor, **form.cleaned_data)
            if outcome.ok:
                messages.success(request, _("Tag “%(name)s” created.") % {"name": tag.name})
                return redirect("crm_profile:tags", slug=self.brand.slug)
        return self._render(request, tag_form=form, status=400)

    def _render(self, request, *, tag_form=None, attribute_form=None, status=200):
        context = {
            "tags": selectors.tag_list(brand=self.brand),
            "attributes": selectors.attribute_list(brand=self.brand),
            "tag_form": tag_form or TagForm(prefix="tag"),
            "attribute_form": attribute_form or AttributeDefinitionForm(prefix="attr"),
        }
        return render(request, "crm/profile/tags.html", context, status=status)


class AttributeDefineView(TagsManageView):
    """POST: define a typed attribute (shown again on the tags page with its errors)."""

    def get(self, request):
        return redirect("crm_profile:tags", slug=self.brand.slug)

    def post(self, request):
        form = AttributeDefinitionForm(request.POST, prefix="attr")
        if form.is_valid():
            data = form.cleaned_data
            with form_errors(form) as outcome:
                definition = services.attribute_define(
                    brand=self.brand, actor=self.actor, key=data["key"], label=data["label"], type=data["type"],
                    choices=form.choice_list())
            if outcome.ok:
                messages.success(request, _("Attribute “%(label)s” defined.") % {"label": definition.label})
                return redirect("crm_profile:tags", slug=self.brand.slug)
        return self._render(request, attribute_form=form, status=400)


class TagEditView(BrandView):
    permission = MANAGE_PERM

    def post(self, request, tag_id):
        tag = selectors.tag_get(brand=self.brand, tag_id=tag_id)
        form = TagForm(request.POST)
        if form.is_valid():
            with form_errors(form) as outcome:
                services.tag_update(tag=tag, actor=self.actor, **form.cleaned_data)
            if outcome.ok:
                messages.success(request, _("Tag saved."))
                return redirect("crm_profile:tags", slug=self.brand.slug)
        return render(request, "crm/profile/tag_edit.html", {"tag": tag, "form": form}, status=400)


class TagDeleteView(BrandView):
    permission = MANAGE_PERM

    def post(self, request, tag_id):
        tag = selectors.tag_get(brand=self.brand, tag_id=tag_id)
        name = tag.name
        services.tag_delete(tag=tag, actor=self.actor)
        messages.success(request, _("Tag “%(name)s” deleted.") % {"name": name})
        return redirect("crm_profile:tags", slug=self.brand.slug)
