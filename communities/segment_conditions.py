"""The segment condition communities adds to crm: "member of a group" (current members only).
Registered by importing this module from CommunitiesConfig.ready()."""

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _

from crm.segments.conditions import PICKER_LIMIT, Condition, condition_register, parse_int, picker_register
from crm.segments.pickers import ids_of
from privtraffic.tenancy.selectors import brand_get_object

from .groups.selectors import group_list
from .models import GroupMember, VipGroup


@condition_register
class GroupCondition(Condition):
    field, ops, position = "group", ("member_of", "not_member_of"), 50
    choice_name, picker, value_kind = "groups", "groups", "none"

    def clean_value(self, condition, op, value, ctx, out):
        value = parse_int(value, _("group"))
        if ctx.check_refs:
            brand_get_object(VipGroup.objects.all(), brand=ctx.brand, what="group", pk=value)
        return value

    def q(self, condition, ctx):
        member = Exists(GroupMember.objects.filter(brand=ctx.brand, group_id=condition["value"],
                                                   customer_id=OuterRef("pk"), left_at__isnull=True))
        return Q(member) if condition["op"] == "member_of" else ~Q(member)

    def choices(self, brand, actor):
        return group_list(brand=brand, actor=actor, include_archived=True).order_by("name", "id")


@picker_register("groups")
def pick_groups(brand, actor, *, query: str = "", ids: list | None = None) -> list[dict]:
    """The groups the actor may see (archived ones too: a segment may still name them), by name."""
    groups = group_list(brand=brand, actor=actor, include_archived=True).order_by("name", "id")
    groups = groups.filter(pk__in=ids_of(ids)) if ids is not None else groups.filter(name__icontains=query)
    return [{"id": g.pk, "name": g.name, "detail": g.store.name if g.store else ""} for g in groups[:PICKER_LIMIT]]
