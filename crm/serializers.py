from rest_framework import serializers

from .models import AttributeDefinition, Customer, CustomerNote, CustomerSource, Tag


class CustomerSerializer(serializers.ModelSerializer):
    # Names, read from the prefetched tags (crm.selectors.customer_list): no query per customer.
    tags = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")
    attributes = serializers.DictField(read_only=True)

    class Meta:
        model = Customer
        fields = ["id", "name", "email", "phone", "tags", "attributes", "assigned_rep", "home_store", "consent_chat",
                  "consent_promotions", "source", "source_ref", "lifecycle_stage", "last_active_at", "order_count",
                  "lifetime_value", "last_order_at", "created_at", "updated_at"]
        read_only_fields = ["lifecycle_stage", "last_active_at", "order_count", "lifetime_value", "last_order_at"]


class CustomerInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=150)
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    assigned_rep = serializers.IntegerField(required=False, allow_null=True)
    home_store = serializers.IntegerField(required=False, allow_null=True)
    consent_chat = serializers.BooleanField(required=False)
    consent_promotions = serializers.BooleanField(required=False)
    source = serializers.ChoiceField(choices=CustomerSource.choices, required=False)
    tags = serializers.ListField(child=serializers.CharField(max_length=50), required=False, max_length=200)
    attributes = serializers.DictField(required=False, allow_empty=True)


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


class TagSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tag
        fields = ["id", "name", "colour", "created_at"]


class TagInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, allow_blank=True)
    colour = serializers.CharField(max_length=20, required=False)


class AttributeDefinitionSerializer(serializers.ModelSerializer):
    class Meta:
        model = AttributeDefinition
        fields = ["id", "key", "label", "type", "choices", "created_at"]


class AttributeDefinitionInputSerializer(serializers.Serializer):
    key = serializers.CharField(max_length=100)
    label = serializers.CharField(max_length=200, required=False, allow_blank=True)
    type = serializers.CharField(max_length=20)
    choices = serializers.ListField(child=serializers.CharField(max_length=200), required=False, max_length=100)


class CustomerNoteSerializer(serializers.ModelSerializer):
    author_name = serializers.SerializerMethodField()

    class Meta:
        model = CustomerNote
        fields = ["id", "customer", "author", "author_name", "body", "created_at"]

    def get_author_name(self, note) -> str:
        return note.author.display_name if note.author is not None else ""


class CustomerNoteInputSerializer(serializers.Serializer):
    body = serializers.CharField(allow_blank=True, max_length=20000)


class ReachSerializer(serializers.Serializer):
    reachable = serializers.BooleanField()
    reason = serializers.CharField(help_text="erased | no_chat_consent | no_promotions_consent | "
                                             "weekly_budget_spent | quiet_hours, empty when reachable")
    message = serializers.CharField()
    next_possible_at = serializers.DateTimeField(allow_null=True)
    promotions_left_this_week = serializers.IntegerField(allow_null=True)
