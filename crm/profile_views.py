"""Dashboard pages of the customer profile: tags, attributes and notes of one customer, and the page that
manages the brand's tags and attribute definitions. Thin: parse a form, call one service, redirect.

The panels on the customer page come from crm/templatetags/crm_profile.py. A form with errors is shown
again on its own small page (status 400) so the customer page's view stays untouched.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from privtraffic.tenancy.dashboard import BrandView, form_apply_error, reraise_access
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.roles import Perm

from . import selectors, services
from .profile_forms import (
    AttributeDefinitionForm,
    CustomerAttributesForm,
    CustomerNoteForm,
    CustomerTagsForm,
    TagForm,
)

# Managing the brand's tag and attribute vocabulary is marketing work: owners, admins, marketers.
MANAGE_PERM = Perm.MANAGE_CAMPAIGNS


def _apply_attribute_errors(form, exc: ApplicationError) -> None:
    reraise_access(exc)
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
        return selectors.customer_get(brand=self.brand, customer_id=customer_id, actor=self.membership)

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
            try:
                services.customer_tags_set(customer=customer, tags=[t.name for t in form.cleaned_data["tags"]])
            except ApplicationError as exc:
                reraise_access(exc)
                form_apply_error(form, exc)
            else:
                messages.success(request, _("Tags saved."))
                return self._done(customer, "tags")
        return self._again(request, customer, form, _("Tags"))


class CustomerAttributesView(_CustomerProfileView):
    def post(self, request, customer_id):
        customer = self._customer(customer_id)
        form = CustomerAttributesForm(request.POST, definitions=selectors.attribute_list(brand=self.brand))
        if form.is_valid():
            try:
                services.customer_attributes_set(customer=customer, values=form.values())
            except ApplicationError as exc:
                _apply_attribute_errors(form, exc)
            else:
                messages.success(request, _("Attributes saved."))
                return self._done(customer, "attributes")
        return self._again(request, customer, form, _("Attributes"))


class CustomerNoteAddView(_CustomerProfileView):
    def post(self, request, customer_id):
        customer = self._customer(customer_id)
        form = CustomerNoteForm(request.POST)
        if form.is_valid():
            try:
                services.customer_note_add(customer=customer, author=request.user, body=form.cleaned_data["body"])
            except ApplicationError as exc:
                reraise_access(exc)
                form_apply_error(form, exc)
            else:
                messages.success(request, _("Note added."))
                return self._done(customer, "notes")
        return self._again(request, customer, form, _("Add a note"))


class TagsManageView(BrandView):
    """The brand's tags (create, rename/recolour, delete) and attribute definitions (define)."""

    permission = MANAGE_PERM

    def get(self, request):
        return self._render(request)

    def post(self, request):
        action = request.POST.get("action")
        tag_form = attribute_form = None
        if action == "tag":
            tag_form = TagForm(request.POST, prefix="tag")
            if tag_form.is_valid():
                try:
                    tag = services.tag_create(brand=self.brand, **tag_form.cleaned_data)
                except ApplicationError as exc:
                    reraise_access(exc)
                    form_apply_error(tag_form, exc)
                else:
                    messages.success(request, _("Tag “%(name)s” created.") % {"name": tag.name})
                    return redirect("crm_profile:tags", slug=self.brand.slug)
        elif action == "attribute":
            attribute_form = AttributeDefinitionForm(request.POST, prefix="attr")
            if attribute_form.is_valid():
                data = attribute_form.cleaned_data
                try:
                    definition = services.attribute_define(
                        brand=self.brand, key=data["key"], label=data["label"], type=data["type"],
                        choices=attribute_form.choice_list())
                except ApplicationError as exc:
                    reraise_access(exc)
                    form_apply_error(attribute_form, exc)
                else:
                    messages.success(request, _("Attribute “%(label)s” defined.") % {"label": definition.label})
                    return redirect("crm_profile:tags", slug=self.brand.slug)
        else:
            messages.error(request, _("Choose what to create."))
        return self._render(request, tag_form=tag_form, attribute_form=attribute_form, status=400)

    def _render(self, request, *, tag_form=None, attribute_form=None, status=200):
        context = {
            "tags": selectors.tag_list(brand=self.brand),
            "attributes": selectors.attribute_list(brand=self.brand),
            "tag_form": tag_form or TagForm(prefix="tag"),
            "attribute_form": attribute_form or AttributeDefinitionForm(prefix="attr"),
        }
        return render(request, "crm/profile/tags.html", context, status=status)


class TagEditView(BrandView):
    permission = MANAGE_PERM

    def post(self, request, tag_id):
        tag = selectors.tag_get(brand=self.brand, tag_id=tag_id)
        form = TagForm(request.POST)
        if form.is_valid():
            try:
                services.tag_update(tag=tag, **form.cleaned_data)
            except ApplicationError as exc:
                reraise_access(exc)
                form_apply_error(form, exc)
            else:
                messages.success(request, _("Tag saved."))
                return redirect("crm_profile:tags", slug=self.brand.slug)
        return render(request, "crm/profile/tag_edit.html", {"tag": tag, "form": form}, status=400)


class TagDeleteView(BrandView):
    permission = MANAGE_PERM

    def post(self, request, tag_id):
        tag = selectors.tag_get(brand=self.brand, tag_id=tag_id)
        name = tag.name
        services.tag_delete(tag=tag)
        messages.success(request, _("Tag “%(name)s” deleted.") % {"name": name})
        return redirect("crm_profile:tags", slug=self.brand.slug)
