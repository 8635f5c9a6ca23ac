"""The series cache: a sliding window reads only its tail, late data is seen, answers equal uncached ones, bounded."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from monitoring.views.series import SeriesRow, point_series
from monitoring.views.series_cache import SeriesCache
from tests.unit.monitoring.views.world import NOW, minutes, put, world

pytestmark = pytest.mark.unit
M = timedelta(minutes=1)


@dataclass(frozen=True)
class Row:
    at: datetime


class Source:
    """Rows at every minute that exists in `times`; records each load's range."""

    def __init__(self, times: Sequence[datetime]) -> None:
        self.times = sorted(times)
        self.loads: list[tuple[datetime, datetime]] = []

    def __call__(self, kind: str | None, lo: datetime, hi: datetime) -> tuple[str, list[Row]]:
        self.loads.append((lo, hi))
        return "minute", [Row(t) for t in self.times if lo <= t < hi]


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def test_a_sliding_window_reads_only_its_tail_and_sees_late_rows_there() -> None:
    t0 = NOW - timedelta(hours=24)
    source = Source([t0 + m * M for m in range(24 * 60)])
    clock = Clock()
    cache: SeriesCache[Row] = SeriesCache(monotonic=clock)
    kind, rows = cache.rows("p1", t0, NOW, source)
    assert (kind, len(rows), source.loads) == ("minute", 1440, [(t0, NOW)])
    source.times += [NOW, NOW + M]  # two new minutes
    source.times.append(NOW - 2 * M - timedelta(seconds=30))  # a late one inside the tail
    source.times.sort()
    _, rows = cache.rows("p1", t0 + 2 * M, NOW + 2 * M, source)
    assert source.loads[-1] == (NOW - 5 * M, NOW + 2 * M)  # the tail only
    assert [r.at for r in rows] == [t for t in source.times if t0 + 2 * M <= t < NOW + 2 * M]


def test_late_rows_before_the_tail_appear_after_the_refresh_period() -> None:
    t0 = NOW - timedelta(hours=2)
    source = Source([t0 + m * M for m in range(0, 120, 2)])
    clock = Clock()
    cache: SeriesCache[Row] = SeriesCache(monotonic=clock, refresh_s=60)
    cache.rows("p1", t0, NOW, source)
    source.times = sorted([*source.times, t0 + 31 * M])  # backfill an hour ago
    assert t0 + 31 * M not in [r.at for r in cache.rows("p1", t0, NOW, source)[1]]
    clock.t = 61.0
    assert t0 + 31 * M in [r.at for r in cache.rows("p1", t0, NOW, source)[1]]


def test_an_older_window_inside_the_entry_is_answered_without_reading() -> None:
    t0 = NOW - timedelta(hours=2)
    source = Source([t0 + m * M for m in range(120)])
    cache: SeriesCache[Row] = SeriesCache(monotonic=Clock())
    cache.rows("p1", t0, NOW, source)
    _, rows = cache.rows("p1", t0 + 10 * M, t0 + 20 * M, source)
    assert len(source.loads) == 1 and [r.at for r in rows] == [t0 + m * M for m in range(10, 20)]
    cache.rows("p1", t0 - 10 * M, NOW, source)  # earlier than held: read afresh
    assert source.loads[-1] == (t0 - 10 * M, NOW)


def test_row_budget_evicts_the_least_recently_used_point() -> None:
    t0 = NOW - timedelta(hours=1)
    source = Source([t0 + m * M for m in range(60)])
    cache: SeriesCache[Row] = SeriesCache(monotonic=Clock(), max_rows=100)
    cache.rows("a", t0, NOW, source)
    cache.rows("b", t0, NOW, source)  # 120 rows > 100: "a" goes
    loads = len(source.loads)
    cache.rows("b", t0, t0 + 30 * M, source)
    assert len(source.loads) == loads
    cache.rows("a", t0, t0 + 30 * M, source)
    assert len(source.loads) == loads + 1


def test_cached_series_equal_uncached_ones_as_data_arrives() -> None:
    s = world()
    cache: SeriesCache[SeriesRow] = SeriesCache()
    start = NOW - timedelta(hours=3)
    put(s, minutes("p1", start, 60, p=10.0))
    for step in range(1, 4):
        now = start + step * timedelta(hours=1)
        put(s, minutes("p1", now - timedelta(minutes=58), 50, p=float(step)))  # leaves gaps, overlaps none
        window = (now - timedelta(hours=3), now)
        cached = point_series(s, "p1", *window, quantities=["p"], visible=None, now=now, cache=cache)
        plain = point_series(s, "p1", *window, quantities=["p"], visible=None, now=now)
        assert (cached.rows, cached.gaps) == (plain.rows, plain.gaps)
