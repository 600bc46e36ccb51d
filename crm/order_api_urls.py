from django.urls import path

from . import order_apis

urlpatterns = [
    path("orders/", order_apis.OrderListApi.as_view(), name="api-orders"),
    path("orders/<int:order_id>/", order_apis.OrderDetailApi.as_view(), name="api-order-detail"),
]
