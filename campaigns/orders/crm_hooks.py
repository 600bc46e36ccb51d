"""What campaigns.orders hands crm: the customer's attributed orders on their profile timeline."""

from django.utils.translation import gettext as _

from crm.models import Customer
from crm.profile.timeline import TimelineEntry, timeline_source

from .selectors import customer_order_attributions


@timeline_source("campaigns.order_attribution")
def order_attribution_timeline(customer: Customer, limit: int) -> list[TimelineEntry]:
    """An order credited to a campaign (last touch within the attribution window) or a coupon."""
    entries = []
    for row in customer_order_attributions(customer.brand_id, customer_id=customer.pk, limit=limit):
        number = row.order.external_id
        if row.campaign_id:
            title = _("Order %(number)s attributed to the campaign %(campaign)s") % {
                "number": number, "campaign": row.campaign.name}
        else:
            title = _("Order %(number)s attributed to a coupon") % {"number": number}
        detail = _("Coupon %(code)s") % {"code": row.coupon_code} if row.coupon_code else ""
        entries.append(TimelineEntry(row.order.placed_at, "order_attribution", title, detail))
    return entries
