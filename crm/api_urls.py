from django.urls import path

from . import apis

urlpatterns = [
    path("customers/", apis.CustomerListApi.as_view(), name="api-customers"),
    path("customers/<int:customer_id>/", apis.CustomerDetailApi.as_view(), name="api-customer-detail"),
]
