from rest_framework import serializers

from ..models import Order, OrderStatus
from .services import MAX_ITEMS


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
                  "carrier", "rep", "store", "placed_at", "created_at", "updated_at"]
        extra_kwargs = {"rep": {"help_text": "The customer's assigned rep (membership id) when the order was "
                                             "created: the order is attributed to them."},
                        "store": {"help_text": "The customer's home store when the order was created."}}


class OrderInputSerializer(serializers.Serializer):
    external_id = serializers.CharField(max_length=64)
    customer = serializers.IntegerField(min_value=1)
    currency = serializers.RegexField(r"^[A-Z]{3}$", error_messages={
        "invalid": "A three-letter ISO 4217 code such as CNY."})
    total = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0)
    items = OrderItemSerializer(many=True, required=False, max_length=MAX_ITEMS)
    status = serializers.ChoiceField(choices=OrderStatus.choices, required=False)
    tracking_number = serializers.CharField(max_length=64, required=False, allow_blank=True)
    carrier = serializers.CharField(max_length=64, required=False, allow_blank=True,
                                    help_text="Who delivers it (e.g. SF Express). A shipped order needs a "
                                              "tracking number or a carrier.")
    placed_at = serializers.DateTimeField(required=False)


class OrderUpdateSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=OrderStatus.choices, required=False)
    tracking_number = serializers.CharField(max_length=64, required=False, allow_blank=True)
    carrier = serializers.CharField(max_length=64, required=False, allow_blank=True,
                                    help_text="A shipped order needs a tracking number or a carrier.")
