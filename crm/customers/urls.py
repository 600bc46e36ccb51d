"""Customer dashboard pages (in the crm: namespace, see crm/urls.py)."""

from django.urls import path

from . import views

urlpatterns = [
    path("b/<slug:slug>/customers/", views.CustomerListView.as_view(), name="customers"),
    path("b/<slug:slug>/customers/transfer/", views.CustomersTransferView.as_view(), name="customers_transfer"),
    path("b/<slug:slug>/customers/<int:customer_id>/", views.CustomerDetailView.as_view(), name="customer_detail"),
    path("b/<slug:slug>/customers/<int:customer_id>/reassign/", views.CustomerReassignView.as_view(),
         name="customer_reassign"),
]
