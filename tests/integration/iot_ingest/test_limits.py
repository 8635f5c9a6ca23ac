"""Limits against bad peers over real sockets: each offender is dropped and the others keep being served."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable

import pytest

from iot_ingest.memory import TerminalEntry
from tests.integration.iot_ingest.harness import MN, PW, frame, running, until

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


def test_connect_close_flood_does_not_lock_out_terminals_behind_the_same_address() -> None:
    async def scenario() -> None:
        mns = [f"MNNAT{i:07d}" for i in range(6)]
        async with running(terminals={mn: TerminalEntry(PW) for mn in mns}, conn_rate=1.0, conn_burst=20) as h:
            stop = asyncio.Event()
            opened = 0

            async def flood() -> None:  # a broken terminal: connects and hangs up, again and again
                nonlocal opened
                while not stop.is_set():
                    try:
                        _, writer = await asyncio.open_connection("127.0.0.1", h.port)
                    except OSError:
                        continue
                    opened += 1
                    writer.close()
                    with contextlib.suppress(ConnectionError):
                        await writer.wait_closed()

            floods = [asyncio.create_task(flood()) for _ in range(4)]
            assert await until(lambda: opened >= 200, 30.0)
            # Its neighbours behind the same address reconnect (3 times each) while the flood runs.
            acked = 0
            for round_ in range(3):
                for i, mn in enumerate(mns):
                    t = await h.connect()
                    await t.send(frame(mn, i=10 * round_ + i))
                    acked += await t.recv(10.0) is not None
                    await t.close()
            stop.set()
            await asyncio.gather(*floods)
            assert acked == 18
            assert h.server.metrics.get("probation_connections") > 0  # the flood did put the address on probation

    run(scenario)


def test_silent_connections_from_an_address_on_probation_are_closed_soon() -> None:
    async def scenario() -> None:
        # A generous deadline: the neighbour's first frame must beat it even on a loaded machine.
        async with running(conn_rate=0.01, conn_burst=3, probation_timeout=1.0) as h:
            silent = [await h.connect() for _ in range(3)]  # in good standing: only the idle time-out applies
            late = await h.connect()  # the address has spent its tokens: on probation
            assert await late.closed_by_peer(5.0)
            assert h.server.metrics.get("disconnects", "probation_timeout") == 1
            # A neighbour that sends its frame at once is served although the address is on probation.
            good = await h.connect()
            await good.send(frame(i=1))
            assert await good.recv(5.0) is not None
            await asyncio.sleep(1.5)  # past its probation deadline: having sent a frame, it stays
            assert not await good.closed_by_peer(0.2)
            assert h.server.metrics.get("disconnects", "probation_timeout") == 1
            assert [await t.closed_by_peer(0.2) for t in silent] == [False, False, False]
            for t in [*silent, good]:
                await t.close()

    run(scenario)


def test_garbage_spends_the_address_bucket_faster_than_a_silent_connection() -> None:
    async def scenario() -> None:
        async with running(conn_rate=0.01, conn_burst=3, garbage_budget=100, garbage_refill=0) as h:
            for _ in range(2):  # each: the connection's own token plus one for the garbage
                t = await h.connect()
                await t.send(b"\xff" * 200)
                assert await t.closed_by_peer(5.0)
            assert h.server.metrics.get("disconnects", "garbage_budget") == 2
            third = await h.connect()
            assert await until(lambda: h.server.metrics.get("probation_connections") == 1)
            await third.close()

    run(scenario)


def test_an_address_on_probation_holds_only_so_many_silent_connections_and_the_oldest_makes_room() -> None:
    async def scenario() -> None:
        terminals = {MN: TerminalEntry(PW), "MNNEWEST0001": TerminalEntry(PW)}
        async with running(terminals=terminals, conn_rate=0.01, conn_burst=2, probation_max_silent=3) as h:
            in_good_standing = [await h.connect() for _ in range(2)]  # silent, but bounded by the bucket
            talking = await h.connect()  # on probation from here on
            await talking.send(frame(i=0))
            assert await talking.recv() is not None  # has sent a frame: no longer silent, never evicted
            silent = [await h.connect() for _ in range(3)]
            newest = await h.connect()
            assert await silent[0].closed_by_peer(5.0)
            assert h.server.metrics.get("disconnects", "silent_evicted") == 1
            # The newest connection is not the one pushed out: it sends its frame and is answered.
            await newest.send(frame("MNNEWEST0001", i=1))
            assert await newest.recv(5.0) is not None
            survivors = (*in_good_standing, talking, *silent[1:])
            assert [await t.closed_by_peer(0.2) for t in survivors] == [False] * 5
            for t in (*survivors, silent[0], newest):
                await t.close()

    run(scenario)


def test_reconnecting_authenticated_terminals_never_put_their_address_on_probation() -> None:
    async def scenario() -> None:
        async with running(conn_rate=0.01, conn_burst=3) as h:
            for i in range(20):
                t = await h.connect()
                await t.send(frame(i=i))
                assert await t.recv(5.0) is not None
                await t.close()
            assert h.server.metrics.get("probation_connections") == 0
            assert not h.server.state.abuse.on_probation("127.0.0.1", asyncio.get_running_loop().time())

    run(scenario)


def test_failed_passwords_put_the_address_on_probation_but_its_terminals_are_served() -> None:
    async def scenario() -> None:
        other = "MNOTHER00001"
        terminals = {MN: TerminalEntry(PW), other: TerminalEntry(PW)}
        async with running(terminals=terminals, conn_rate=0.01, conn_burst=5, auth_failed_burst=100) as h:
            good = await h.connect()
            await good.send(frame(i=0))
            assert await good.recv() is not None
            impostor = await h.connect()  # takes one of the 5 tokens; each wrong password spends another
            for i in range(10):
                with contextlib.suppress(ConnectionError):
                    await impostor.send(frame(other, pw="wrong!", i=i))
            assert await impostor.closed_by_peer(5.0)
            assert h.server.metrics.get("disconnects", "auth_failed_probation") == 1
            assert await until(lambda: h.server.metrics.get("frames_durable") == 5)  # 4 archived + the good one
            # Reconnecting does not reset it: the address is on probation, nothing more is archived.
            again = await h.connect()
            await again.send(frame(other, pw="wrong!", i=20))
            assert await again.closed_by_peer(5.0)
            await asyncio.sleep(0.1)
            assert len([r for r in h.sink.records if r["auth"] == "auth_failed"]) == 4
            # The registered terminals behind that address: the open session and a reconnect are served.
            await good.send(frame(i=1))
            assert await good.recv() is not None
            back = await h.connect()
            await back.send(frame(other, i=30))
            assert await back.recv() is not None
            for t in (good, back):
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
