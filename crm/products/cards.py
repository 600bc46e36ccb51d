"""What a product card in chat carries (chats.services PAYLOAD_SHAPES["product"]): a copy of the product as it
was when sent, and its id. The inbox's picker and the campaign builder both build it here."""

from typing import Any

from ..models import Product


def product_card_payload(*, product: Product) -> dict[str, Any]:
    payload: dict[str, Any] = {"product_id": product.pk, "name": product.name[:120], "price": str(product.price),
                               "currency": product.currency}
    if product.url:
        payload["url"] = product.url
    if product.image_url:
        payload["image_url"] = product.image_url
    return payload
