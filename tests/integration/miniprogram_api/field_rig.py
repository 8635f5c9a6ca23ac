"""A real listener on the API's sqlite store and simulated terminals over loopback TCP, on one event loop in a
background thread, for the API's field tests (binding, commands)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Coroutine
from concurrent.futures import Future
from datetime import datetime
from typing import Any, TypeVar

from iot_ingest.adapters.store import RegistryDirectory, StoreCommandQueue, StoreEventSink
from iot_ingest.memory import MemoryLeases
from iot_ingest.server import Server
from iot_ingest.sinks.memory import MemorySink
from monitoring._time import CHINA
from monitoring.clock import SystemClock
from monitoring.storage.ports import Store
from simulator.clock import SimClock
from simulator.link import Link
from simulator.model import SiteModel
from simulator.profile import load_profile
from simulator.runner import drive
from simulator.scenario import parse_scenario
from simulator.spec import EnterpriseSpec, PointSpec, TerminalSpec
from simulator.terminal import Terminal, TerminalSettings
from tests.integration.iot_ingest.harness import settings

T = TypeVar("T")


def _enterprise(mn: str, password: str) -> EnterpriseSpec:
    points = (PointSpec("E1-P1", "MF0001", "生产线", "production", 120.0, 0.85, 0.8, 5.0),)
    return EnterpriseSpec("E1", 1, "测试企业", "in镇", "大气管控企业", "in分局", "metal", "day", "x", 32.1, 120.5,
                          points, (TerminalSpec(mn, password, ((1, "E1-P1"),)),))  # fmt: skip


class FieldRig:
    """`start()` the listener; `connect(mn, pw)` a simulated terminal; `call(fn)` runs a coroutine on the loop."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.sink = MemorySink()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="field-rig", daemon=True)
        self.server: Server | None = None
        self.stop_terminals = asyncio.Event()
        self.tasks: list[asyncio.Task[Any]] = []
        self.terminals: dict[str, Terminal] = {}

    def call(self, make: Callable[[], Coroutine[Any, Any, T]], timeout: float = 30.0) -> T:
        future: Future[T] = asyncio.run_coroutine_threadsafe(make(), self.loop)
        return future.result(timeout)

    def start(self) -> None:
        self.thread.start()

        async def start() -> None:
            self.stop_terminals = asyncio.Event()
            server = Server(
                # the simulated clock runs 60× fast: its skew is not under test, and 1012s would interleave
                settings(
                    command_poll_interval=0.1, command_over_time=3.0, command_re_count=2, clock_correction=False
                ),  # fmt: skip
                sink=self.sink,
                directory=RegistryDirectory(self.store, unregistered_cache_s=0.2),
                commands=StoreCommandQueue(self.store, SystemClock()),
                leases=MemoryLeases(),
                events=StoreEventSink(self.store),
                sweep_interval=0.05,
            )
            await server.start()
            self.server = server

        self.call(start)

    @property
    def port(self) -> int:
        assert self.server is not None
        return self.server.port

    def connect(self, mn: str, password: str) -> Terminal:
        """A simulated terminal sending real-time data every half second of wall time (60× accelerated)."""

        async def start() -> Terminal:
            ent = _enterprise(mn, password)
            scenario = parse_scenario({"name": "t", "title_zh": "t", "description": "t", "effects": []})
            now = datetime.now(CHINA).replace(tzinfo=None, microsecond=0)
            begin = now.replace(second=now.second // 10 * 10)  # on the 10 s sample grid
            clock = SimClock(begin, 60.0)
            term = Terminal(ent.terminals[0], ent, SiteModel(ent, scenario, begin, 1), load_profile(),
                            TerminalSettings(overtime_s=10.0, recount=3, sample_s=10))  # fmt: skip
            link = Link(term, clock, "127.0.0.1", self.port, reconnect_s=0.2, realtime=True)
            self.tasks.append(asyncio.create_task(drive(term, clock, self.stop_terminals, first=begin)))
            self.tasks.append(asyncio.create_task(link.run(self.stop_terminals)))
            self.terminals[mn] = term
            return term

        return self.call(start)

    def records(self, mn: str) -> list[dict[str, Any]]:
        return [dict(r) for r in list(self.sink.records) if r["mn"] == mn]

    def stop(self) -> None:
        async def stop() -> None:
            self.stop_terminals.set()
            await asyncio.gather(*self.tasks, return_exceptions=True)
            if self.server is not None:
                await self.server.shutdown()

        try:
            self.call(stop)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)


def wait_for(predicate: Callable[[], bool], timeout: float = 20.0) -> bool:
    """Poll until `predicate()` holds (a loaded 2-core machine needs generous deadlines); False on time-out."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True
