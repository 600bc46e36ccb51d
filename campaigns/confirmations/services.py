"""Rep-confirmed sends (the way WeCom mass messages work): the rep sends their task with one click.

`rep_task_send` sends the task's pending recipients under the rep's own name, with their greeting first,
through the campaign fan-out (`deliveries_send`), in chunks of CAMPAIGN_CHUNK_SIZE. Each chunk is one
transaction that locks the task (the dispatcher's expiry skips a task being sent; a cancel waits for the
chunk) and claims its deliveries with `FOR UPDATE SKIP LOCKED`: a double click, or two tabs, never send a
recipient twice. Recipients deferred by quiet hours stay pending and go out with the run's chunks when the
quiet hours end, still from this rep with this greeting.
"""

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from chats.templating import template_check
from privtraffic.tenancy.actors import Actor, authorize
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.models import Membership
from privtraffic.tenancy.parsing import bad_text, bad_text_error
from privtraffic.tenancy.roles import Perm

from ..models import CampaignRun, Delivery, DeliveryStatus, RepTask, RepTaskStatus, RunStatus
from ..sending.dispatcher import run_finish_if_done
from ..sending.fanout import ChunkResult, deliveries_send

GREETING_MAX = RepTask._meta.get_field("greeting").max_length


def greeting_clean(greeting) -> str:
    """A rep's greeting: text, at most 200 characters, only the variables a message may use."""
    if not isinstance(greeting, str):
        raise ApplicationError("invalid", _("The greeting must be text."),
                               fields={"greeting": [_("The greeting must be text.")]})
    if bad_text(greeting):
        raise bad_text_error("greeting")
    greeting = greeting.strip()
    if len(greeting) > GREETING_MAX:
        message = _("The greeting is at most %(max)d characters.") % {"max": GREETING_MAX}
        raise ApplicationError("invalid", message, fields={"greeting": [message]})
    template_check(greeting, field="greeting")
    return greeting


def _closed(task: RepTask) -> ApplicationError:
    if task.status == RepTaskStatus.SENT:
        message = _("You already sent this task.")
    elif task.status == RepTaskStatus.CANCELLED:
        message = _("The campaign was cancelled: there is nothing to send.")
    else:
        message = _("The deadline of this task has passed: its recipients were skipped.")
    return ApplicationError("task_closed", message, status=409)


def rep_task_send(*, task: RepTask, actor: Actor, greeting: str,
                  now: datetime.datetime | None = None) -> ChunkResult:
    """Send the task's pending recipients as its rep, greeting first. Only the task's own rep may (anyone
    else, a manager included, gets not found: nobody sends under a rep's name), only while the task is open
    and before its deadline. Returns what was sent, skipped (consent, budget, ...) and deferred (quiet hours)."""
    authorize(actor, Perm.CHAT, task, what="task")
    if not isinstance(actor, Membership) or actor.pk != task.rep_id:
        raise ApplicationError.not_found("task")
    greeting = greeting_clean(greeting)
    now = now or timezone.now()
    size = int(settings.CAMPAIGN_CHUNK_SIZE)
    result = ChunkResult()
    first = True
    while True:
        with transaction.atomic():
            locked = (RepTask.objects.select_for_update(of=("self",))
                      .select_related("run__campaign__brand", "rep__user", "rep__store").get(pk=task.pk))
            if locked.status != RepTaskStatus.OPEN or locked.run.status != RunStatus.SENDING:
                if first:
                    raise _closed(locked)
                break  # cancelled or expired between two chunks: what went out stays out, nothing more
            if first:
                if locked.deadline <= now:
                    raise _closed(locked)
                locked.greeting = greeting
                locked.save(update_fields=["greeting"])
                first = False
            claimed = list(Delivery.objects.select_for_update(skip_locked=True)
                           .filter(task=locked, status=DeliveryStatus.PENDING)
                           .filter(Q(not_before__isnull=True) | Q(not_before__lte=now)).order_by("id")[:size])
            if not claimed:
                # The run's chunks send what quiet hours deferred (from this rep, with this greeting).
                RepTask.objects.filter(pk=locked.pk, status=RepTaskStatus.OPEN).update(
                    status=RepTaskStatus.SENT, sent_at=now)
                break
            result.add(deliveries_send(run=locked.run, deliveries=claimed, now=now, greeting=greeting,
                                       rep=locked.rep))
            CampaignRun.objects.filter(pk=locked.run_id).update(progress_at=now)
    run_finish_if_done(run_id=task.run_id, now=now)
    task.refresh_from_db()
    return result
