"""Working days on the official Chinese calendar (with adjusted working days): the year's table in
`data/workdays/<year>.json` if there is one, else `chinesecalendar`. A year neither knows falls back to
Monday-Friday (a missing table must not block approvals) and callers show `calendar_warning` for it.
The notice's "五个工作日内" counts working days after the day of receipt, ending 24:00 Beijing of the last.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import chinese_calendar

from monitoring._time import CHINA as CHINA  # re-exported (emergency, rules import it from here)

log = logging.getLogger(__name__)
TABLES = Path(__file__).parent / "data" / "workdays"
UNKNOWN_TEXT = "年度法定节假日安排未录入，按周一至周五计算"


@dataclass(frozen=True, slots=True)
class YearTable:
    """One year's State Council arrangement: its holidays and its adjusted working days (调休上班)."""

    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]
    source: str


def parse_table(year: int, text: str) -> YearTable:
    """A year's table from its JSON; ValueError naming what is wrong (the file is edited by hand)."""
    doc = json.loads(text)
    if not isinstance(doc, dict) or doc.get("year") != year:
        raise ValueError(f'workday table {year}: must be an object with "year": {year}')
    source = doc.get("source")
    if not isinstance(source, str) or not source.strip():
        raise ValueError(f'workday table {year}: "source" must name the State Council notice')
    sets: dict[str, frozenset[date]] = {}
    for key in ("holidays", "workdays"):
        raw = doc.get(key)
        if not isinstance(raw, list) or not all(isinstance(d, str) for d in raw):
            raise ValueError(f'workday table {year}: "{key}" must be a list of YYYY-MM-DD dates')
        try:
            days = frozenset(date.fromisoformat(d) for d in raw)
        except ValueError as exc:
            raise ValueError(f'workday table {year}: "{key}": {exc}') from None
        if any(d.year != year for d in days):
            raise ValueError(f'workday table {year}: "{key}" has a date outside {year}')
        sets[key] = days
    both = sets["holidays"] & sets["workdays"]
    if both:
        raise ValueError(f"workday table {year}: {min(both)} is both a holiday and a working day")
    return YearTable(year, sets["holidays"], sets["workdays"], source)


@functools.cache
def _table(year: int) -> YearTable | None:
    path = TABLES / f"{year}.json"
    if not path.is_file():
        return None
    return parse_table(year, path.read_text(encoding="utf-8"))


@functools.cache
def _package_knows(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        log.warning("no holiday table for %s (neither %s nor chinesecalendar); using Monday-Friday", year, TABLES)
        return False
    return True


def calendar_known(year: int) -> bool:
    """True if the year's official arrangement is known (our table or the package's)."""
    return _table(year) is not None or _package_knows(year)


def is_workday(day: date) -> bool:
    """True on an official working day (including weekend days made working days by adjustment)."""
    table = _table(day.year)
    if table is not None:
        if day in table.holidays:
            return False
        return day in table.workdays or day.weekday() < 5
    if _package_knows(day.year):
        return bool(chinese_calendar.is_workday(day))
    return day.weekday() < 5


def calendar_warning(days: Iterable[date]) -> str | None:
    """The Chinese warning for answers that counted working days in a year without a table, else None."""
    years = sorted({d.year for d in days if not calendar_known(d.year)})
    if not years:
        return None
    return "、".join(str(y) for y in years) + UNKNOWN_TEXT


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
