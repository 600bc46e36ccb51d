"""Dashboard pages of segments: the list (with counts) + create, the builder with a live count, and the
JSON endpoint the builder's script posts the definition to. Thin: parse, call crm.segments, render."""

import json

from django.apps import apps
from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from privtraffic.tenancy.dashboard import BrandView, form_apply_error, reraise_access
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.roles import Perm
from privtraffic.tenancy.selectors import member_list, store_list

from . import segments
from .models import AttributeDefinition, CustomerSource, LifecycleStage, Tag
from .segment_forms import (
    FIELD_CHOICES,
    OP_CHOICES,
    SegmentForm,
    definition_from_post,
    match_of,
    rows_for_display,
)
from .surveys.selectors import survey_question_list

LIST_LIMIT = 50  # one COUNT per listed segment


def _apply(form, exc: ApplicationError, definition_errors: list) -> None:
    reraise_access(exc)
    if exc.fields.get("definition"):
        definition_errors.extend(exc.fields["definition"])
        form.add_error(None, exc.message)
    else:
        form_apply_error(form, exc)


class _BuilderMixin:
    def _builder_context(self, form, definition, definition_errors=()):
        vip_group = apps.get_model("communities", "VipGroup")
        return {
            "form": form, "rows": rows_for_display(definition), "match": match_of(definition),
            "definition_errors": list(definition_errors), "field_choices": FIELD_CHOICES, "op_choices": OP_CHOICES,
            "ref": {
                "tags": Tag.objects.filter(brand=self.brand),
                "attributes": AttributeDefinition.objects.filter(brand=self.brand),
                "stores": store_list(brand=self.brand),
                "reps": member_list(brand=self.brand, include_inactive=False),
                "groups": vip_group.objects.filter(brand=self.brand).order_by("name", "id"),
                "sources": CustomerSource.choices, "stages": LifecycleStage.choices,
                "questions": survey_question_list(brand=self.brand)[:100],
            },
        }


class SegmentListView(_BuilderMixin, BrandView):
    permission = Perm.MANAGE_CAMPAIGNS

    def get(self, request):
        return self._render(request, SegmentForm(), None)

    def post(self, request):
        form = SegmentForm(request.POST)
        definition = definition_from_post(request.POST)
        errors: list = []
        if form.is_valid():
            try:
                segment = segments.segment_save(brand=self.brand, actor=self.membership,
                                                name=form.cleaned_data["name"], definition=definition)
            except ApplicationError as exc:
                _apply(form, exc, errors)
            else:
                messages.success(request, _("Segment “%(name)s” created.") % {"name": segment.name})
                return redirect("crm_segments:edit", slug=self.brand.slug, segment_id=segment.pk)
        return self._render(request, form, definition, errors, status=400)

    def _render(self, request, form, definition, errors=(), status=200):
        rows = [{"segment": s, "count": segments.segment_count(segment=s)}
                for s in segments.segment_list(brand=self.brand)[:LIST_LIMIT]]
        context = {**self._builder_context(form, definition, errors), "segments": rows, "limit": LIST_LIMIT}
        return render(request, "crm/segments/list.html", context, status=status)


class SegmentEditView(_BuilderMixin, BrandView):
    permission = Perm.MANAGE_CAMPAIGNS

    def get(self, request, segment_id):
        segment = segments.segment_get(brand=self.brand, segment_id=segment_id)
        form = SegmentForm(initial={"name": segment.name, "match": match_of(segment.definition)})
        return self._render(request, segment, form, segment.definition)

    def post(self, request, segment_id):
        segment = segments.segment_get(brand=self.brand, segment_id=segment_id)
        if request.POST.get("action") == "delete":
            segments.segment_delete(segment=segment, actor=self.membership)
            messages.success(request, _("Segment “%(name)s” deleted.") % {"name": segment.name})
            return redirect("crm_segments:list", slug=self.brand.slug)
        form = SegmentForm(request.POST)
        definition = definition_from_post(request.POST)
        errors: list = []
        if form.is_valid():
            try:
                segments.segment_save(brand=self.brand, actor=self.membership, segment=segment,
                                      name=form.cleaned_data["name"], definition=definition)
            except ApplicationError as exc:
                _apply(form, exc, errors)
            else:
                messages.success(request, _("Segment saved."))
                return redirect("crm_segments:edit", slug=self.brand.slug, segment_id=segment.pk)
        return self._render(request, segment, form, definition, errors, status=400)

    def _render(self, request, segment, form, definition, errors=(), status=200):
        context = {**self._builder_context(form, definition, errors), "segment": segment,
                   "count": segments.segment_count(segment=segment)}
        return render(request, "crm/segments/edit.html", context, status=status)


class SegmentPreviewView(BrandView):
    """POST {"definition": ...} (JSON) -> {"count": n}, or the error object with 400/404."""

    permission = Perm.MANAGE_CAMPAIGNS

    def post(self, request):
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            body = None
        if not isinstance(body, dict) or "definition" not in body:
            exc = ApplicationError("invalid", _('Send JSON: {"definition": ...}.'))
            return JsonResponse(exc.as_dict(), status=400)
        try:
            definition = segments.segment_definition_validate(brand=self.brand, definition=body["definition"])
            count = segments.segment_queryset(brand=self.brand, definition=definition).count()
        except ApplicationError as exc:
            return JsonResponse(exc.as_dict(), status=exc.status)
        return JsonResponse({"count": count})
