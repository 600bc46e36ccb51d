"""Dashboard routes of the CSV import and export: include with `path("", include("crm.imports.urls"))`."""

from django.urls import path

from . import views

app_name = "crm_import"

urlpatterns = [
    path("b/<slug:slug>/customers/import/", views.CustomerImportView.as_view(), name="import"),
    path("b/<slug:slug>/customers/imports/<int:import_id>/", views.CustomerImportProgressView.as_view(),
         name="progress"),
    path("b/<slug:slug>/customers/export.csv", views.CustomerExportView.as_view(), name="export"),
]
