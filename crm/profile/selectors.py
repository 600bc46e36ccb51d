"""Reads of the customer profile: the brand's tags and attribute definitions, a customer's notes."""

from django.db.models import QuerySet

from privtraffic.tenancy.models import Brand
from privtraffic.tenancy.selectors import brand_get_object

from ..models import AttributeDefinition, Customer, CustomerNote, Tag


def tag_list(*, brand: Brand) -> QuerySet[Tag]:
    return Tag.objects.filter(brand=brand)


def tag_get(*, brand: Brand, tag_id) -> Tag:
    return brand_get_object(tag_list(brand=brand), brand=brand, what="tag", pk=tag_id)


def attribute_list(*, brand: Brand) -> QuerySet[AttributeDefinition]:
    return AttributeDefinition.objects.filter(brand=brand)


def customer_note_list(*, brand: Brand, customer: Customer) -> QuerySet[CustomerNote]:
    return CustomerNote.objects.filter(brand=brand, customer=customer).select_related("author")
