"""Dashboard pages of segments: the list (with counts) + create, the builder with a live preview (count and
first names), and the JSON endpoints of the builder's script: the preview and one search per picker. Thin:
parse, call crm.segments, render."""

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from privtraffic.tenancy.dashboard import BrandView, flash_errors, form_apply_error, form_errors
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.parsing import json_loads, query_choice
from privtraffic.tenancy.roles import Perm

from . import selectors, services
from .forms import (
    FIELD_CHOICES,
    OP_CHOICES,
    SegmentForm,
    builder_catalog,
    definition_from_post,
    match_of,
    rows_for_display,
)

LIST_LIMIT = 50  # one COUNT per listed segment


def _definition_errors_into(errors: list):
    """A form_errors `apply` that lists the definition's per-condition messages beside the form."""

    def apply(form, exc: ApplicationError) -> None:
        if exc.fields.get("definition"):
            errors.extend(exc.fields["definition"])
            form.add_error(None, exc.message)
        else:
            form_apply_error(form, exc)

    return apply


class _BuilderMixin:
    def _builder_context(self, form, definition, definition_errors=()):
        rows = selectors.segment_builder_rows(brand=self.brand, actor=self.actor, rows=rows_for_display(definition))
        labels = dict(OP_CHOICES)
        for row in rows:  # only the operators that fit the row's field (all of them before one is chosen)
            row["op_options"] = [(op, labels.get(op, op)) for op in row["ops"]] if row["field"] else OP_CHOICES
        return {
            "form": form, "rows": rows, "match": match_of(definition),
            "definition_errors": list(definition_errors), "field_choices": FIELD_CHOICES, "op_choices": OP_CHOICES,
            "catalog": builder_catalog(selectors.segment_builder_catalog()),
            "ref": selectors.segment_builder_references(brand=self.brand, actor=self.actor),
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
            with form_errors(form, apply=_definition_errors_into(errors)) as outcome:
                segment = services.segment_save(brand=self.brand, actor=self.actor, name=form.cleaned_data["name"],
                                                definition=definition)
            if outcome.ok:
                messages.success(request, _("Segment “%(name)s” created.") % {"name": segment.name})
                return redirect("crm_segments:edit", slug=self.brand.slug, segment_id=segment.pk)
        return self._render(request, form, definition, errors, status=400)

    def _render(self, request, form, definition, errors=(), status=200):
        rows = [{"segment": s, "count": selectors.segment_count(segment=s)}
                for s in selectors.segment_list(brand=self.brand)[:LIST_LIMIT]]
        context = {**self._builder_context(form, definition, errors), "segments": rows, "limit": LIST_LIMIT}
        return render(request, "crm/segments/list.html", context, status=status)


class SegmentEditView(_BuilderMixin, BrandView):
    permission = Perm.MANAGE_CAMPAIGNS

    def get(self, request, segment_id):
        segment = selectors.segment_get(brand=self.brand, segment_id=segment_id)
        form = SegmentForm(initial={"name": segment.name, "match": match_of(segment.definition)})
        return self._render(request, segment, form, segment.definition)

    def post(self, request, segment_id):
        segment = selectors.segment_get(brand=self.brand, segment_id=segment_id)
        form = SegmentForm(request.POST)
        definition = definition_from_post(request.POST)
        errors: list = []
        if form.is_valid():
            with form_errors(form, apply=_definition_errors_into(errors)) as outcome:
                services.segment_save(brand=self.brand, actor=self.actor, segment=segment,
                                      name=form.cleaned_data["name"], definition=definition)
            if outcome.ok:
                messages.success(request, _("Segment saved."))
                return redirect("crm_segments:edit", slug=self.brand.slug, segment_id=segment.pk)
        return self._render(request, segment, form, definition, errors, status=400)

    def _render(self, request, segment, form, definition, errors=(), status=200):
        context = {**self._builder_context(form, definition, errors), "segment": segment,
                   "count": selectors.segment_count(segment=segment)}
        return render(request, "crm/segments/edit.html", context, status=status)


class SegmentDeleteView(BrandView):
    """POST: delete the segment (campaigns that used it keep their own copy of the audience)."""

    permission = Perm.MANAGE_CAMPAIGNS

    def post(self, request, segment_id):
        segment = selectors.segment_get(brand=self.brand, segment_id=segment_id)
        with flash_errors(request) as outcome:
            services.segment_delete(segment=segment, actor=self.actor)
        if outcome.ok:
            messages.success(request, _("Segment “%(name)s” deleted.") % {"name": segment.name})
            return redirect("crm_segments:list", slug=self.brand.slug)
        return redirect("crm_segments:edit", slug=self.brand.slug, segment_id=segment.pk)


class SegmentPreviewView(BrandView):
    """POST {"definition": ...} (JSON) -> {"count": n}, or the error object with 400/404."""

    permission = Perm.MANAGE_CAMPAIGNS

    def post(self, request):
        try:
            body = json_loads(request.body or b"{}")
        except ApplicationError as exc:
            if exc.code != "parse_error":  # too deep, NUL bytes, lone surrogates: say so
                return JsonResponse(exc.as_dict(), status=exc.status)
            body = None
        if not isinstance(body, dict) or "definition" not in body:
            exc = ApplicationError("invalid", _('Send JSON: {"definition": ...}.'))
            return JsonResponse(exc.as_dict(), status=400)
        try:  # a JSON endpoint: the error object is the answer (not a form, not a flash message)
            preview = selectors.segment_preview(brand=self.brand, actor=self.actor, definition=body["definition"])
        except ApplicationError as exc:
            return JsonResponse(exc.as_dict(), status=exc.status)
        return JsonResponse(preview)


class SegmentPickerView(BrandView):
    """GET ?picker=<name>&q=<text> -> {"results": [{"id", "name", "detail"?, "ops"?, ...}]}: one picker of
    the builder (stores, reps, groups, tags, attributes, questions) searched by name, within what the actor
    may see. An unknown or missing picker is a 400."""

    permission = Perm.MANAGE_CAMPAIGNS

    def get(self, request):
        try:  # a JSON endpoint: the error object is the answer
            picker = query_choice(request, "picker", selectors.segment_picker_names())
            if picker is None:
                raise ApplicationError("invalid", _("Say which picker: ?picker=%(names)s.") % {
                    "names": "|".join(selectors.segment_picker_names())}, fields={"picker": [_("Choose a picker.")]})
            results = selectors.segment_picker_search(brand=self.brand, actor=self.actor, picker=picker,
                                                      query=request.GET.get("q", ""))
        except ApplicationError as exc:
            return JsonResponse(exc.as_dict(), status=exc.status)
        return JsonResponse({"results": results})
