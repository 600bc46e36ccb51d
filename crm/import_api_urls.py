"""API routes of the CSV import and export: include with `path("api/v1/", include("crm.import_api_urls"))`."""

from django.urls import path

from . import import_apis

urlpatterns = [
    path("customers/import/", import_apis.CustomerImportApi.as_view(), name="api-customers-import"),
    path("customers/export.csv", import_apis.CustomerExportCsvApi.as_view(), name="api-customers-export"),
    path("imports/<int:import_id>/", import_apis.ImportDetailApi.as_view(), name="api-import-detail"),
]
