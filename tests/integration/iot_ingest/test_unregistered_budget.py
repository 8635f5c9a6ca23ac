"""Unregistered MNs over real sockets: kept within their budgets, refused beyond, registered terminals untouched."""

from __future__ import annotations

import asyncio
import base64
import contextlib

import pytest

from iot_ingest.memory import TerminalEntry
from tests.integration.iot_ingest.harness import MN, PW, Harness, frame, running, until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]


def _unregistered(h: Harness) -> list[bytes]:
    return [base64.b64decode(r["frame"]) for r in h.sink.records if r["auth"] == "unregistered"]


async def _flood(h: Harness, k: int, stop: asyncio.Event, source: str = "127.0.0.1") -> None:
    """An unauthenticated peer cycling through made-up MNs, 16 per connection (the most one may use)."""
    n = 0
    while not stop.is_set():
        try:
            _, writer = await asyncio.open_connection(h.server.settings.host, h.port, local_addr=(source, 0))
        except OSError:
            await asyncio.sleep(0.01)
            continue
        try:
            for _ in range(16):
                writer.write(frame(f"FAKE{k:03d}{n:09d}", pw="000000", i=n))
                n += 1
            await writer.drain()
            await asyncio.sleep(0.005)
        except ConnectionError:
            pass
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


def test_unregistered_flood_stays_within_budget_while_a_registered_terminal_is_acknowledged() -> None:
    async def scenario() -> None:
        budget = {"unregistered_source_frames": 60, "unregistered_source_bytes": 40_000,
                  "unregistered_total_frames": 1000, "unregistered_mn_frames": 5}  # fmt: skip
        async with running(conn_burst=100_000, **budget) as h:  # type: ignore[arg-type]
            stop = asyncio.Event()
            floods = [asyncio.create_task(_flood(h, k, stop)) for k in range(20)]
            good = await h.connect()
            # The registered terminal keeps being acknowledged through the flood, frame after frame.
            for i in range(30):
                await good.send(frame(i=i))
                assert await good.recv(10.0) is not None, f"frame {i} of the registered terminal not acknowledged"
            assert await until(lambda: h.server.metrics.get("unregistered_refused", "source") >= 500, 30.0)
            stop.set()
            await asyncio.gather(*floods)
            await good.close()
            kept = _unregistered(h)
            # Storage grew by no more than the source budget: frames and bytes.
            assert 0 < len(kept) <= 60 and sum(len(raw) for raw in kept) <= 40_000
            assert h.server.metrics.get("unregistered_kept") == len(kept)
            assert len([r for r in h.sink.records if r["auth"] == "ok"]) == 30
            # The bureau sees one event for the spent budget, not one per refused frame.
            throttled = h.events.of_type("unregistered_throttled")
            assert len(throttled) == 1 and throttled[0].detail["scope"] == "source"
            assert h.server.metrics.get("disconnects", "unregistered_budget") > 0

    asyncio.run(scenario())


def test_total_budget_bounds_unregistered_frames_from_many_addresses() -> None:
    async def scenario() -> None:
        budget = {"unregistered_source_frames": 1000, "unregistered_total_frames": 40, "unregistered_mn_frames": 5}
        async with running(conn_burst=100_000, **budget) as h:  # type: ignore[arg-type]
            stop = asyncio.Event()
            sources = [f"127.0.0.{k}" for k in range(2, 6)]  # all of 127/8 is loopback on Linux
            floods = [asyncio.create_task(_flood(h, k, stop, source)) for k, source in enumerate(sources)]
            assert await until(lambda: h.server.metrics.get("unregistered_refused", "total") >= 200, 30.0)
            stop.set()
            await asyncio.gather(*floods)
            assert 0 < len(_unregistered(h)) <= 40
            assert {r["peer"].split(":")[0] for r in h.sink.records} <= set(sources)
            assert [e.detail["scope"] for e in h.events.of_type("unregistered_throttled")] == ["total"]

    asyncio.run(scenario())


def test_unregistered_mn_keeps_a_sample_and_a_relay_connection_keeps_its_registered_terminal() -> None:
    async def scenario() -> None:
        async with running(unregistered_mn_frames=3) as h:
            relay = await h.connect()  # a data logger relaying a registered meter and one not yet bound
            await relay.send(frame(MN, i=0))
            assert await relay.recv() is not None
            answers = []
            for i in range(1, 7):
                await relay.send(frame("NEWMETER0001", pw=PW, i=i))
                answers.append(await relay.recv(0.5) is not None)
                await relay.send(frame(MN, i=100 + i))
                assert await relay.recv(5.0) is not None  # the registered meter is never refused
            # The first three frames of the unbound meter are kept and acknowledged; the rest neither (it resends).
            assert answers == [True, True, True, False, False, False]
            assert len(_unregistered(h)) == 3
            assert h.server.metrics.get("unregistered_refused", "mn") == 3
            assert h.events.of_type("unregistered_throttled") == []  # a sample spent is routine, not an event
            await relay.close()

    asyncio.run(scenario())


def test_registered_terminal_is_never_charged_to_the_unregistered_budget() -> None:
    async def scenario() -> None:
        terminals = {MN: TerminalEntry(PW)}
        async with running(terminals=terminals, unregistered_source_frames=1, unregistered_total_frames=1) as h:
            t = await h.connect()
            await t.send(frame("UNBOUND00001", i=0))
            assert await t.recv() is not None  # the one unregistered frame the budget allows
            for i in range(1, 21):
                await t.send(frame(MN, i=i))
                assert await t.recv(5.0) is not None
            assert h.server.metrics.get("unregistered_kept") == 1
            await t.close()

    asyncio.run(scenario())
