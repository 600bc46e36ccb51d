from rest_framework import serializers

from .models import Membership, Store


class StoreSerializer(serializers.ModelSerializer):
    class Meta:
        model = Store
        fields = ["id", "name", "address", "city", "postal_code", "created_at"]
        read_only_fields = ["id", "created_at"]


class StoreInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    address = serializers.CharField(max_length=255, required=False, allow_blank=True)
    city = serializers.CharField(max_length=80, required=False, allow_blank=True)
    postal_code = serializers.CharField(max_length=20, required=False, allow_blank=True)


class RepSerializer(serializers.ModelSerializer):
    email = serializers.EmailField(source="user.email")
    name = serializers.CharField(source="user.name")

    class Meta:
        model = Membership
        fields = ["id", "email", "name", "store", "is_active", "created_at"]


class RepCreateSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    store = serializers.IntegerField()


class RepUpdateSerializer(serializers.Serializer):
    store = serializers.IntegerField(required=False)
    is_active = serializers.BooleanField(required=False)
