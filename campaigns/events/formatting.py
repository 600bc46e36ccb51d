"""How an event's time reads, always in the brand's time zone (the reader's language through gettext)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.formats import date_format

from .models import CommunityEvent


def event_when(event: CommunityEvent) -> str:
    """'Sat 5 Dec 2026, 09:00–11:00' (the end's date too when it ends on another day)."""
    tz = event.brand.tzinfo
    start = timezone.localtime(event.starts_at, tz)
    end = timezone.localtime(event.ends_at, tz)
    day = date_format(start, "D j M Y")
    if end.date() == start.date():
        return f"{day}, {start:%H:%M}–{end:%H:%M}"
    return f"{day}, {start:%H:%M} – {date_format(end, 'D j M Y')}, {end:%H:%M}"


def event_start_time(event: CommunityEvent) -> str:
    return f"{timezone.localtime(event.starts_at, event.brand.tzinfo):%H:%M}"
