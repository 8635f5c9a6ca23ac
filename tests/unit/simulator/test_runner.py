"""The sampling driver: it follows the simulated clock, catches up when behind, and reports how far behind."""

from __future__ import annotations

import asyncio

import pytest

from simulator.clock import SimClock
from simulator.counters import Counters
from simulator.runner import drive
from tests.unit.simulator.conftest import START, scenario, terminal

pytestmark = pytest.mark.unit


class Mono:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def test_drive_catches_up_sample_by_sample_and_reports_the_lag() -> None:
    async def body() -> tuple[int, Counters]:
        # Given a terminal whose simulated clock jumps ten minutes ahead (a starved process)
        mono = Mono()
        clock = SimClock(START, 100.0, monotonic=mono)  # a sample every 0.1 wall seconds
        term = terminal(scenario(), 2)
        seen: list[str] = []
        term.listeners.append(lambda r: seen.append(r.data_time) if r.kind == "minute" else None)
        counters, stop = Counters(), asyncio.Event()
        task = asyncio.create_task(drive(term, clock, stop, counters))
        await asyncio.sleep(0.01)
        mono.t += 6.0  # ten simulated minutes
        await asyncio.sleep(0.2)  # the driver's pending 0.1 s sleep ends; from then on it never sleeps
        for _ in range(500):
            await asyncio.sleep(0)
            if len(seen) >= 9:
                break
        stop.set()
        await asyncio.wait_for(task, 5)
        return len(seen), counters

    n, counters = asyncio.run(body())
    # Then every minute was still produced, and the lag was reported
    assert n >= 9
    assert counters.lag_s >= 60
