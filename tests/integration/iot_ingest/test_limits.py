"""Limits against bad peers over real sockets: each offender is dropped and the others keep being served."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable

import pytest

from tests.integration.iot_ingest.harness import frame, running

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(scenario())


def test_idle_connection_closed_after_timeout() -> None:
    async def scenario() -> None:
        async with running(expected_interval=1.0, idle_intervals=1.0) as h:
            idle = await h.connect()
            assert await idle.closed_by_peer(3.0)
            assert h.server.metrics.get("disconnects", "idle_timeout") == 1

    run(scenario)


def test_slow_sender_dropped_while_other_terminal_served() -> None:
    async def scenario() -> None:
        async with running(slow_sender_timeout=0.3) as h:
            slow = await h.connect()
            good = await h.connect()
            data = frame(i=1)
            # A slowloris: the first half of a frame, then a trickle that never completes it
            await slow.send(data[:20])
            for b in data[20:26]:
                try:
                    await slow.send(bytes([b]))
                except ConnectionError:
                    break  # already dropped
                await good.send(frame(i=b))
                assert await good.recv() is not None  # the other terminal is answered meanwhile
                await asyncio.sleep(0.1)
            assert await slow.closed_by_peer(2.0)
            assert h.server.metrics.get("disconnects", "slow_sender") == 1
            await good.close()

    run(scenario)


def test_garbage_budget_exceeded_disconnects() -> None:
    async def scenario() -> None:
        async with running(garbage_budget=1000, garbage_refill=0) as h:
            t = await h.connect()
            await t.send(frame(i=1))
            assert await t.recv() is not None
            await t.send(b"x" * 600)
            await asyncio.sleep(0.05)
            await t.send(frame(i=2))  # still within budget: served
            assert await t.recv() is not None
            await t.send(b"y" * 600)
            assert await t.closed_by_peer()
            assert h.server.metrics.get("disconnects", "garbage_budget") == 1

    run(scenario)


def test_buffer_cap_exceeded_disconnects() -> None:
    async def scenario() -> None:
        async with running(max_buffer=4096, garbage_budget=10**9) as h:
            t = await h.connect()
            # A header announcing 9000 bytes, then bytes that never end the frame
            await t.send(b"##9000QN=1;" + b"A" * 6000)
            assert await t.closed_by_peer()
            assert h.server.metrics.get("disconnects", "buffer_cap") == 1

    run(scenario)


def test_max_connections_refuses_extra() -> None:
    async def scenario() -> None:
        async with running(max_connections=3) as h:
            terms = [await h.connect() for _ in range(3)]
            await asyncio.sleep(0.05)
            extra = await h.connect()
            assert await extra.closed_by_peer()
            assert h.server.metrics.get("connections_rejected", "max_connections") == 1
            await terms[0].send(frame(i=1))
            assert await terms[0].recv() is not None
            for t in terms:
                await t.close()

    run(scenario)


def test_new_connection_rate_per_source_enforced() -> None:
    async def scenario() -> None:
        async with running(conn_rate=0.01, conn_burst=3) as h:
            terms = [await h.connect() for _ in range(5)]
            closed = [await t.closed_by_peer(1.0) for t in terms]
            assert closed == [False, False, False, True, True]
            assert h.server.metrics.get("connections_rejected", "connection_rate") == 2
            for t in terms:
                await t.close()

    run(scenario)


def test_health_endpoint_reports_serving_then_draining() -> None:
    async def scenario() -> None:
        async with running() as h:
            port = await h.server.health.start("127.0.0.1", 0)

            async def get(path: str) -> tuple[int, str]:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.write(f"GET {path} HTTP/1.0\r\n\r\n".encode())
                raw = await asyncio.wait_for(reader.read(), 3)
                writer.close()
                head, _, body = raw.decode().partition("\r\n\r\n")
                return int(head.split()[1]), body

            status, body = await get("/health")
            assert status == 200 and json.loads(body)["status"] == "serving"
            status, body = await get("/metrics")
            assert status == 200 and "iot_ingest_connections" in body
            assert (await get("/nope"))[0] == 404
            h.server.state.draining = True
            assert (await get("/health"))[0] == 503

    run(scenario)
