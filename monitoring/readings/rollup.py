"""Roll-up service: read a point's readings from the store, write its hourly/daily aggregates and completeness.

Called by decode for hours that are complete (or were backfilled), and by anything that wants to rebuild
them. Recomputing replaces the stored aggregate, so running it twice is harmless.
"""

from __future__ import annotations

import zlib
from datetime import UTC, date, datetime, timedelta

from monitoring._time import china_day, china_day_bounds
from monitoring.clock import Clock
from monitoring.readings.aggregates import ENERGY_COUNTER, aggregate, day_completeness
from monitoring.readings.models import Aggregate, AggregatePeriod, Completeness, Reading, ReadingKind
from monitoring.storage.ports import Store

# How far back to look for the counter value that precedes a period (its energy baseline): the last few minutes
# first, which hold it nearly always, so a roll-up reads about its own period rather than two hours more.
BASELINE_LOOKBACK = timedelta(hours=2)
BASELINE_NEAR = timedelta(minutes=5)
_DAY_LIMIT = 100_000


def hour_start(when: datetime) -> datetime:
    """The UTC hour containing `when` (China is UTC+8 whole hours, so local and UTC hours coincide)."""
    return when.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _baseline(store: Store, point_id: str, kind: ReadingKind, start: datetime) -> float | None:
    """The last counter value in the `BASELINE_LOOKBACK` before `start` (the near part read first)."""
    for since, until in ((start - BASELINE_NEAR, start), (start - BASELINE_LOOKBACK, start - BASELINE_NEAR)):
        for reading in reversed(store.readings.readings(point_id, kind, since, until)):
            value = reading.values.get(ENERGY_COUNTER)
            if value is not None:
                return value
    return None


# Platform aggregates come from minute data when the point has any, else from real-time samples; the
# terminal's own hour/day figures (2061/2031) are stored as readings but never trusted as aggregates.
SOURCE_KINDS = (ReadingKind.MINUTE, ReadingKind.REALTIME)


def _source(
    store: Store, point_id: str, start: datetime, end: datetime, limit: int
) -> tuple[ReadingKind, list[Reading]]:
    for kind in SOURCE_KINDS:
        found = store.readings.readings(point_id, kind, start, end, limit=limit)
        if found:
            return kind, found
    return SOURCE_KINDS[0], []


def rollup_hour(store: Store, point_id: str, start: datetime, clock: Clock) -> Aggregate:
    """Recompute and store the hourly aggregate of `point_id` for the hour starting at `start`."""
    start = hour_start(start)
    kind, readings = _source(store, point_id, start, start + timedelta(hours=1), 10_000)
    baseline = _baseline(store, point_id, kind, start)
    result = aggregate(point_id, AggregatePeriod.HOUR, start, readings, baseline=baseline, computed_at=clock.now())
    store.readings.put_aggregate(result)
    return result


def rollup_day(
    store: Store, point_id: str, day: date, intervals: dict[ReadingKind, timedelta], clock: Clock
) -> tuple[Aggregate, Completeness]:
    """Recompute and store the daily aggregate and completeness of `point_id` on China day `day`.

    `intervals` gives the terminal's sending interval per kind (completeness counts against it).
    """
    start, end = china_day_bounds(day)
    kind, readings = _source(store, point_id, start, end, _DAY_LIMIT)
    interval = intervals.get(kind, timedelta(minutes=1))
    baseline = _baseline(store, point_id, kind, start)
    now = clock.now()
    result = aggregate(point_id, AggregatePeriod.DAY, start, readings, baseline=baseline, computed_at=now)
    completeness = day_completeness(point_id, day, kind, readings, interval, now)
    store.readings.put_aggregate(result)
    store.readings.put_completeness(completeness)
    return result, completeness


def rollup_offset(point_id: str) -> timedelta:
    """The point's fixed minute of the hour for rolling up the hour before (crc32 of its id: stable everywhere)."""
    return timedelta(minutes=zlib.crc32(point_id.encode()) % 60)


def previous_hour_due(data_time: datetime, grace: timedelta, offset: timedelta = timedelta(0)) -> datetime | None:
    """The hour a reading at `data_time` is the scheduled trigger of: the previous one, when the reading is within
    `grace` after the point's `offset` into its own hour (the previous hour's last samples are in by then); a
    window that runs past the end of the hour goes on into the next one (offset 58 min: 58, 59, 00, 01, 02)."""
    own, hour = hour_start(data_time), timedelta(hours=1)
    lead = data_time - own
    if offset <= lead < offset + grace:
        return own - hour
    return own - 2 * hour if lead < offset + grace - hour else None


def own_hour_due(data_time: datetime, now: datetime, offset: timedelta = timedelta(0)) -> datetime | None:
    """The reading's own hour when its scheduled roll-up (`offset` after the hour closed) may have run already:
    late data re-rolls it; earlier, the scheduled roll-up will include the reading."""
    own = hour_start(data_time)
    return own if own + timedelta(hours=1) + offset <= now else None


def days_due(hours: list[datetime], now: datetime) -> set[date]:
    """China days that are over and contain one of `hours`: the day that just closed, or a backfilled day."""
    today = china_day(now)
    return {china_day(h) for h in hours if china_day(h) < today}
