from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from privtraffic.tenancy.roles import Perm, role_has
from privtraffic.tenancy.selectors import membership_list_for_user

register = template.Library()

# The dashboard's sections in order. A section appears once its app routes it and the role may see it.
NAV = [
    ("tenancy:overview", _("Overview"), Perm.VIEW_DASHBOARD),
    ("tenancy:stores", _("Stores"), Perm.VIEW_DASHBOARD),
    ("tenancy:team", _("Reps"), Perm.VIEW_TEAM),
    ("communities:groups", _("Groups"), Perm.CHAT),
    ("communities:invites", _("Invite links"), Perm.CHAT),
    ("chats:inbox", _("Inbox"), Perm.CHAT),
    ("chats:reports", _("Reports"), Perm.CHAT),
    ("chats:quick_replies", _("Quick replies"), Perm.CHAT),
    ("crm:customers", _("Customers"), Perm.VIEW_CUSTOMERS),
    ("crm_products:list", _("Products"), Perm.VIEW_DASHBOARD),
    ("crm_segments:list", _("Segments"), Perm.MANAGE_CAMPAIGNS),
    ("crm_surveys:list", _("Surveys"), Perm.MANAGE_CAMPAIGNS),
    ("campaigns:list", _("Campaigns"), Perm.MANAGE_CAMPAIGNS),
    ("coupons:list", _("Coupons"), Perm.MANAGE_CAMPAIGNS),
    ("events:list", _("Events"), Perm.CHAT),
    ("groupbuys:list", _("Group-buys"), Perm.MANAGE_CAMPAIGNS),
    ("chats:persona", _("Brand persona"), Perm.MANAGE_CAMPAIGNS),
    ("tenancy:settings", _("Settings"), Perm.MANAGE_SETTINGS),
    ("campaigns:webhooks:list", _("Webhooks"), Perm.MANAGE_SETTINGS),
]


@register.simple_tag(takes_context=True)
def dashboard_nav(context):
    request = context["request"]
    membership = getattr(request, "membership", None)
    if membership is None:
        return []
    items = []
    for url_name, label, perm in NAV:
        if not role_has(membership.role, perm):
            continue
        try:
            url = reverse(url_name, kwargs={"slug": request.brand.slug})
        except NoReverseMatch:
            continue
        active = request.path == url if url_name == "tenancy:overview" else request.path.startswith(url)
        items.append({"url": url, "label": label, "active": active})
    return items


@register.simple_tag
def user_memberships(user):
    return list(membership_list_for_user(user=user))
