from rest_framework import serializers

from .models import Customer, CustomerSource


class CustomerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Customer
        fields = ["id", "name", "email", "phone", "assigned_rep", "home_store", "consent_chat", "consent_promotions",
                  "source", "source_ref", "created_at", "updated_at"]


class CustomerInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=150)
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    assigned_rep = serializers.IntegerField(required=False, allow_null=True)
    home_store = serializers.IntegerField(required=False, allow_null=True)
    consent_chat = serializers.BooleanField(required=False)
    consent_promotions = serializers.BooleanField(required=False)
    source = serializers.ChoiceField(choices=CustomerSource.choices, required=False)


class ErasedCustomerSerializer(CustomerSerializer):
    """The customer after erasure: the row stays, with `erased_at` set."""

    class Meta(CustomerSerializer.Meta):
        fields = [*CustomerSerializer.Meta.fields, "erased_at"]


class CustomerReassignSerializer(serializers.Serializer):
    rep = serializers.IntegerField(min_value=1)


class RepCustomersTransferSerializer(serializers.Serializer):
    to_rep = serializers.IntegerField(min_value=1)


class RepCustomersTransferResultSerializer(serializers.Serializer):
    moved = serializers.IntegerField()
