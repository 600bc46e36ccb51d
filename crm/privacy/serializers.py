from ..customers.serializers import CustomerSerializer


class ErasedCustomerSerializer(CustomerSerializer):
    """The customer after erasure: the row stays, with `erased_at` set."""

    class Meta(CustomerSerializer.Meta):
        fields = [*CustomerSerializer.Meta.fields, "erased_at"]
