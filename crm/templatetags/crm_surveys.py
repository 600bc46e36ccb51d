"""`{% crm_survey_answers customer as surveys %}`: the customer's survey answers for the profile page."""

from django import template

from ..surveys.selectors import customer_survey_answers

register = template.Library()


@register.simple_tag(takes_context=True)
def crm_survey_answers(context, customer):
    request = context["request"]
    brand = getattr(request, "brand", None)
    if customer is None or brand is None or customer.brand_id != brand.id:
        return []
    return customer_survey_answers(brand=brand, customer=customer)
