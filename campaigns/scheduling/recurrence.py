"""Recurring schedules, read in the brand's time zone: days of the week at a time, or a cron line.

`recurrence_normalize` checks what a marketer or integrator sends and returns the canonical form;
`next_occurrence` finds the first occurrence strictly after a moment. Both forms are wall-clock times in the
brand's zone, so "every Friday 20:00" stays 20:00 local across a daylight-saving change (the UTC instant
moves). A wall-clock time that does not exist on a spring-forward day runs at the same time after the jump
(02:30 becomes 03:30); one that exists twice on a fall-back day runs once, at the first.
"""

import datetime
import re
import zoneinfo
from typing import Any

from celery.schedules import ParseException, crontab_parser
from django.utils.translation import gettext as _

from privtraffic.tenancy.errors import ApplicationError

_TIME = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$", re.ASCII)
_CRON_CHARS = re.compile(r"^[0-9*/,\- ]+$", re.ASCII)
# How far ahead to look for a cron occurrence ("0 0 29 2 *" fires on 29 February: up to 8 years away).
_HORIZON_DAYS = 366 * 8 + 2


def _invalid(message: str) -> ApplicationError:
    return ApplicationError("invalid", message, fields={"recurrence": [message]})


def recurrence_normalize(value: Any) -> dict | None:
    """None (no recurrence), {"days": [0..6 Monday first], "time": "HH:MM"} or {"cron": "m h dom mon dow"}."""
    if value in (None, {}, ""):
        return None
    if not isinstance(value, dict):
        raise _invalid(_("The schedule must be an object with days and time, or a cron line."))
    if set(value) == {"cron"}:
        return {"cron": _cron_check(value["cron"])}
    if set(value) != {"days", "time"}:
        raise _invalid(_("Give days and time, or a cron line."))
    days, time = value["days"], value["time"]
    if (not isinstance(days, list) or not days or len(days) > 7
            or any(isinstance(d, bool) or not isinstance(d, int) or not 0 <= d <= 6 for d in days)):
        raise _invalid(_("Days are numbers from 0 (Monday) to 6 (Sunday)."))
    if not isinstance(time, str) or not _TIME.match(time):
        raise _invalid(_("The time is HH:MM, from 00:00 to 23:59."))
    return {"days": sorted(set(days)), "time": time}


def _cron_fields(line: str) -> tuple[set, set, set, set, set]:
    minute, hour, dom, month, dow = line.split()
    return (crontab_parser(60).parse(minute), crontab_parser(24).parse(hour), crontab_parser(31, 1).parse(dom),
            crontab_parser(12, 1).parse(month), {d % 7 for d in crontab_parser(8).parse(dow)})


def _cron_check(line: Any) -> str:
    if not isinstance(line, str) or len(line) > 100 or not _CRON_CHARS.match(line) or len(line.split()) != 5:
        raise _invalid(_("A cron line has five fields: minute hour day-of-month month day-of-week."))
    try:
        fields = _cron_fields(line)
    except (ParseException, ValueError, IndexError):
        raise _invalid(_("This cron line cannot be read."))
    if not all(fields):
        raise _invalid(_("This cron line never fires."))
    return " ".join(line.split())


def _local(day: datetime.date, hour: int, minute: int, tz: zoneinfo.ZoneInfo) -> datetime.datetime:
    """The aware moment of a wall-clock time. fold=0 (PEP 495) reads a time skipped by a spring-forward jump
    with the offset before the jump, which lands the same distance after it, and a repeated time at its first."""
    return datetime.datetime.combine(day, datetime.time(hour, minute)).replace(tzinfo=tz, fold=0)


def next_occurrence(recurrence: dict, *, after: datetime.datetime, tz: zoneinfo.ZoneInfo) -> datetime.datetime | None:
    """The first occurrence strictly after `after` (aware), as aware UTC; None if a cron line never fires again."""
    local_after = after.astimezone(tz)
    if "cron" in recurrence:
        minutes, hours, doms, months, dows = _cron_fields(recurrence["cron"])
        times = sorted((h, m) for h in hours for m in minutes)
        # cron's rule: with both day fields restricted, either may match.
        dom_any, dow_any = len(doms) == 31, len(dows) == 7
        for offset in range(_HORIZON_DAYS):
            day = local_after.date() + datetime.timedelta(days=offset)
            if day.month not in months:
                continue
            dom_ok, dow_ok = day.day in doms, (day.isoweekday() % 7) in dows
            if not ((dom_ok and dow_ok) if (dom_any or dow_any) else (dom_ok or dow_ok)):
                continue
            for hour, minute in times:
                moment = _local(day, hour, minute, tz)
                if moment > after:
                    return moment.astimezone(datetime.UTC)
        return None
    hour, minute = (int(part) for part in recurrence["time"].split(":"))
    for offset in range(8):
        day = local_after.date() + datetime.timedelta(days=offset)
        if day.weekday() in recurrence["days"]:
            moment = _local(day, hour, minute, tz)
            if moment > after:
                return moment.astimezone(datetime.UTC)
    return None


def occurrences_between(recurrence: dict, *, start: datetime.datetime, end: datetime.datetime,
                        tz: zoneinfo.ZoneInfo, limit: int = 500) -> list[datetime.datetime]:
    """Every occurrence in [start, end) (for the month calendar), at most `limit`."""
    found: list[datetime.datetime] = []
    moment = start - datetime.timedelta(microseconds=1)
    while len(found) < limit:
        moment = next_occurrence(recurrence, after=moment, tz=tz)
        if moment is None or moment >= end:
            break
        found.append(moment)
    return found
