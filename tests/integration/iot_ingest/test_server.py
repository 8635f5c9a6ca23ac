"""The listener over real sockets on 127.0.0.1: framing edge cases, acknowledgement rules, sessions, sink outages.

Every test is bounded in time (pytest-timeout plus explicit receive time-outs) and in connection count.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import uvloop

import hj212
from iot_ingest.memory import TerminalEntry
from tests.integration.iot_ingest.harness import MN, PW, frame, running, until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(scenario())


def _qns(records: list[dict[str, Any]]) -> list[str]:
    return [r["qn"] for r in records]


def test_one_byte_writes_frame_acked_once() -> None:
    async def scenario() -> None:
        async with running() as h:
            t = await h.connect()
            data = frame(i=1)
            # When the frame arrives one byte per write
            for b in data:
                await t.send(bytes([b]))
            # Then exactly one 9014 with the frame's QN, and the frame is durable
            reply = await t.recv()
            assert reply is not None and reply.cn == "9014" and reply.qn == hj212.decode_frame(data).qn
            assert await t.recv(0.3) is None
            assert len(h.sink.records) == 1
            await t.close()

    run(scenario)


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_hundred_frames_in_one_write_all_acked_in_order(loop: str) -> None:
    async def scenario() -> None:
        async with running() as h:
            t = await h.connect()
            frames = [frame(i=i) for i in range(100)]
            await t.send(b"".join(frames))
            replies = await t.recv_n(100)
            sent_qns = [hj212.decode_frame(f).qn for f in frames]
            assert [r.qn for r in replies] == sent_qns
            assert _qns(h.sink.records) == sent_qns
            await t.close()

    uvloop.run(scenario()) if loop == "uvloop" else run(scenario)


def test_garbage_between_frames_good_frames_acked() -> None:
    async def scenario() -> None:
        async with running() as h:
            t = await h.connect()
            a, b = frame(i=1), frame(i=2)
            await t.send(b"\x00\xffGARBAGE##12" + a + b"#x#\r\n" + b"##99zz" + b + b"trailing")
            replies = await t.recv_n(2)
            assert [r.cn for r in replies] == ["9014", "9014"]
            assert len(h.sink.records) == 2
            assert h.server.metrics.get("errors", "garbage") >= 1
            await t.close()

    run(scenario)


def test_wrong_crc_no_reply_not_archived() -> None:
    async def scenario() -> None:
        async with running() as h:
            t = await h.connect()
            good = frame(i=1)
            crc = good[-6:-2]
            broken = good[:-6] + (b"0000" if crc != b"0000" else b"FFFF") + b"\r\n"
            await t.send(broken)
            assert await t.recv(0.5) is None
            assert h.sink.records == [] and h.server.metrics.get("errors", "crc_mismatch") == 1
            # The connection stays usable
            await t.send(good)
            assert (await t.recv()) is not None
            await t.close()

    run(scenario)


def test_ack_not_requested_durable_without_reply() -> None:
    async def scenario() -> None:
        async with running() as h:
            t = await h.connect()
            await t.send(frame(i=1, ack=False))
            assert await t.recv(0.5) is None
            assert len(h.sink.records) == 1
            await t.close()

    run(scenario)


def test_split_packets_across_writes_reassembled() -> None:
    async def scenario() -> None:
        async with running() as h:
            t = await h.connect()
            data = frame(i=1) + frame(i=2)
            await t.send(data[:37])
            await asyncio.sleep(0.05)
            await t.send(data[37:150])
            await asyncio.sleep(0.05)
            await t.send(data[150:])
            assert len(await t.recv_n(2)) == 2
            await t.close()

    run(scenario)


def test_2005_dialect_upload_gets_2005_reply() -> None:
    async def scenario() -> None:
        async with running() as h:
            t = await h.connect()
            data = frame(i=1, version=hj212.Version.V2005, cn="2051")
            await t.send(data)
            reply = await t.recv()
            # HJ/T 212-2005 附录C: ST=91;CN=9014;CP=&&QN=…;CN=2051&& (no top-level QN, PW or MN)
            assert reply is not None and reply.cn == "9014" and reply.mn is None
            assert reply.cp.scalars["QN"] == hj212.decode_frame(data).qn and reply.cp.scalars["CN"] == "2051"
            await t.close()

    run(scenario)


def test_unknown_mn_acked_and_flagged_unregistered() -> None:
    async def scenario() -> None:
        async with running(terminals={}) as h:
            t = await h.connect()
            await t.send(frame("NEWTERMINAL0001", i=1))
            assert (await t.recv()) is not None
            assert h.sink.records[0]["auth"] == "unregistered" and h.sink.records[0]["mn"] == "NEWTERMINAL0001"
            assert [e.mn for e in h.events.of_type("unregistered_seen")] == ["NEWTERMINAL0001"]
            await t.close()

    run(scenario)


def test_wrong_password_archived_not_acked_event_and_throttled() -> None:
    async def scenario() -> None:
        async with running(auth_failed_rate=1.0, auth_failed_burst=2) as h:
            t = await h.connect()
            await t.send(b"".join(frame(pw="000000", i=i) for i in range(6)))
            assert await t.recv(0.5) is None
            # Archived (flagged) up to the burst; the rest refused while reading is throttled
            assert await until(lambda: len(h.sink.records) == 2)
            assert {r["auth"] for r in h.sink.records} == {"auth_failed"}
            assert h.server.metrics.get("errors", "auth_failed_throttled") >= 1
            events = h.events.of_type("auth_failure")
            assert len(events) == 1 and events[0].mn == MN
            await t.close()

    run(scenario)


def test_duplicate_mn_newer_session_wins_event_has_both_peers() -> None:
    async def scenario() -> None:
        async with running() as h:
            old = await h.connect()
            await old.send(frame(i=1))
            assert await old.recv() is not None
            new = await h.connect()
            await new.send(frame(i=2))
            assert await new.recv() is not None
            assert await old.closed_by_peer()
            ev = h.events.of_type("duplicate_mn")[0]
            assert ev.detail["old_peer"] != ev.detail["new_peer"] and ev.peer == ev.detail["new_peer"]
            assert h.server.state.sessions[MN].peer == ev.detail["new_peer"]
            await new.close()

    run(scenario)


def test_sink_failure_no_reply_then_recovery_nothing_lost() -> None:
    async def scenario() -> None:
        async with running(batch_linger=0) as h:
            t = await h.connect()
            await t.send(frame(i=1))
            assert await t.recv() is not None
            # Given the sink fails
            h.sink.failing = True
            await t.send(frame(i=2))
            # Then no reply, and the listener stays up
            assert await t.recv(0.5) is None
            assert not h.server.handoff.healthy
            # When it recovers and the terminal resends (HJ 212 表1), the frame is acked
            h.sink.failing = False
            await t.send(frame(i=2))
            assert await t.recv() is not None
            await t.send(frame(i=3))
            assert await t.recv() is not None
            data_times = [
                hj212.decode_frame(base64.b64decode(r["frame"])).cp.scalars["DataTime"] for r in h.sink.records
            ]
            assert data_times == ["20261128180001", "20261128180002", "20261128180003"]
            await t.close()

    run(scenario)


def test_slow_sink_no_reply_until_durable() -> None:
    async def scenario() -> None:
        async with running(batch_linger=0) as h:
            t = await h.connect()
            h.sink.gate.clear()
            await t.send(frame(i=1))
            assert await t.recv(0.3) is None  # not durable yet: no ack
            h.sink.gate.set()
            assert await t.recv() is not None
            await t.close()

    run(scenario)


def test_modbus_crc_accepted_only_for_flagged_terminals() -> None:
    async def scenario() -> None:
        seg = hj212.decode_frame(frame(i=1)).segment.encode()
        modbus = b"##%04d" % len(seg) + seg + b"%04X\r\n" % hj212.crc16_modbus(seg)
        terminals = {MN: TerminalEntry(PW, modbus_crc=True), "OTHER": TerminalEntry(PW)}
        async with running(terminals=terminals) as h:
            t = await h.connect()
            await t.send(modbus)
            assert await t.recv() is not None
            assert h.sink.records[0]["crc"] == "modbus"
            other_seg = seg.replace(MN.encode(), b"OTHER")
            t2 = await h.connect()
            await t2.send(b"##%04d" % len(other_seg) + other_seg + b"%04X\r\n" % hj212.crc16_modbus(other_seg))
            assert await t2.recv(0.5) is None and len(h.sink.records) == 1
            await t.close()
            await t2.close()

    run(scenario)


def test_thousand_concurrent_connections_all_acked() -> None:
    async def scenario() -> None:
        async with running(terminals={}, conn_burst=2000) as h:
            # Given 1,000 terminals connected at once
            terms = await asyncio.gather(*(h.connect() for _ in range(1000)))
            # When each sends one frame
            await asyncio.gather(*(t.send(frame(f"MN{i:06d}", i=i)) for i, t in enumerate(terms)))
            replies = await asyncio.gather(*(t.recv(10) for t in terms))
            # Then every one is acknowledged and durable
            assert all(r is not None and r.cn == "9014" for r in replies)
            assert len(h.sink.records) == 1000 and len(h.server.state.sessions) == 1000
            await asyncio.gather(*(t.close() for t in terms))

    run(scenario)


def test_wrong_password_peer_cannot_take_over_a_registered_session() -> None:
    async def scenario() -> None:
        async with running() as h:
            real = await h.connect()
            await real.send(frame(i=1))
            assert await real.recv() is not None
            # Given an impostor that knows the MN but not the password
            impostor = await h.connect()
            await impostor.send(frame(pw="999999", i=2))
            assert await impostor.recv(0.3) is None
            # Then the real terminal keeps its session and is still answered
            assert h.server.state.sessions[MN].peer != h.events.of_type("auth_failure")[0].peer
            assert h.events.of_type("duplicate_mn") == []
            await real.send(frame(i=3))
            assert await real.recv() is not None
            await real.close()
            await impostor.close()

    run(scenario)


def test_connections_share_what_the_listener_learnt_of_frame_layouts() -> None:
    async def scenario() -> None:
        async with running() as h:
            # Given two frames of one layout, from two connections one after the other
            frames = [frame(i=i) for i in range(3)]
            for data in frames[:2]:
                t = await h.connect()
                await t.send(data)
                assert (await t.recv()) is not None
                await t.close()
            # Then the listener's decoders learnt the layout together: a third connection's frame takes the
            # fast path at once (each connection learning alone would cost memory and time per connection)
            third = frames[2]
            fast = h.server.state.layouts.frame(third, third[6:-6], third[-6:-2].decode())
            assert fast is not None and fast == hj212.decode_frame(third)

    run(scenario)
