"""The store-and-forward buffer: order, urgency, capacity."""

from __future__ import annotations

import pytest

from simulator.events import Record
from simulator.outbox import Outbox

pytestmark = pytest.mark.unit


def _rec(n: int, urgent: bool = False, packets: int = 1) -> Record:
    return Record("2051", f"{n:014d}", tuple(f"DataTime={n:014d};p{i}" for i in range(packets)), "minute", urgent)


def test_outbox_sends_urgent_first_then_oldest_first() -> None:
    box = Outbox(4000)
    box.put(_rec(1, packets=2))
    box.put(_rec(2))
    box.put(_rec(3, urgent=True))
    order = []
    while (e := box.peek()) is not None:
        order.append((e.record.data_time[-1], e.pno))
        box.done(e)
    assert order == [("3", None), ("1", 1), ("1", 2), ("2", None)]


def test_outbox_keeps_at_least_4000_records_and_drops_the_oldest_beyond_capacity() -> None:
    with pytest.raises(ValueError):
        Outbox(3999)
    box = Outbox(4000)
    for n in range(4005):
        box.put(_rec(n))
    assert len(box) == 4000 and box.dropped == 5
    first = box.peek()
    assert first is not None and first.record.data_time == f"{5:014d}"


def test_outbox_done_ignores_an_entry_already_dropped() -> None:
    box = Outbox(4000)
    box.put(_rec(1))
    e = box.peek()
    assert e is not None
    box.done(e)
    box.done(e)
    assert len(box) == 0
