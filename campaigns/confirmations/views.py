"""The rep's pages of rep-confirmed sends: their open tasks, and one task with its greeting and one Send
button. Thin: parse, call campaigns.confirmations, render. Another person's task is a 404, like anything
else that is not yours."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import ngettext

from privtraffic.tenancy.dashboard import BrandView, form_errors
from privtraffic.tenancy.roles import Perm

from ..models import RepTaskStatus
from . import selectors, services
from .forms import GreetingForm


class RepTaskListView(BrandView):
    permission = Perm.CHAT

    def get(self, request):
        rows = selectors.rep_task_rows(self.brand, actor=self.actor)
        previews = [(row, selectors.rep_task_preview(row.task, greeting=row.task.greeting, customer=row.first))
                    for row in rows]
        return render(request, "campaigns/tasks.html", {"rows": previews})


class RepTaskView(BrandView):
    permission = Perm.CHAT

    def get(self, request, task_id):
        task = selectors.rep_task_get(self.brand, actor=self.actor, task_id=task_id)
        return self._render(request, task, GreetingForm(initial={"greeting": task.greeting}), task.greeting)

    def post(self, request, task_id):
        task = selectors.rep_task_get(self.brand, actor=self.actor, task_id=task_id)
        form = GreetingForm(request.POST)
        if not form.is_valid():
            return self._render(request, task, form, "", status=400)
        greeting = form.cleaned_data["greeting"]
        if request.POST.get("action") == "preview":
            with form_errors(form) as outcome:
                greeting = services.greeting_clean(greeting)
            return self._render(request, task, form, greeting if outcome.ok else "", status=200 if outcome.ok else 400)
        with form_errors(form) as outcome:
            result = services.rep_task_send(task=task, actor=self.actor, greeting=greeting)
        if not outcome.ok:
            return self._render(request, task, form, "", status=outcome.error.status)
        parts = [ngettext("Sent to %(n)d customer.", "Sent to %(n)d customers.", result.sent) % {"n": result.sent}]
        if result.deferred:
            parts.append(ngettext("%(n)d more after quiet hours.", "%(n)d more after quiet hours.",
                                  result.deferred) % {"n": result.deferred})
        if result.skipped:
            parts.append(ngettext("%(n)d could not be reached (consent or weekly limit).",
                                  "%(n)d could not be reached (consent or weekly limit).",
                                  result.skipped) % {"n": result.skipped})
        messages.success(request, " ".join(parts))
        return redirect("campaigns:tasks", slug=self.brand.slug)

    def _render(self, request, task, form, greeting, status=200):
        recipients = selectors.rep_task_recipients(task)
        first = recipients.shown[0] if recipients.shown else None
        context = {"task": task, "form": form, "recipients": recipients, "open": task.status == RepTaskStatus.OPEN and task.deadline > timezone.now(),
                   "preview": selectors.rep_task_preview(task, greeting=greeting, customer=first),
                   "first": first}
        return render(request, "campaigns/tasks_detail.html", context, status=status)
