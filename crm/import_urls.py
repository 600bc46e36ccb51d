"""Dashboard routes of the CSV import and export: include with `path("", include("crm.import_urls"))`."""

from django.urls import path

from . import import_views

app_name = "crm_import"

urlpatterns = [
    path("b/<slug:slug>/customers/import/", import_views.CustomerImportView.as_view(), name="import"),
    path("b/<slug:slug>/customers/imports/<int:import_id>/", import_views.CustomerImportProgressView.as_view(),
         name="progress"),
    path("b/<slug:slug>/customers/export.csv", import_views.CustomerExportView.as_view(), name="export"),
]
