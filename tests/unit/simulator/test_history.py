"""Stored history for pulls: lossless round trip, time window, bounds per kind."""

from __future__ import annotations

import pytest

from simulator.events import Record
from simulator.history import History

pytestmark = pytest.mark.unit


def _rec(kind: str, minute: int) -> Record:
    dt = f"202611300{8 + minute // 60}{minute % 60:02d}00"
    return Record("2051", dt, (f"DataTime={dt};Ua01-Min=229.1", f"DataTime={dt};Ia01-Max=12.00"), kind)


def test_history_returns_the_records_of_the_window_unchanged() -> None:
    h = History()
    recs = [_rec("minute", m) for m in range(10)]
    for r in recs:
        h.add(r)
    assert list(h.query("minute", "20261130080200", "20261130080400")) == recs[2:5]
    assert list(h.query("hour", "", "9")) == []


def test_history_bounds_minute_records_separately_from_longer_periods() -> None:
    h = History(minute_records=3, long_records=5)
    for m in range(10):
        h.add(_rec("minute", m))
        h.add(_rec("hour", m))
    h.add(Record("2011", "20261130080000", ("x",), "realtime"))  # real-time data is not kept
    assert [r.data_time[-4:] for r in h.query("minute", "", "9")] == ["0700", "0800", "0900"]
    assert len(h) == 3 + 5


def test_history_rejects_empty_bounds() -> None:
    with pytest.raises(ValueError):
        History(minute_records=0)
