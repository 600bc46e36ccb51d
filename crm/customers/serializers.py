from rest_framework import serializers

from ..models import Customer, CustomerSource


class CustomerSerializer(serializers.ModelSerializer):
    # Names, read from the prefetched tags (crm.customers.selectors.customer_list): no query per customer.
    tags = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")
    attributes = serializers.DictField(read_only=True)

    class Meta:
        model = Customer
        fields = ["id", "external_id", "name", "email", "phone", "tags", "attributes", "assigned_rep", "home_store", "consent_chat",
                  "consent_promotions", "source", "source_ref", "lifecycle_stage", "last_active_at", "order_count",
                  "lifetime_value", "last_order_at", "created_at", "updated_at"]
        read_only_fields = ["lifecycle_stage", "last_active_at", "order_count", "lifetime_value", "last_order_at"]


class CustomerInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=150)
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    external_id = serializers.CharField(max_length=120, required=False, allow_blank=True)
    assigned_rep = serializers.IntegerField(required=False, allow_null=True)
    home_store = serializers.IntegerField(required=False, allow_null=True)
    consent_chat = serializers.BooleanField(required=False)
    consent_promotions = serializers.BooleanField(required=False)
    source = serializers.ChoiceField(choices=CustomerSource.choices, required=False)
    tags = serializers.ListField(child=serializers.CharField(max_length=50), required=False, max_length=200)
    attributes = serializers.DictField(required=False, allow_empty=True)


class CustomerBulkSerializer(serializers.Serializer):
    """Each item has the fields of a single create (checked one by one; `name` is needed only to create)."""

    items = serializers.ListField(child=serializers.JSONField(), min_length=1, max_length=1000)


class CustomerBulkItemResultSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["created", "updated", "error"])
    id = serializers.IntegerField(allow_null=True)
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class CustomerBulkResultSerializer(serializers.Serializer):
    results = CustomerBulkItemResultSerializer(many=True)


class CustomerReassignSerializer(serializers.Serializer):
    rep = serializers.IntegerField(min_value=1)


class RepCustomersTransferSerializer(serializers.Serializer):
    to_rep = serializers.IntegerField(min_value=1)


class RepCustomersTransferResultSerializer(serializers.Serializer):
    moved = serializers.IntegerField()
