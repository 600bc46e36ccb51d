from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ..models import Product
from .services import BULK_MAX_ITEMS


class ProductSerializer(serializers.ModelSerializer):
    price = serializers.DecimalField(max_digits=12, decimal_places=2, coerce_to_string=True, read_only=True)

    class Meta:
        model = Product
        fields = ["id", "sku", "name", "description", "price", "currency", "image_url", "url", "active",
                  "created_at", "updated_at"]
        read_only_fields = fields


class ProductInputSerializer(serializers.Serializer):
    """POST upserts by `sku`: a new SKU needs `name` and `price` (`currency` defaults to the brand's); an existing
    one changes only the fields given. PATCH takes the same fields, all optional."""

    sku = serializers.CharField(max_length=64)
    name = serializers.CharField(max_length=120, required=False)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    # A decimal string checked by the service (digits, an optional point and up to 2 decimals; below 1e9).
    price = serializers.RegexField(r"^[0-9]{1,9}(\.[0-9]{1,2})?$", max_length=12, required=False,
                                   help_text="A decimal string, e.g. \"199.00\".",
                                   error_messages={"invalid": _("A non-negative amount below one billion with at "
                                                                "most 2 decimals, e.g. 199.00.")})
    currency = serializers.CharField(max_length=3, required=False, help_text="ISO 4217, e.g. CNY.")
    image_url = serializers.CharField(max_length=500, required=False, allow_blank=True,
                                      help_text="An http(s) link to the product's image.")
    url = serializers.CharField(max_length=500, required=False, allow_blank=True,
                                help_text="An http(s) link to the product's page.")
    active = serializers.BooleanField(required=False)


class ProductBulkSerializer(serializers.Serializer):
    """Each item has the fields of a single upsert; all are checked before anything is written."""

    items = serializers.ListField(child=serializers.JSONField(), min_length=1, max_length=BULK_MAX_ITEMS)


class ProductBulkItemResultSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    sku = serializers.CharField()
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["created", "updated", "unchanged"])


class ProductBulkResultSerializer(serializers.Serializer):
    results = ProductBulkItemResultSerializer(many=True)
