from rest_framework import serializers

from .models import GroupBuy


class TierSerializer(serializers.Serializer):
    min = serializers.IntegerField(min_value=2, max_value=100_000)
    price = serializers.DecimalField(max_digits=12, decimal_places=2)


class GroupBuySerializer(serializers.ModelSerializer):
    tiers = TierSerializer(many=True)

    class Meta:
        model = GroupBuy
        fields = ["id", "product", "title", "tiers", "currency", "deadline", "participant_count", "status",
                  "settled_at", "settled_tier", "coupon", "created_at"]


class GroupBuyCreateSerializer(serializers.Serializer):
    product = serializers.IntegerField(min_value=1)
    title = serializers.CharField(max_length=120)
    tiers = TierSerializer(many=True)
    deadline = serializers.DateTimeField()
