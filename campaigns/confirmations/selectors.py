"""Reads of rep-confirmed sends: a rep's open tasks (the list, the nav badge), one task, its recipients and
the message as it will read. Only the task's own rep sees it: anyone else's task is not found."""

import datetime
from dataclasses import dataclass

from django.db.models import Count, F, Q, QuerySet
from django.db.models.expressions import Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from chats.templating import template_render
from crm.models import Customer
from privtraffic.tenancy.actors import Actor
from privtraffic.tenancy.models import Brand, Membership
from privtraffic.tenancy.selectors import brand_get_object

from ..models import Delivery, DeliveryStatus, RepTask, RepTaskStatus

RECIPIENTS_SHOWN = 50  # names listed on the task page; the count is always whole


def _own(brand: Brand, actor: Actor) -> QuerySet[RepTask]:
    """Tasks of this actor as a rep: none for anyone but a member of the brand (a manager sees no one else's)."""
    if not isinstance(actor, Membership) or actor.brand_id != brand.pk:
        return RepTask.objects.none()
    return RepTask.objects.filter(brand=brand, rep=actor)


def rep_task_list(brand: Brand, *, actor: Actor, now: datetime.datetime | None = None) -> QuerySet[RepTask]:
    """The actor's open tasks before their deadline, soonest first, with their recipients still to send."""
    now = now or timezone.now()
    return (_own(brand, actor).filter(status=RepTaskStatus.OPEN, deadline__gt=now)
            .select_related("run__campaign")
            .annotate(recipients=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.PENDING)))
            .order_by("deadline", "id"))


@dataclass(frozen=True)
class TaskRow:
    """A task on the rep's list: its recipients still to send (count, the first names) and the first one."""

    task: RepTask
    count: int
    shown: list[Customer]

    @property
    def first(self) -> Customer | None:
        return self.shown[0] if self.shown else None


def rep_task_rows(brand: Brand, *, actor: Actor, now: datetime.datetime | None = None, limit: int = 50,
                  names: int = 5) -> list[TaskRow]:
    """The rep's list page in two queries: the open tasks, then the first `names` recipients of each."""
    tasks = list(rep_task_list(brand, actor=actor, now=now).select_related("rep__user", "rep__store",
                                                                           "run__campaign__brand")[:limit])
    shown: dict[int, list[Customer]] = {t.pk: [] for t in tasks}
    if tasks:
        rows = (Delivery.objects.filter(brand=brand, task_id__in=list(shown), status=DeliveryStatus.PENDING)
                .annotate(rank=Window(RowNumber(), partition_by=F("task_id"),
                                      order_by=[F("customer__name").asc(), F("customer_id").asc()]))
                .filter(rank__lte=names).select_related("customer__home_store").order_by("task_id", "rank"))
        for delivery in rows:
            shown[delivery.task_id].append(delivery.customer)
    return [TaskRow(task=t, count=t.recipients, shown=shown[t.pk]) for t in tasks]


def rep_task_open_count(brand: Brand, *, actor: Actor, now: datetime.datetime | None = None) -> int:
    """How many tasks wait for this rep (the badge in the nav): one COUNT."""
    now = now or timezone.now()
    return _own(brand, actor).filter(status=RepTaskStatus.OPEN, deadline__gt=now).count()


def rep_task_get(brand: Brand, *, actor: Actor, task_id) -> RepTask:
    """One of the actor's own tasks (any status); another rep's, or another brand's, is not found."""
    return brand_get_object(_own(brand, actor).select_related("run__campaign__brand", "rep__user", "rep__store"),
                            brand=brand, what="task", pk=task_id)


@dataclass(frozen=True)
class TaskRecipients:
    count: int
    shown: list[Customer]


def rep_task_recipients(task: RepTask, *, limit: int = RECIPIENTS_SHOWN) -> TaskRecipients:
    """The customers this task still has to reach (pending): the count and the first names to show."""
    pending = Customer.objects.filter(
        brand_id=task.brand_id, pk__in=task.deliveries.filter(status=DeliveryStatus.PENDING).values("customer_id"))
    return TaskRecipients(count=pending.count(), shown=list(pending.select_related("home_store")
                                                            .order_by("name", "pk")[:limit]))


def rep_task_preview(task: RepTask, *, greeting: str, customer: Customer | None) -> str:
    """The message as `customer` (the first recipient shown) will read it: greeting, then the campaign's text,
    from this rep. The greeting must already be checked (template_check)."""
    rep = task.rep
    store = rep.store if rep.store_id else (customer.home_store if customer and customer.home_store_id else None)
    values = {"first_name": customer.first_name if customer else "", "rep_name": rep.user.display_name,
              "store_name": store.name if store else task.run.campaign.brand.name}
    body = template_render(task.run.campaign.body, values)
    if greeting:
        body = f"{template_render(greeting, values)}\n{body}"
    return body

