"""Dashboard pages for moderation: a group's automatic rules and log, and reported messages.

Thin: who may do what is decided by the services (group_rule_save, message_delete, message_report_resolve)
with actor=self.actor; reads come from chats.moderation.selectors.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from communities.groups.selectors import group_get
from privtraffic.tenancy.dashboard import BrandView, form_errors
from privtraffic.tenancy.roles import Perm

from ..models import ModerationAction
from ..services import conversation_for_group, message_delete
from . import selectors
from .forms import GroupRuleForm
from .services import group_rule_save, message_report_resolve


class GroupRuleView(BrandView):
    permission = Perm.MANAGE_GROUPS

    def _context(self, group_id, form=None):
        group = group_get(brand=self.brand, group_id=group_id, actor=self.actor)
        rule = selectors.group_rule_get(brand=self.brand, group=group)
        log = selectors.moderation_log(brand=self.brand, group=group)
        return {"group": group, "form": form or GroupRuleForm(instance=rule), "log": log,
                "actions": ModerationAction.choices}

    def get(self, request, group_id):
        return render(request, "chats/moderation/group_rules.html", self._context(group_id))

    def post(self, request, group_id):
        context = self._context(group_id)
        form = GroupRuleForm(request.POST, instance=context["form"].instance)
        if form.is_valid():
            with form_errors(form) as outcome:
                conversation = conversation_for_group(group=context["group"])
                group_rule_save(conversation=conversation, actor=self.actor, **form.cleaned_data)
            if outcome.ok:
                messages.success(request, _("Group rules saved."))
                return redirect("chats:group_rules", slug=self.brand.slug, group_id=group_id)
        return render(request, "chats/moderation/group_rules.html", {**context, "form": form}, status=400)


class ReportListView(BrandView):
    permission = Perm.CHAT

    def get(self, request):
        reports = selectors.open_reports(brand=self.brand, actor=self.actor)
        return render(request, "chats/moderation/reports.html", {"reports": reports})


class _ReportHandleView(BrandView):
    """POST on one open report: handle it (and, for ReportDeleteMessageView, delete the message first)."""

    permission = Perm.CHAT
    delete_message = False

    def post(self, request, report_id):
        report = selectors.open_report_get(brand=self.brand, actor=self.actor, report_id=report_id)
        if self.delete_message:
            message_delete(message=report.message, actor=self.actor)
        message_report_resolve(report=report, actor=self.actor)
        messages.success(request, _("Report handled."))
        return redirect("chats:reports", slug=self.brand.slug)


class ReportDismissView(_ReportHandleView):
    pass


class ReportDeleteMessageView(_ReportHandleView):
    delete_message = True
