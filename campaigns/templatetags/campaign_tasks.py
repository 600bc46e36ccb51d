"""The rep's "My tasks" entry in the dashboard nav, with the count of tasks waiting for them.

Loaded by templates/dashboard/base.html (`{% load campaign_tasks %}{% rep_tasks_nav %}`): the inbox and every
other dashboard page show it, while chats and the core import nothing of campaigns.
"""

from django import template
from django.urls import reverse

from privtraffic.tenancy.roles import Perm, Role, role_has

from ..confirmations.selectors import rep_task_open_count

register = template.Library()


@register.inclusion_tag("campaigns/_tasks_nav.html", takes_context=True)
def rep_tasks_nav(context):
    request = context.get("request")
    membership = getattr(request, "membership", None)
    if membership is None or not role_has(membership.role, Perm.CHAT):
        return {"show": False}
    count = rep_task_open_count(membership.brand, actor=membership)
    if not count and membership.role != Role.REP:
        return {"show": False}  # anyone may be a customer's rep; the entry is a rep's, or anyone's with a task
    url = reverse("campaigns:tasks", kwargs={"slug": membership.brand.slug})
    return {"show": True, "url": url, "active": request.path.startswith(url), "count": count}
