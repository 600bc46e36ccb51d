"""Dashboard pages for moderation: quick replies, group rules and reported messages."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from communities.groups.selectors import group_get
from privtraffic.tenancy.dashboard import BrandView, form_apply_error
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.roles import Perm
from privtraffic.tenancy.selectors import brand_get_object

from . import moderation, selectors, services
from .models import GroupRule, ModerationAction, QuickReply


class QuickReplyForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=80)
    body = forms.CharField(label=gettext_lazy("Text"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000,
                           help_text=gettext_lazy("You can use {first_name}, {rep_name} and {store_name}."))


class GroupRuleForm(forms.ModelForm):
    class Meta:
        model = GroupRule
        fields = ["blocked_words", "block_links", "block_images", "flood_limit", "action", "mute_minutes"]
        widgets = {"blocked_words": forms.Textarea(attrs={"rows": 4})}


class QuickReplyListView(BrandView):
    permission = Perm.CHAT

    def get(self, request):
        return self._render(request, QuickReplyForm())

    def post(self, request):
        if request.POST.get("action") == "delete":
            reply = brand_get_object(QuickReply.objects.all(), brand=self.brand, what="quick reply",
                                     pk=request.POST.get("reply_id"))
            if not (self.can(Perm.MANAGE_CAMPAIGNS) or self.membership.role == "store_manager"):
                raise ApplicationError.forbidden(_("Your role does not allow managing quick replies."))
            reply.delete()
            messages.success(request, _("Quick reply deleted."))
            return redirect("chats:quick_replies", slug=self.brand.slug)
        form = QuickReplyForm(request.POST)
        if form.is_valid():
            try:
                services.quick_reply_save(brand=self.brand, actor=self.membership, **form.cleaned_data)
            except ApplicationError as exc:
                if exc.status == 403:
                    raise
                form_apply_error(form, exc)
            else:
                messages.success(request, _("Quick reply saved."))
                return redirect("chats:quick_replies", slug=self.brand.slug)
        return self._render(request, form, status=400)

    def _render(self, request, form, status=200):
        replies = QuickReply.objects.filter(brand=self.brand).order_by("title", "id")
        can_edit = self.can(Perm.MANAGE_CAMPAIGNS) or self.membership.role == "store_manager"
        return render(request, "chats/moderation/quick_replies.html",
                      {"replies": replies, "form": form, "can_edit": can_edit}, status=status)


class GroupRuleView(BrandView):
    permission = Perm.MANAGE_GROUPS

    def _context(self, group_id, form=None):
        group = group_get(brand=self.brand, group_id=group_id, actor=self.membership)
        rule = GroupRule.objects.filter(group=group).first() or GroupRule(group=group, brand=self.brand)
        log = selectors.moderation_log(brand=self.brand, group=group)
        return {"group": group, "form": form or GroupRuleForm(instance=rule), "log": log,
                "actions": ModerationAction.choices}

    def get(self, request, group_id):
        return render(request, "chats/moderation/group_rules.html", self._context(group_id))

    def post(self, request, group_id):
        context = self._context(group_id)
        form = GroupRuleForm(request.POST, instance=context["form"].instance)
        if not form.is_valid():
            return render(request, "chats/moderation/group_rules.html", {**context, "form": form}, status=400)
        conversation = services.conversation_for_group(group=context["group"])
        moderation.group_rule_save(conversation=conversation, actor=self.membership, **form.cleaned_data)
        messages.success(request, _("Group rules saved."))
        return redirect("chats:group_rules", slug=self.brand.slug, group_id=group_id)


class ReportListView(BrandView):
    permission = Perm.CHAT

    def get(self, request):
        reports = selectors.open_reports(brand=self.brand, membership=self.membership)
        return render(request, "chats/moderation/reports.html", {"reports": reports})

    def post(self, request):
        report = brand_get_object(selectors.open_reports(brand=self.brand, membership=self.membership),
                                  brand=self.brand, what="report", pk=request.POST.get("report_id"))
        if request.POST.get("action") == "delete_message":
            services.message_delete(message=report.message, actor=self.membership)
        moderation.message_report_resolve(report=report, actor=self.membership)
        messages.success(request, _("Report handled."))
        return redirect("chats:reports", slug=self.brand.slug)

