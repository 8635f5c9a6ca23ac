"""Working days on the official Chinese calendar (with adjusted working days), via `chinesecalendar`.

The notice's "五个工作日内作出决定" counts working days after the day of receipt; the limit expires at the end
(24:00 Beijing time) of the fifth. Years the calendar package does not know fall back to Monday-Friday and
are logged, because a missing holiday table must not block approvals.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta

import chinese_calendar

from monitoring._time import CHINA as CHINA  # re-exported (emergency, rules import it from here)

log = logging.getLogger(__name__)


def is_workday(day: date) -> bool:
    """True on an official working day (including weekend days made working days by adjustment)."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        log.warning("chinesecalendar has no table for %s; using Monday-Friday", day.year)
        return day.weekday() < 5


def add_workdays(day: date, count: int) -> date:
    """The `count`-th working day after `day` (day itself not counted)."""
    d = day
    left = count
    while left > 0:
        d += timedelta(days=1)
        if is_workday(d):
            left -= 1
    return d


def workday_deadline(received: datetime, count: int) -> datetime:
    """End (24:00 Beijing time) of the `count`-th working day after the day `received` falls on, in UTC."""
    local_day = received.astimezone(CHINA).date()
    last = add_workdays(local_day, count)
    return datetime.combine(last + timedelta(days=1), time(0), CHINA).astimezone(UTC)
