"""Rule windows kept across ticks: a warm tick reads only the tail; results equal an uncached read."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from monitoring.rules.sample_cache import CachedSampleReader
from tests.unit.monitoring.rules.stored_samples import Stored
from tests.unit.monitoring.rules.world import MIN, at

pytestmark = pytest.mark.unit


def _minutes(stored: Stored, pid: str, start: datetime, end: datetime) -> None:
    t = start
    while t < end:
        stored.add(pid, t, 10.0)
        t += MIN


def test_a_warm_tick_reads_only_the_tail_and_sees_what_an_uncached_read_sees() -> None:
    stored = Stored()
    _minutes(stored, "P1", at("00:00"), at("01:20"))
    reader = CachedSampleReader(stored.fetch, tail=timedelta(minutes=5), refresh_every=1000)
    first = reader.samples(["P1"], at("00:00"), at("01:20"))
    assert stored.asked == [(("P1",), at("00:00"), at("01:20"))]
    # A minute later: one new reading, and one that arrived late inside the tail
    stored.add("P1", at("01:20"), 11.0)
    stored.rows["P1"] = [s for s in stored.rows["P1"] if s.at != at("01:17")]
    stored.asked.clear()
    reader.invalidate([])  # nothing named
    second = reader.samples(["P1"], at("00:01"), at("01:21"))
    assert stored.asked == [(("P1",), at("01:15"), at("01:21"))]  # only the 5-minute tail of the cached range
    assert second == {"P1": list(stored.fetch(["P1"], at("00:01"), at("01:21"))["P1"])}
    assert len(first["P1"]) == 80 and len(second["P1"]) == 79  # 01:17 gone from the tail, 01:20 added


def test_an_invalidated_point_is_read_in_full_and_a_widened_window_only_before_its_cached_start() -> None:
    stored = Stored()
    _minutes(stored, "P1", at("00:00"), at("01:00"))
    _minutes(stored, "C1", at("00:00"), at("01:00"))
    reader = CachedSampleReader(stored.fetch, refresh_every=1000)
    reader.samples(["P1", "C1"], at("00:30"), at("01:00"))
    stored.add("P1", at("00:31"), 99.0)  # backfill far behind the tail: the engine names the point
    stored.asked.clear()
    reader.invalidate(["P1"])
    got = reader.samples(["P1", "C1"], at("00:20"), at("01:00"))  # C1's window now starts before its cached one
    assert sorted(stored.asked) == [
        (("C1",), at("00:20"), at("00:30")),  # the part before its cached window
        (("C1",), at("00:55"), at("01:00")),  # and the tail
        (("P1",), at("00:20"), at("01:00")),  # invalidated: all of it
    ]
    assert any(s.p == 99.0 for s in got["P1"])  # the backfilled reading is seen
    assert got["C1"] == stored.fetch(["C1"], at("00:20"), at("01:00"))["C1"]  # whole, in order, no duplicates


def test_each_point_is_read_in_full_again_every_refresh_every_calls() -> None:
    stored = Stored()
    _minutes(stored, "P1", at("00:00"), at("02:00"))
    reader = CachedSampleReader(stored.fetch, refresh_every=4)
    full = 0
    for k in range(12):
        stored.asked.clear()
        reader.samples(["P1"], at("00:00") + k * MIN, at("01:00") + k * MIN)
        full += sum(1 for _, start, _ in stored.asked if start == at("00:00") + k * MIN)
    # the first call (nothing cached) plus one staggered full read every 4 calls; the rest read the tail only
    assert full in (3, 4) and len(stored.asked) == 1
