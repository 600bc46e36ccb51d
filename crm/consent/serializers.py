from rest_framework import serializers


class ReachSerializer(serializers.Serializer):
    reachable = serializers.BooleanField()
    reason = serializers.CharField(help_text="erased | no_chat_consent | no_promotions_consent | "
                                             "weekly_budget_spent | quiet_hours, empty when reachable")
    message = serializers.CharField()
    next_possible_at = serializers.DateTimeField(allow_null=True)
    promotions_left_this_week = serializers.IntegerField(allow_null=True)
