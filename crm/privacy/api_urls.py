from django.urls import path

from . import apis

urlpatterns = [
    path("customers/<int:customer_id>/export/", apis.CustomerExportApi.as_view(), name="api-customer-export"),
    path("customers/<int:customer_id>/erase/", apis.CustomerEraseApi.as_view(), name="api-customer-erase"),
]
