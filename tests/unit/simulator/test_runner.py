"""The sampling driver: it follows the simulated clock, catches up when behind, and reports how far behind."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from simulator.clock import SimClock
from simulator.counters import Counters
from simulator.runner import Sampler, drive
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


def _realtime_times(late_s: float, *, pin: bool) -> list[str]:
    """DataTimes of the real-time records when the driver first runs `late_s` simulated seconds late."""

    async def body() -> list[str]:
        mono = Mono()
        clock = SimClock(START, 60.0, monotonic=mono)
        term = terminal(scenario(), 1)  # 10 s samples, real-time every 30 s
        seen: list[str] = []
        term.listeners.append(lambda r: seen.append(r.data_time) if r.cn == "2011" else None)
        stop = asyncio.Event()
        mono.t = late_s / 60.0  # the event loop got to the driver this late (a loaded machine)
        task = asyncio.create_task(drive(term, clock, stop, first=START if pin else None))
        await asyncio.sleep(0)  # the driver picks its first sample instant
        mono.t = 40.0 / 60.0  # then simulated time reaches 08:00:40
        await asyncio.sleep(0.25)  # any pending wall sleep of the driver (at most 10 s / 60) ends
        for _ in range(100):
            await asyncio.sleep(0)
        stop.set()
        await asyncio.wait_for(task, 5)
        return seen

    return asyncio.run(body())


def test_drive_unpinned_starts_on_the_next_grid_instant_after_it_first_runs() -> None:
    # Given a driver that first runs 1.2 simulated seconds after the clock's start (20 ms wall at accel 60)
    # When simulated time reaches 08:00:40
    # Then its first sample was 08:00:10: the 08:00:00 real-time record never existed
    assert _realtime_times(1.2, pin=False) == ["20261130080030"]


def test_drive_pinned_first_sample_is_caught_up_however_late_the_driver_starts() -> None:
    # Given the first sample pinned to the clock's start and a driver that first runs 25 simulated seconds late
    # When simulated time reaches 08:00:40
    # Then the 08:00:00 sample was caught up: every real-time record from the start exists
    assert _realtime_times(25.0, pin=True) == ["20261130080000", "20261130080030"]


def test_drive_rejects_a_first_sample_off_the_grid() -> None:
    async def body() -> None:
        term = terminal(scenario(), 1)  # 10 s samples
        await drive(term, SimClock(START, 60.0), asyncio.Event(), first=START + timedelta(seconds=5))

    with pytest.raises(ValueError, match="sample grid"):
        asyncio.run(body())


def test_sampler_steps_every_terminal_through_the_same_instants_as_drive() -> None:
    async def records(use_sampler: bool) -> list[tuple[str, str, tuple[str, ...]]]:
        # Given two terminals whose simulated clock jumps three minutes ahead (a starved process)
        mono = Mono()
        clock = SimClock(START, 100.0, monotonic=mono)
        terms = [terminal(scenario(), 1), terminal(scenario(), 2)]
        seen: list[tuple[str, str, tuple[str, ...]]] = []
        for term in terms:
            term.listeners.append(lambda r, mn=term.mn: seen.append((mn, r.data_time, r.packets)))
        counters, stop = Counters(), asyncio.Event()
        if use_sampler:
            sampler = Sampler(clock, stop, counters)
            for term in terms:
                sampler.add(term, first=START)
            tasks = [asyncio.create_task(sampler.run())]
        else:
            tasks = [asyncio.create_task(drive(term, clock, stop, counters, first=START)) for term in terms]
        mono.t += 1.8  # three simulated minutes
        for _ in range(400):
            await asyncio.sleep(0)
            if sum(1 for _, t, _ in seen if t == "20261130080300") >= 2:
                break
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), 5)
        assert counters.lag_s >= 60  # the catch-up was reported
        return sorted(r for r in seen if r[1] <= "20261130080300")

    # When one sampler steps them, and when one driver task per terminal does
    by_sampler = asyncio.run(records(True))
    by_drive = asyncio.run(records(False))
    # Then both produced the same records, minute data included
    assert by_sampler == by_drive
    assert any(t == "20261130080200" for _, t, _ in by_sampler)


def test_sampler_starts_a_terminal_on_the_next_grid_instant_and_rejects_one_off_the_grid() -> None:
    async def body() -> None:
        mono = Mono()
        clock = SimClock(START, 60.0, monotonic=mono)
        sampler = Sampler(clock, asyncio.Event())
        mono.t = 1.2 / 60.0  # 08:00:01.2
        sampler.add(terminal(scenario(), 1))
        assert sampler._heap[0][0] == START + timedelta(seconds=10)
        with pytest.raises(ValueError, match="sample grid"):
            sampler.add(terminal(scenario(), 2), first=START + timedelta(seconds=5))

    asyncio.run(body())
