"""Customer dashboard pages (include with `path("", include("crm.urls"))`; names are crm:...)."""

from django.urls import path

from . import reach_views, views

app_name = "crm"

urlpatterns = [
    path("b/<slug:slug>/customers/", views.CustomerListView.as_view(), name="customers"),
    path("b/<slug:slug>/customers/contact-policy/", reach_views.ContactPolicyView.as_view(), name="contact_policy"),
    path("o/<str:token>/", reach_views.PromotionsOptOutView.as_view(), name="promotions_opt_out"),
    path("b/<slug:slug>/customers/transfer/", views.CustomersTransferView.as_view(), name="customers_transfer"),
    path("b/<slug:slug>/customers/<int:customer_id>/", views.CustomerDetailView.as_view(), name="customer_detail"),
    path("b/<slug:slug>/customers/<int:customer_id>/reassign/", views.CustomerReassignView.as_view(),
         name="customer_reassign"),
    path("b/<slug:slug>/customers/<int:customer_id>/export/", views.CustomerExportView.as_view(),
         name="customer_export"),
    path("b/<slug:slug>/customers/<int:customer_id>/erase/", views.CustomerEraseView.as_view(),
         name="customer_erase"),
]
