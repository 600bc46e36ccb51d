"""What webhooks hand crm: an erasure removes the customer from the delivery log."""

from crm.models import Customer
from crm.privacy.registry import erase_step

from .services import webhook_deliveries_forget


@erase_step("campaigns.webhook_deliveries")
def forget_webhook_deliveries(customer: Customer, actor) -> None:
    webhook_deliveries_forget(customer=customer, actor=actor)
