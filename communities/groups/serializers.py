from rest_framework import serializers

from ..models import MAX_GROUP_CAPACITY, GroupMember, VipGroup


class GroupSerializer(serializers.ModelSerializer):
    is_full = serializers.BooleanField(read_only=True)

    class Meta:
        model = VipGroup
        fields = ["id", "name", "store", "topic", "description", "rules", "welcome_message", "capacity", "member_count",
                  "is_full", "overflow_group", "series_root", "series_number", "announce_only", "system_messages",
                  "archived", "host_rep", "created_at"]


class GroupInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    store = serializers.IntegerField(required=False, allow_null=True)
    topic = serializers.CharField(max_length=200, required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    rules = serializers.CharField(required=False, allow_blank=True)
    welcome_message = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    capacity = serializers.IntegerField(min_value=1, max_value=MAX_GROUP_CAPACITY, required=False)
    overflow_group = serializers.IntegerField(required=False, allow_null=True)
    announce_only = serializers.BooleanField(required=False)
    system_messages = serializers.BooleanField(required=False)
    archived = serializers.BooleanField(required=False)
    host_rep = serializers.IntegerField(required=False, allow_null=True,
                                        help_text="A rep (of the group's store) who greets customers joining by a "
                                                  "group link; null: round robin among the store's reps.")


class MemberSerializer(serializers.ModelSerializer):
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    is_active = serializers.BooleanField(read_only=True)

    class Meta:
        model = GroupMember
        fields = ["id", "group", "customer", "customer_name", "role", "joined_at", "muted_until", "is_active",
                  "left_at", "leave_reason"]


class MemberAddSerializer(serializers.Serializer):
    customer = serializers.IntegerField()


class MemberUpdateSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=["member", "moderator"], required=False)
    muted_until = serializers.DateTimeField(required=False, allow_null=True)
