"""API routes of the CSV import and export: include with `path("api/v1/", include("crm.imports.api_urls"))`."""

from django.urls import path

from . import apis

urlpatterns = [
    path("customers/import/", apis.CustomerImportApi.as_view(), name="api-customers-import"),
    path("customers/export.csv", apis.CustomerExportCsvApi.as_view(), name="api-customers-export"),
    path("imports/<int:import_id>/", apis.ImportDetailApi.as_view(), name="api-import-detail"),
]
