"""Order cards in chat and order attribution (campaigns.orders).

OrderNotice is the once-per-(order, status) guard of the order card: the card is written in the same
transaction as its notice row, so duplicate events, repeated relays and concurrent relays post one card.
OrderAttribution is what an order is credited to beyond its rep and store (crm's Order.rep / Order.store):
the last campaign delivery that reached the customer within the attribution window before it, and the
coupon redeemed against it.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from crm.models import Order, OrderStatus
from privtraffic.tenancy.models import BrandOwned

__all__ = ["OrderAttribution", "OrderNotice"]


class OrderNotice(BrandOwned):
    """One order card sent to the customer for one status of one order."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=OrderStatus.choices)
    message = models.ForeignKey("chats.Message", on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["order", "status"], name="order_notice_once_per_status")]
        indexes = [models.Index(fields=["brand", "order"], name="order_notice_brand_order")]

    def __str__(self) -> str:
        return f"order {self.order_id} {self.status}"


class OrderAttribution(BrandOwned):
    order = models.OneToOneField(Order, on_delete=models.CASCADE, related_name="attribution")
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+", verbose_name=_("campaign"))
    delivery = models.ForeignKey("campaigns.Delivery", on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+")
    coupon = models.ForeignKey("campaigns.Coupon", on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="+", verbose_name=_("coupon"))
    coupon_code = models.CharField(_("coupon code"), max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["brand", "campaign"], name="order_attr_brand_campaign"),
            models.Index(fields=["brand", "coupon"], name="order_attr_brand_coupon"),
        ]

    def __str__(self) -> str:
        return f"attribution of order {self.order_id}"
