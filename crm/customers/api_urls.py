from django.urls import path

from . import apis

urlpatterns = [
    path("customers/", apis.CustomerListApi.as_view(), name="api-customers"),
    path("customers/bulk/", apis.CustomerBulkApi.as_view(), name="api-customers-bulk"),
    path("customers/<int:customer_id>/", apis.CustomerDetailApi.as_view(), name="api-customer-detail"),
    path("customers/<int:customer_id>/reassign/", apis.CustomerReassignApi.as_view(), name="api-customer-reassign"),
    path("reps/<int:rep_id>/transfer-customers/", apis.RepCustomersTransferApi.as_view(),
         name="api-rep-customers-transfer"),
]
