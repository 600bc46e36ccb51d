"""`{% crm_profile_panels customer as profile %}`: what templates/crm/profile/_panels.html shows.

Lets the customer page include the tags, attributes and notes panels without its view knowing about them.
"""

from django import template
from django.urls import NoReverseMatch, reverse

from privtraffic.tenancy.roles import Perm, role_has

from ..profile import selectors
from ..profile.forms import CustomerAttributesForm, CustomerNoteForm, CustomerTagsForm

register = template.Library()

NOTES_SHOWN = 50


@register.simple_tag(takes_context=True)
def crm_profile_panels(context, customer):
    request = context["request"]
    brand, membership = request.brand, request.membership
    if customer is None or customer.brand_id != brand.id:
        return {}
    try:  # until the project routes crm.profile_urls, the panels stay hidden instead of breaking the page
        reverse("crm_profile:tags", kwargs={"slug": brand.slug})
    except NoReverseMatch:
        return {}
    tags = list(selectors.tag_list(brand=brand))
    current = [t for t in customer.tags.all() if t.brand_id == brand.id]
    definitions = list(selectors.attribute_list(brand=brand))
    values = customer.attributes or {}
    return {
        "tags": current,
        "tags_form": CustomerTagsForm(tags=selectors.tag_list(brand=brand),
                                      initial={"tags": [t.pk for t in current]}) if tags else None,
        "attributes": [{"definition": d, "value": values[d.key]} for d in definitions if d.key in values],
        "attributes_form": CustomerAttributesForm(definitions=definitions, initial=values) if definitions else None,
        "notes": selectors.customer_note_list(brand=brand, customer=customer)[:NOTES_SHOWN],
        "note_form": CustomerNoteForm(),
        "can_manage": role_has(membership.role, Perm.MANAGE_CAMPAIGNS),
    }
