"""/api/v1/orders/: integrators sync their shop's orders; each one keeps the customer's figures current."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from privtraffic.tenancy.api import BrandAPIView
from privtraffic.tenancy.parsing import parse_input, query_int

from . import orders, selectors
from .models import Order, OrderStatus


class OrderItemSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    name = serializers.CharField(max_length=200)
    quantity = serializers.IntegerField(min_value=1, max_value=10000)
    price = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0, coerce_to_string=True)


class OrderSerializer(serializers.ModelSerializer):
    items = OrderItemSerializer(many=True, read_only=True)

    class Meta:
        model = Order
        fields = ["id", "external_id", "customer", "currency", "total", "items", "status", "tracking_number",
                  "placed_at", "created_at", "updated_at"]


class OrderInputSerializer(serializers.Serializer):
    external_id = serializers.CharField(max_length=64)
    customer = serializers.IntegerField(min_value=1)
    currency = serializers.RegexField(r"^[A-Z]{3}$", error_messages={
        "invalid": "A three-letter ISO 4217 code such as CNY."})
    total = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0)
    items = OrderItemSerializer(many=True, required=False, max_length=orders.MAX_ITEMS)
    status = serializers.ChoiceField(choices=OrderStatus.choices, required=False)
    tracking_number = serializers.CharField(max_length=64, required=False, allow_blank=True)
    placed_at = serializers.DateTimeField(required=False)


class OrderUpdateSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=OrderStatus.choices, required=False)
    tracking_number = serializers.CharField(max_length=64, required=False, allow_blank=True)


class OrderListApi(BrandAPIView):
    @extend_schema(parameters=[OpenApiParameter("customer", int), OpenApiParameter("status", str)],
                   responses=OrderSerializer(many=True))
    def get(self, request):
        return self.paginate(orders.order_list(brand=self.brand, customer_id=query_int(request, "customer"),
                                               status=request.query_params.get("status", "").strip()),
                             OrderSerializer)

    @extend_schema(request=OrderInputSerializer, responses={201: OrderSerializer})
    def post(self, request):
        """Create an order; `external_id` is unique per brand (a second POST with it is 409 `duplicate`)."""
        data = dict(parse_input(OrderInputSerializer, request.data))
        data["customer"] = selectors.customer_get(brand=self.brand, customer_id=data["customer"])
        data["items"] = [dict(item) for item in data.get("items", [])]
        order = orders.order_create(brand=self.brand, **data)
        return Response(OrderSerializer(order).data, status=status.HTTP_201_CREATED)


class OrderDetailApi(BrandAPIView):
    @extend_schema(responses=OrderSerializer)
    def get(self, request, order_id: int):
        return Response(OrderSerializer(orders.order_get(brand=self.brand, order_id=order_id)).data)

    @extend_schema(request=OrderUpdateSerializer, responses=OrderSerializer)
    def patch(self, request, order_id: int):
        """Move the order along placed → paid → shipped → delivered (or cancelled / refunded)."""
        order = orders.order_get(brand=self.brand, order_id=order_id)
        data = parse_input(OrderUpdateSerializer, request.data)
        return Response(OrderSerializer(orders.order_update(order=order, **data)).data)
