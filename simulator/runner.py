"""Run a fleet: one sampler stepping every terminal, one Link per terminal and platform, a progress display.

Connections are opened at a bounded rate (thousands of terminals must not stampede the listener), the
display shows connecting/online counts and frames sent/acknowledged, and the counters can be written as
JSON for the crash test.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import json
import logging
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO

from simulator.clock import SimClock, china_now
from simulator.counters import AckLog, Counters
from simulator.link import Link
from simulator.model import SiteModel
from simulator.profile import Profile
from simulator.scenario import load_scenario
from simulator.spec import EnterpriseSpec
from simulator.terminal import Terminal, TerminalSettings

log = logging.getLogger(__name__)


@dataclass
class RunOptions:
    platforms: list[tuple[str, int]]
    settings: TerminalSettings
    seed: int = 1
    accel: float = 1.0
    start: datetime = field(default_factory=china_now)
    duration_s: float | None = None  # wall seconds
    sim_minutes: float | None = None  # stop when the simulated clock has run this long
    buffer: int = 20000
    connect_rate: float = 500.0  # new terminals started per wall second
    reconnect_s: float = 2.0
    time_request: bool = False
    realtime: bool = True  # False: no real-time uploads until a platform sends 2011
    progress: bool = True
    stats_path: Path | None = None
    ack_log: IO[str] | None = None


@dataclass
class Fleet:
    """The running objects, kept for tests and the final report."""

    terminals: list[Terminal]
    links: list[Link]
    counters: Counters
    clock: SimClock


def build(fleet: Sequence[EnterpriseSpec], profile: Profile, opts: RunOptions) -> Fleet:
    """Create terminals and links (nothing runs yet)."""
    if not 1 <= len(opts.platforms) <= 3:
        raise ValueError("a terminal talks to one, two or three platforms")
    clock = SimClock(opts.start, opts.accel)
    counters = Counters()
    ack_log = AckLog(opts.ack_log)
    terminals, links = [], []
    for ent in fleet:
        site = SiteModel(ent, load_scenario(ent.scenario), opts.start, opts.seed)
        for spec in ent.terminals:
            term = Terminal(spec, ent, site, profile, replace(opts.settings))
            terminals.append(term)
            for i, (host, port) in enumerate(opts.platforms, 1):
                links.append(
                    Link(
                        term,
                        clock,
                        host,
                        port,
                        index=i,
                        counters=counters,
                        ack_log=ack_log,
                        capacity=opts.buffer,
                        reconnect_s=opts.reconnect_s,
                        time_request=opts.time_request,
                        realtime=opts.realtime,
                    )
                )
    counters.terminals = len(terminals)
    return Fleet(terminals, links, counters, clock)


async def drive(
    term: Terminal,
    clock: SimClock,
    stop: asyncio.Event,
    counters: Counters | None = None,
    *,
    first: datetime | None = None,
) -> None:
    """Step the terminal through the sample grid of simulated time (recording how far behind it runs).

    The first sample is `first` if given (caught up at once if the clock is already past it), else the
    next grid instant after the moment this task first runs: that moment depends on the event loop, so a
    caller that needs data from a known instant (a test, a replay) must pin it.
    """
    step = timedelta(seconds=term.settings.sample_s)
    t = first_sample(term, clock, first)
    while not stop.is_set():
        delay = clock.real_delay(t)
        if delay > 0.25:  # long waits watch the stop event; short ones are plain sleeps (no task per wait)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
        else:
            await asyncio.sleep(delay)  # 0 when catching up under acceleration: still lets the links breathe
        if stop.is_set():
            return
        if delay == 0 and counters is not None:
            # Behind schedule (CPU): data stay complete, but the operator should see it and lower --accel.
            counters.lag_s = max(counters.lag_s, int((clock.now() - t).total_seconds()))
        term.step(t)
        t += step


def first_sample(term: Terminal, clock: SimClock, first: datetime | None = None) -> datetime:
    """`first` if given (it must be on the sample grid), else the next grid instant from the clock's now."""
    if first is not None and (first.microsecond or first.second % term.settings.sample_s):
        raise ValueError(f"the first sample {first} is not on the {term.settings.sample_s} s sample grid")
    now = clock.now()
    return first or now.replace(microsecond=0) + timedelta(seconds=(-now.second) % term.settings.sample_s)


class Sampler:
    """Steps every started terminal through its sample grid from one task: what `drive` does per terminal,
    with one timer per fleet instead of one sleep (and one timer, often one task) per terminal and sample.

    Each terminal's instants are exactly those `drive` would step (its first sample is the next grid instant
    when it is added), and a terminal's records do not depend on the order terminals are stepped in, so the
    frames are the same. A batch of due terminals yields to the links every few milliseconds.
    """

    SLICE_S = 0.005  # wall seconds of stepping before the links get the loop back
    MAX_SLEEP_S = 0.1  # upper bound of one wait: new terminals and the stop event are seen this soon

    def __init__(self, clock: SimClock, stop: asyncio.Event, counters: Counters | None = None) -> None:
        self.clock, self.stop, self.counters = clock, stop, counters
        self._heap: list[tuple[datetime, int, Terminal]] = []
        self._seq = itertools.count()

    def add(self, term: Terminal, first: datetime | None = None) -> None:
        heapq.heappush(self._heap, (first_sample(term, self.clock, first), next(self._seq), term))

    async def run(self) -> None:
        heap, clock, counters = self._heap, self.clock, self.counters
        # The clock when the loop last looked (None: never): a terminal due by then was already late when
        # it could have been stepped; one that fell due during a wait is on time.
        checked: datetime | None = None
        while not self.stop.is_set():
            now = clock.now()
            if not heap or heap[0][0] > now:
                delay = clock.real_delay(heap[0][0]) if heap else self.MAX_SLEEP_S
                checked = now
                await asyncio.sleep(min(delay, self.MAX_SLEEP_S))
                continue
            sliced = time.monotonic()
            while heap and heap[0][0] <= now:
                t, seq, term = heapq.heappop(heap)
                if counters is not None and (checked is None or t <= checked):
                    # Behind schedule (CPU): data stay complete, but the operator should see it and lower --accel.
                    counters.lag_s = max(counters.lag_s, int((clock.now() - t).total_seconds()))
                try:
                    term.step(t)
                except Exception:  # one broken terminal must not stop the fleet (drive() would end its task)
                    log.exception("terminal %s stopped sampling at %s", term.mn, t)
                    continue
                heapq.heappush(heap, (t + timedelta(seconds=term.settings.sample_s), seq, term))
                if time.monotonic() - sliced > self.SLICE_S:
                    await asyncio.sleep(0)
                    if self.stop.is_set():
                        return
                    sliced = time.monotonic()
            checked = now


def _line(c: Counters, clock: SimClock, started: float) -> str:
    return (
        f"\r[{clock.now():%Y-%m-%d %H:%M:%S}] terminals {c.started}/{c.terminals}  links online {c.online}"
        f"  connecting {c.connecting}  failed connects {c.connect_failures}  frames sent {c.frames_sent}"
        f"  acked {c.acked}  resends {c.resends}  dropped {c.dropped}  commands {c.commands}"
        f"  behind {c.lag_s}s"
        f"  ({time.monotonic() - started:.0f}s) "
    )


async def _report(fleet: Fleet, opts: RunOptions, stop: asyncio.Event) -> None:
    started = time.monotonic()
    while not stop.is_set():
        if opts.progress:
            sys.stderr.write(_line(fleet.counters, fleet.clock, started))
            sys.stderr.flush()
        if opts.stats_path is not None:
            write_stats(fleet, opts.stats_path)
        fleet.counters.lag_s = 0  # a fresh maximum for the next second
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 1.0)


def write_stats(fleet: Fleet, path: Path) -> None:
    data = {
        **fleet.counters.snapshot(),
        "sim_time": fleet.clock.now().isoformat(),
        "buffered": sum(len(link.outbox) for link in fleet.links),
    }
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
    tmp.replace(path)


async def run(fleet: Fleet, opts: RunOptions, stop: asyncio.Event | None = None) -> Counters:
    """Run until stopped, the wall duration passes, or the simulated span is done."""
    stop = stop or asyncio.Event()
    fleet.clock.reset()
    sampler = Sampler(fleet.clock, stop, fleet.counters)
    tasks: list[asyncio.Task[None]] = [
        asyncio.create_task(_report(fleet, opts, stop)),
        asyncio.create_task(sampler.run()),
    ]
    by_term: dict[str, list[Link]] = {}
    for link in fleet.links:
        by_term.setdefault(link.term.mn, []).append(link)
    deadline = time.monotonic() + opts.duration_s if opts.duration_s is not None else None
    end_sim = opts.start + timedelta(minutes=opts.sim_minutes) if opts.sim_minutes is not None else None
    pending = list(fleet.terminals)
    began = time.monotonic()
    try:
        while not stop.is_set():
            # Start terminals at the configured rate, in batches, whatever the loop's latency.
            due = (
                len(fleet.terminals)
                if opts.connect_rate <= 0
                else int((time.monotonic() - began) * opts.connect_rate) + 1
            )
            while pending and len(fleet.terminals) - len(pending) < due:
                term = pending.pop(0)
                fleet.counters.started += 1
                sampler.add(term)
                tasks += [asyncio.create_task(link.run(stop)) for link in by_term[term.mn]]
            if deadline is not None and time.monotonic() >= deadline:
                break
            if end_sim is not None and fleet.clock.now() >= end_sim:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.05 if pending else 0.2)
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        if opts.progress:
            sys.stderr.write(_line(fleet.counters, fleet.clock, began) + "\n")
        if opts.stats_path is not None:
            write_stats(fleet, opts.stats_path)
        if opts.ack_log is not None:
            opts.ack_log.flush()
    return fleet.counters
