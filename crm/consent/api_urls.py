from django.urls import path

from . import apis

urlpatterns = [
    path("customers/<int:customer_id>/reach/", apis.CustomerReachApi.as_view(), name="api-customer-reach"),
]
