"""An enterprise's daily energy (kWh) by role over the last days: production (incl. combined), control, main.

From the stored daily aggregates (counter differences, never negative); today from its hourly aggregates so far.
A role whose points have no figure for a day is None (无数据), never 0; `complete` says every point had one.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final

from monitoring._time import china_day, china_day_bounds
from monitoring.errors import InvalidInputError
from monitoring.readings.models import AggregatePeriod
from monitoring.registry.models import FacilityKind
from monitoring.storage.ports import Store
from monitoring.views.enterprises import visible_enterprise

MAX_DAYS: Final = 92
ROLE_OF: Final = {
    FacilityKind.PRODUCTION: "production",
    FacilityKind.COMBINED: "production",
    FacilityKind.CONTROL: "control",
    FacilityKind.MAIN_INCOMING: "main",
}


@dataclass(frozen=True, slots=True)
class DayEnergy:
    day: date  # China calendar day
    production_kwh: float | None
    control_kwh: float | None
    main_kwh: float | None
    complete: bool  # every metered point of these roles had a figure for the day
    partial_day: bool = False  # today: counted up to the last complete hour


def daily_energy(
    store: Store, enterprise_id: str, *, days: int = 30, visible: frozenset[str] | None, now: datetime
) -> list[DayEnergy]:
    """The last `days` China days up to today, oldest first."""
    if not (1 <= days <= MAX_DAYS):
        raise InvalidInputError(f"天数须在 1–{MAX_DAYS} 之间")
    e = visible_enterprise(store, enterprise_id, visible)
    today = china_day(now)
    first = today - timedelta(days=days - 1)
    first_start, _ = china_day_bounds(first)
    today_start, today_end = china_day_bounds(today)
    points = [p for p in store.registry.list_points(e.enterprise_id) if p.role in ROLE_OF]
    # (day, role) -> kWh, and (day, point) seen
    totals: dict[tuple[date, str], float] = defaultdict(float)
    seen: set[tuple[date, str]] = set()
    ids = [p.point_id for p in points]
    daily = store.readings.aggregates_of(ids, AggregatePeriod.DAY, first_start, today_start)
    hourly = store.readings.aggregates_of(ids, AggregatePeriod.HOUR, today_start, today_end)
    for p in points:
        role = ROLE_OF[p.role]
        for a in daily[p.point_id]:
            if a.energy_kwh is not None:
                day = china_day(a.start)
                totals[day, role] += a.energy_kwh
                seen.add((day, p.point_id))
        for a in hourly[p.point_id]:
            if a.energy_kwh is not None:
                totals[today, role] += a.energy_kwh
                seen.add((today, p.point_id))
    out = []
    for n in range(days):
        day = first + timedelta(days=n)
        figures = {
            role: round(totals[day, role], 3) if (day, role) in totals else None
            for role in ("production", "control", "main")
        }
        complete = bool(points) and all((day, p.point_id) in seen for p in points)
        out.append(DayEnergy(day, figures["production"], figures["control"], figures["main"], complete, day == today))
    return out
