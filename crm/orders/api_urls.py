from django.urls import path

from . import apis

urlpatterns = [
    path("orders/", apis.OrderListApi.as_view(), name="api-orders"),
    path("orders/<int:order_id>/", apis.OrderDetailApi.as_view(), name="api-order-detail"),
]
