"""Results as the API shows them (CONTRACT.md: stats, recipient)."""

from rest_framework import serializers

from ..models import Delivery


class StatsSerializer(serializers.Serializer):
    status = serializers.CharField(help_text="the campaign's status")
    total = serializers.IntegerField(help_text="recipients over every run (groups for a group post)")
    delivered = serializers.IntegerField(help_text="sent")
    skipped = serializers.IntegerField(help_text="left out by consent, opt-outs, quiet hours, the weekly budget, "
                                                 "a rep who did not confirm, or cancelling")
    failed = serializers.IntegerField()
    pending = serializers.IntegerField(help_text="not sent yet (deferred ones included)")
    deferred = serializers.IntegerField(help_text="pending until the brand's quiet hours end")
    skipped_by_reason = serializers.DictField(child=serializers.IntegerField(), help_text="reason -> count")
    read = serializers.IntegerField(help_text="delivered messages a customer read (from read state)")
    readers = serializers.IntegerField(help_text="customers who read it (a group post counts each member)")
    clicks = serializers.IntegerField(help_text="card link clicks (tracked redirect)")
    clicked = serializers.IntegerField(help_text="recipients who clicked at least once")
    redeemed = serializers.IntegerField(help_text="redemptions of the campaign's coupons: the coupon on its card "
                                                  "and coupons made for it (`campaign`)")
    orders = serializers.IntegerField(help_text="orders attributed to this campaign: placed by a recipient within "
                                                "`attribution_days` after its message, counted for the latest "
                                                "campaign message before the order only (last touch); cancelled "
                                                "and refunded orders left out")
    revenue = serializers.DictField(child=serializers.CharField(),
                                    help_text="total of the attributed orders per currency (decimal strings)")
    attribution_days = serializers.IntegerField(help_text="the brand's attribution window")


class RecipientSerializer(serializers.ModelSerializer):
    customer = serializers.IntegerField(source="customer_id", allow_null=True, read_only=True,
                                        help_text="the customer (1:1 channels), or null")
    group = serializers.IntegerField(source="group_id", allow_null=True, read_only=True,
                                     help_text="the group (group posts), or null")
    run = serializers.IntegerField(source="run_id", read_only=True, help_text="the occurrence it belongs to")
    not_before = serializers.DateTimeField(read_only=True, allow_null=True,
                                           help_text="deferred by quiet hours until then")

    class Meta:
        model = Delivery
        fields = ["id", "customer", "group", "run", "status", "reason", "not_before", "sent_at", "clicks"]
        read_only_fields = fields
