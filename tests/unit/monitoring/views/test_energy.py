"""Daily energy by role from stored aggregates; a day without figures is None, never 0."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from monitoring._time import china_day_bounds
from monitoring.errors import InvalidInputError, NotFoundError
from monitoring.readings.models import Aggregate, AggregatePeriod
from monitoring.views.energy import daily_energy
from tests.unit.monitoring.views.world import DAY_START, NOW, world

pytestmark = pytest.mark.unit


def _day(point: str, day: date, kwh: float | None) -> Aggregate:
    return Aggregate(point, AggregatePeriod.DAY, china_day_bounds(day)[0], 1440, energy_kwh=kwh)


def test_days_split_production_and_control_and_missing_days_are_none() -> None:
    s = world()
    d1, d2, d3 = date(2026, 11, 25), date(2026, 11, 26), date(2026, 11, 27)
    for a in (_day("p1", d1, 800.0), _day("p2", d1, 150.0), _day("p1", d2, 700.0), _day("p1", d3, None)):
        s.readings.put_aggregate(a)
    for h in range(14):  # today so far (Beijing 00:00–14:00)
        at = DAY_START + timedelta(hours=h)
        s.readings.put_aggregate(Aggregate("p1", AggregatePeriod.HOUR, at, 60, energy_kwh=10.0))
    out = daily_energy(s, "e1", days=4, visible=None, now=NOW)
    assert [d.day for d in out] == [d1, d2, d3, date(2026, 11, 28)]
    assert (out[0].production_kwh, out[0].control_kwh, out[0].main_kwh, out[0].complete) == (800.0, 150.0, None, True)
    assert (out[1].production_kwh, out[1].control_kwh, out[1].complete) == (700.0, None, False)
    assert (out[2].production_kwh, out[2].control_kwh, out[2].complete) == (None, None, False)
    assert (out[3].production_kwh, out[3].partial_day) == (140.0, True)


def test_bounds_and_scope() -> None:
    s = world()
    for days in (0, 93):
        with pytest.raises(InvalidInputError):
            daily_energy(s, "e1", days=days, visible=None, now=NOW)
    with pytest.raises(NotFoundError):
        daily_energy(s, "e1", visible=frozenset({"e2"}), now=NOW)
