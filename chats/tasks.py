"""Thin Celery wrappers for chats; each is safe to run twice."""

from celery import shared_task


@shared_task
def prune_chat_tokens() -> int:
    """Hourly: forget chat tokens that expired or were revoked more than a day ago (only hashes are kept)."""
    from .realtime.tokens import chat_tokens_prune

    return chat_tokens_prune()


@shared_task
def fill_overview_rollups() -> int:
    """Hourly: write the overview's chat rollups of every brand's finished days (the last 90), so no page view
    pays for them. Safe to run twice: a written day is skipped."""
    import datetime

    from django.utils import timezone

    from privtraffic.tenancy.actors import SystemActor
    from privtraffic.tenancy.models import Brand

    from .analytics.services import analytics_days_fill

    written = 0
    for brand in Brand.objects.all():
        since = timezone.localdate(timezone=brand.tzinfo) - datetime.timedelta(days=90)
        written += analytics_days_fill(brand=brand, actor=SystemActor.for_brand(brand, "task:overview_rollups"),
                                       since=since)
    return written
