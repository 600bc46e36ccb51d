"""Dashboard pages of the CSV import (upload -> column mapping -> progress) and the CSV export. Thin."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from privtraffic.tenancy.dashboard import BrandView, form_apply_error, form_errors
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.parsing import query_int
from privtraffic.tenancy.roles import Perm

from ..models import ImportStatus
from . import exporting, selectors, services
from .checking import MAX_ERRORS
from .forms import ImportMappingForm, ImportUploadForm
from .reading import MAX_ROWS, encoding_label

RECENT_IMPORTS = 10


def _mapping_errors_into(row_errors: list):
    """A form_errors `apply` for the mapping step: row errors are listed beside the form, mapping problems
    are the form's own errors."""

    def apply(form, exc: ApplicationError) -> None:
        if exc.code == "invalid_rows":
            row_errors.extend(exc.fields.get("rows", []))
            form.add_error(None, exc.message)
        elif exc.fields.get("mapping"):
            for message in exc.fields["mapping"]:
                form.add_error(None, message)
        elif exc.code != "already_started":
            form_apply_error(form, exc)

    return apply


def _progress(job):
    return redirect("crm_import:progress", slug=job.brand.slug, import_id=job.pk)


class CustomerImportView(BrandView):
    """GET: the upload form, or with ?import=<id> the column mapping of an uploaded file. POST: either step."""

    permission = Perm.VIEW_CUSTOMERS

    def get(self, request):
        services.customers_bulk_authorize(actor=self.actor, brand=self.brand)
        if request.GET.get("import"):
            job = selectors.import_job_get(brand=self.brand, import_id=request.GET["import"])
            if not job.options.get("draft"):
                return _progress(job)
            return self._render_mapping(request, job, self._mapping_form(job))
        return self._render_upload(request, ImportUploadForm())

    def post(self, request):
        services.customers_bulk_authorize(actor=self.actor, brand=self.brand)
        if request.POST.get("step") == "map":
            return self._post_mapping(request)
        form = ImportUploadForm(request.POST, request.FILES)
        if form.is_valid():
            with form_errors(form) as outcome:
                job = services.customer_import_draft(brand=self.brand, actor=self.actor, file=form.cleaned_data["file"])
            if outcome.ok:
                return redirect(f"{reverse('crm_import:import', kwargs={'slug': self.brand.slug})}?import={job.pk}")
        return self._render_upload(request, form, status=400)

    def _post_mapping(self, request):
        job = selectors.import_job_get(brand=self.brand, import_id=request.POST.get("import"))
        if not job.options.get("draft"):
            return _progress(job)
        form = self._mapping_form(job, request.POST)
        row_errors: list[str] = []
        if form.is_valid():
            with form_errors(form, apply=_mapping_errors_into(row_errors)) as outcome:
                services.customer_import_submit(job=job, actor=self.actor, mapping=form.mapping(),
                                                skip_invalid=form.cleaned_data["skip_invalid"])
            if outcome.ok:
                messages.success(request, _("Import of “%(name)s” started.") % {"name": job.original_name})
                return _progress(job)
            if outcome.error.code == "already_started":
                return _progress(job)
        return self._render_mapping(request, job, form, row_errors, status=400)

    def _mapping_form(self, job, data=None):
        return ImportMappingForm(data, header=job.options.get("header", []), mapping=job.options.get("mapping", {}))

    def _render_upload(self, request, form, status=200):
        context = {"form": form, "imports": selectors.import_job_list(brand=self.brand)[:RECENT_IMPORTS],
                   "max_rows": MAX_ROWS}
        return render(request, "crm/import/upload.html", context, status=status)

    def _render_mapping(self, request, job, form, row_errors=(), status=200):
        samples = job.options.get("sample", [])
        columns = [{"field": form[name], "samples": [row[index] for row in samples if index < len(row)]}
                   for index, name in form.columns]
        context = {"job": job, "form": form, "columns": columns, "row_errors": row_errors,
                   "encoding": encoding_label(job.options.get("encoding", "")),
                   "delimiter": {",": _("comma"), ";": _("semicolon"), "\t": _("tab")}.get(
                       job.options.get("delimiter", ""), "")}
        return render(request, "crm/import/mapping.html", context, status=status)


class CustomerImportProgressView(BrandView):
    """Progress of one import; the page reloads itself every 2 s until the import is over."""

    permission = Perm.VIEW_CUSTOMERS

    def get(self, request, import_id):
        services.customers_bulk_authorize(actor=self.actor, brand=self.brand)
        job = selectors.import_job_get(brand=self.brand, import_id=import_id)
        if job.options.get("draft"):
            return redirect(f"{reverse('crm_import:import', kwargs={'slug': self.brand.slug})}?import={job.pk}")
        context = {"job": job, "finished": job.status in (ImportStatus.DONE, ImportStatus.FAILED),
                   "errors": selectors.import_job_error_texts(job), "max_errors": MAX_ERRORS}
        return render(request, "crm/import/progress.html", context)


class CustomerExportView(BrandView):
    """The customers as a streamed CSV; ?search= (or the list's ?q=) filters like the customer list."""

    permission = Perm.VIEW_CUSTOMERS

    def get(self, request):
        chunks = services.customers_export_csv(brand=self.brand, actor=self.actor,
                                               search=request.GET.get("search") or request.GET.get("q", ""),
                                               segment_id=query_int(request, "segment"))
        return exporting.export_response(request, self.brand, chunks)
