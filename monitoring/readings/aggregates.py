"""Hourly and daily aggregates and daily completeness of one point, computed from its readings (pure).

Days are China calendar days (Asia/Shanghai). Energy comes from the forward active-energy counter
(`ep_fwd`) through `energy.series_energy`, so resets and rollovers never make it negative; a period whose
readings carry no counter has `energy_kwh=None`, never 0 (a gap is not a stop).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from monitoring._time import china_day_bounds
from monitoring.readings.energy import series_energy
from monitoring.readings.models import (
    COUNTERS,
    Aggregate,
    AggregatePeriod,
    Completeness,
    QuantityStats,
    Reading,
    ReadingKind,
)

ENERGY_COUNTER = "ep_fwd"


def summarize(readings: Sequence[Reading]) -> dict[str, QuantityStats]:
    """count/min/max/mean of every non-counter quantity present in `readings`."""
    columns: dict[str, list[float]] = {}
    for reading in readings:
        for name, value in reading.values.items():
            if name not in COUNTERS and math.isfinite(value):
                columns.setdefault(name, []).append(value)
    return {
        name: QuantityStats(len(vs), min(vs), max(vs), math.fsum(vs) / len(vs)) for name, vs in sorted(columns.items())
    }


def period_energy(readings: Sequence[Reading], baseline: float | None) -> float | None:
    """kWh used over `readings` (after `baseline`, the counter's last value before them), or None if unknown."""
    samples = [(r.data_time, r.values.get(ENERGY_COUNTER)) for r in readings]
    if not any(v is not None for _, v in samples):
        return None
    total, steps = series_energy(samples, baseline=baseline)
    if not any(s.kwh is not None for s in steps):
        return None
    return total


def aggregate(
    point_id: str,
    period: AggregatePeriod,
    start: datetime,
    readings: Sequence[Reading],
    *,
    baseline: float | None,
    computed_at: datetime,
) -> Aggregate:
    """The aggregate of `readings` (already limited to the period) starting at `start`."""
    return Aggregate(
        point_id=point_id,
        period=period,
        start=start,
        samples=len(readings),
        stats=summarize(readings),
        energy_kwh=period_energy(readings, baseline),
        computed_at=computed_at,
    )


def expected_samples(kind: ReadingKind, interval: timedelta, start: datetime, end: datetime) -> int:
    """How many samples of `kind` a terminal sending every `interval` owes over [start, end)."""
    if end <= start:
        return 0
    span = end - start
    if kind is ReadingKind.HOUR:
        interval = timedelta(hours=1)
    elif kind is ReadingKind.DAY:
        interval = timedelta(days=1)
    return max(1, math.ceil(span / interval))


def day_completeness(
    point_id: str, day: date, kind: ReadingKind, readings: Sequence[Reading], interval: timedelta, now: datetime
) -> Completeness:
    """Received vs expected samples on China day `day`; a day still running is counted up to `now`."""
    start, end = china_day_bounds(day)
    times = sorted({r.data_time for r in readings if start <= r.data_time < end})
    expected = expected_samples(kind, interval, start, min(end, max(start, now)))
    return Completeness(
        point_id=point_id,
        day=day,
        kind=kind,
        expected=expected,
        received=len(times),
        first_at=times[0] if times else None,
        last_at=times[-1] if times else None,
    )
