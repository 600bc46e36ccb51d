"""Dashboard routes of a customer's data download and erasure (in the crm: namespace, see crm/urls.py)."""

from django.urls import path

from . import views

urlpatterns = [
    path("b/<slug:slug>/customers/<int:customer_id>/export/", views.CustomerExportView.as_view(),
         name="customer_export"),
    path("b/<slug:slug>/customers/<int:customer_id>/erase/", views.CustomerEraseView.as_view(),
         name="customer_erase"),
]
