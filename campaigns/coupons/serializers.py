"""The coupon as the API shows it and takes it (CONTRACT.md: coupon), and a redemption."""

import re

from rest_framework import serializers

from privtraffic.tenancy.parsing import INT64_MAX

from ..models import Coupon, CouponKind, CouponRedemption
from .services import MAX_COUNT

_DECIMAL = re.compile(r"^\d{1,12}(\.\d{1,2})?$", re.ASCII)


class AsciiDecimalField(serializers.DecimalField):
    """A decimal string in ASCII digits: "١٠" and "1e3" are refused, never read as 10 or 1000."""

    def to_internal_value(self, data):
        if not isinstance(data, str) or not _DECIMAL.match(data.strip()):
            self.fail("invalid")
        return super().to_internal_value(data)


class CouponSerializer(serializers.ModelSerializer):
    campaign = serializers.IntegerField(source="campaign_id", allow_null=True, read_only=True)
    value = serializers.DecimalField(max_digits=10, decimal_places=2, read_only=True)
    min_order = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True, allow_null=True)

    class Meta:
        model = Coupon
        fields = ["id", "title", "code", "personal_codes", "kind", "value", "currency", "min_order", "valid_from",
                  "valid_until", "max_redemptions", "per_customer_limit", "campaign", "claims_count",
                  "redemptions_count", "active", "created_at", "updated_at"]
        read_only_fields = fields


class CouponInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=120)
    code = serializers.CharField(max_length=40, required=False, allow_blank=True,
                                 help_text="The shared code, 3-40 letters, digits, - or _ (unique in the brand, "
                                           "whatever its case); empty with personal_codes.")
    personal_codes = serializers.BooleanField(required=False,
                                              help_text="A unique, unguessable code per customer instead of a "
                                                        "shared one (drawn when they claim or are issued it).")
    kind = serializers.ChoiceField(choices=CouponKind.choices, required=False)
    value = AsciiDecimalField(max_digits=10, decimal_places=2,
                              help_text="percent: 1-100; amount: more than 0, in `currency`")
    currency = serializers.CharField(max_length=3, required=False, allow_blank=True,
                                     help_text="ISO 4217; required for amount coupons and a minimum order")
    min_order = AsciiDecimalField(max_digits=12, decimal_places=2, required=False, allow_null=True,
                                  help_text="the order total (in `currency`) a redemption needs")
    valid_from = serializers.DateTimeField(required=False, allow_null=True)
    valid_until = serializers.DateTimeField(required=False, allow_null=True)
    max_redemptions = serializers.IntegerField(min_value=1, max_value=MAX_COUNT, required=False, allow_null=True,
                                               help_text="total redemptions; null: no limit")
    per_customer_limit = serializers.IntegerField(min_value=1, max_value=MAX_COUNT, required=False)
    campaign = serializers.IntegerField(min_value=1, max_value=INT64_MAX, required=False, allow_null=True)
    active = serializers.BooleanField(required=False)


def service_fields(data: dict) -> dict:
    fields = dict(data)
    if "campaign" in fields:
        fields["campaign_id"] = fields.pop("campaign")
    return fields


class RedeemInputSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=40, help_text="a shared code or a customer's personal code")
    customer = serializers.IntegerField(min_value=1, max_value=INT64_MAX)
    order = serializers.IntegerField(min_value=1, max_value=INT64_MAX, required=False, allow_null=True,
                                     help_text="the customer's order it is used for (needed with a minimum order)")


class RedemptionSerializer(serializers.ModelSerializer):
    coupon = serializers.IntegerField(source="coupon_id", read_only=True)
    customer = serializers.IntegerField(source="customer_id", read_only=True)
    order = serializers.IntegerField(source="order_id", read_only=True, allow_null=True)
    title = serializers.CharField(source="coupon.title", read_only=True)
    kind = serializers.CharField(source="coupon.kind", read_only=True)
    value = serializers.DecimalField(source="coupon.value", max_digits=10, decimal_places=2, read_only=True)
    currency = serializers.CharField(source="coupon.currency", read_only=True)

    class Meta:
        model = CouponRedemption
        fields = ["id", "coupon", "code", "customer", "order", "title", "kind", "value", "currency", "redeemed_at"]
        read_only_fields = fields
