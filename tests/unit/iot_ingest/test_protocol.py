"""IngestProtocol with a fake transport and a fake clock: timers, flow control and replies without sleeping."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

import hj212
from iot_ingest.ports import Command, NotServedHere
from tests.unit.iot_ingest.fakes import MN, PW, Rig, upload

pytestmark = pytest.mark.unit


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(scenario())


def test_protocol_ack_written_only_after_sink_confirms() -> None:
    async def scenario() -> None:
        rig = Rig()
        rig.sink.gate.clear()
        rig.proto.data_received(upload())
        await asyncio.sleep(0.01)
        assert rig.transport.buffer == b""  # durable hand-off pending: nothing written
        rig.sink.gate.set()
        await rig.settle()
        [reply] = rig.transport.frames()
        assert reply.cn == "9014" and reply.qn == "20261128180000000"
        assert rig.metrics.get("acks") == 1 and rig.metrics.ack_latency.total == 1

    run(scenario)


def test_protocol_replies_of_one_batch_leave_in_one_write_in_order() -> None:
    async def scenario() -> None:
        rig = Rig()
        rig.proto.data_received(upload(qn="20261128180000000"))
        await rig.settle()
        rig.transport.frames()
        writes = rig.transport.writes
        # When 10 frames arrive in one read and are made durable in one batch
        rig.proto.data_received(b"".join(upload(qn=f"20261128180001{i:03d}") for i in range(10)))
        await rig.settle()
        # Then their 10 acks go out in one write, in frame order
        assert rig.transport.writes == writes + 1
        assert [f.qn for f in rig.transport.frames()] == [f"20261128180001{i:03d}" for i in range(10)]

    run(scenario)


def test_protocol_idle_timeout_closes_after_configured_multiple() -> None:
    async def scenario() -> None:
        rig = Rig(expected_interval=60.0, idle_intervals=3.0)
        rig.loop.now += 179.0
        rig.proto.check(rig.loop.now)
        assert not rig.transport.closed
        rig.loop.now += 2.0
        rig.proto.check(rig.loop.now)
        assert rig.transport.closed and rig.metrics.get("disconnects", "idle_timeout") == 1

    run(scenario)


def test_protocol_data_resets_idle_timer() -> None:
    async def scenario() -> None:
        rig = Rig(expected_interval=10.0, idle_intervals=1.0)
        rig.loop.now += 9.0
        rig.proto.data_received(upload())
        rig.loop.now += 9.0
        rig.proto.check(rig.loop.now)
        assert not rig.transport.closed

    run(scenario)


def test_protocol_incomplete_frame_past_slow_sender_timeout_closes() -> None:
    async def scenario() -> None:
        rig = Rig(slow_sender_timeout=30.0)
        rig.proto.data_received(upload()[:30])
        rig.loop.now += 29.0
        rig.proto.data_received(upload()[30:40])  # trickling bytes do not restart the clock
        rig.loop.now += 2.0
        rig.proto.check(rig.loop.now)
        assert rig.transport.closed and rig.metrics.get("disconnects", "slow_sender") == 1

    run(scenario)


def test_protocol_complete_frames_clear_slow_sender_clock() -> None:
    async def scenario() -> None:
        rig = Rig(slow_sender_timeout=30.0)
        data = upload()
        rig.proto.data_received(data[:30])
        rig.loop.now += 20.0
        rig.proto.data_received(data[30:])
        rig.loop.now += 20.0
        rig.proto.check(rig.loop.now)
        assert not rig.transport.closed

    run(scenario)


def test_protocol_peer_not_reading_replies_is_dropped() -> None:
    async def scenario() -> None:
        rig = Rig(high=300)
        rig.proto.data_received(b"".join(upload(qn=f"20261128180000{i:03d}") for i in range(10)))
        await rig.settle()
        assert rig.transport.closed and rig.metrics.get("disconnects", "slow_reader") == 1

    run(scenario)


def test_protocol_pauses_reading_when_too_many_unacked_then_resumes() -> None:
    async def scenario() -> None:
        rig = Rig(max_unacked=4)
        rig.sink.gate.clear()
        rig.proto.data_received(upload(qn="20261128180000000"))  # first frame: waits for the directory
        await asyncio.sleep(0.01)
        rig.proto.data_received(b"".join(upload(qn=f"20261128180000{i:03d}") for i in range(1, 5)))
        assert not rig.transport.reading
        rig.sink.gate.set()
        await rig.settle()
        assert rig.transport.reading and len(rig.transport.frames()) == 5

    run(scenario)


def test_protocol_time_request_answered_9013_then_1012_with_platform_time() -> None:
    async def scenario() -> None:
        rig = Rig()
        rig.proto.data_received(upload(cn="1013", qn="20261128180000000"))
        await rig.settle()
        first, second = rig.transport.frames()
        assert first.cn == "9013" and first.qn == "20261128180000000"
        # 1012 设置现场机时间 with platform time in terminal wall-clock (UTC+8), as a request (A=1)
        assert second.cn == "1012" and second.cp.scalars["SystemTime"] == "20261128180000"
        assert second.ack_requested and second.mn == MN and second.pw == PW

    run(scenario)


def test_protocol_clock_skew_event_and_correction_after_three_frames() -> None:
    async def scenario() -> None:
        rig = Rig(clock_skew_bound=60.0)
        # The terminal's clock is 10 minutes behind (QN 17:50 while the platform says 18:00)
        for i in range(3):
            rig.proto.data_received(upload(qn=f"20261128175000{i:03d}", i=i))
            await rig.settle()
        frames = rig.transport.frames()
        assert sorted(f.cn for f in frames) == ["1012", "9014", "9014", "9014"]
        [event] = rig.events.of_type("clock_skew")
        assert event.detail["skew_seconds"] == pytest.approx(-600.0, abs=0.01)

    run(scenario)


def test_protocol_clock_skew_without_correction_raises_event_only() -> None:
    async def scenario() -> None:
        rig = Rig(clock_skew_bound=60.0, clock_correction=False)
        for i in range(3):
            rig.proto.data_received(upload(qn=f"20261128181000{i:03d}", i=i))
            await rig.settle()
        assert [f.cn for f in rig.transport.frames()] == ["9014"] * 3
        assert len(rig.events.of_type("clock_skew")) == 1

    run(scenario)


def test_protocol_single_backfilled_frame_does_not_trigger_skew() -> None:
    async def scenario() -> None:
        rig = Rig(clock_skew_bound=60.0)
        rig.proto.data_received(upload(qn="20261127000000000"))
        rig.proto.data_received(upload(qn="20261128180000001"))
        await rig.settle()
        assert rig.events.of_type("clock_skew") == []

    run(scenario)


def test_protocol_offer_command_writes_request_in_session_dialect() -> None:
    async def scenario() -> None:
        rig = Rig()
        rig.proto.data_received(upload(qn="20261128180000000"))
        await rig.settle()
        rig.transport.frames()
        rig.proto.offer(Command("c1", MN, "1062", {"RtdInterval": "30"}))
        await asyncio.sleep(0)
        [request] = rig.transport.frames()
        assert request.cn == "1062" and request.st == "32" and request.version is hj212.Version.V2017
        assert request.ack_requested and request.cp.scalars["RtdInterval"] == "30"

    run(scenario)


def test_protocol_frame_without_mn_rejected_and_charged_as_garbage() -> None:
    async def scenario() -> None:
        rig = Rig()
        rig.proto.data_received(hj212.build_frame(st="32", cn="2011", mn=None, pw=PW, qn="20261128180000000", ack=True))
        await rig.settle()
        assert rig.transport.buffer == b"" and rig.sink.records == []
        assert rig.metrics.get("errors", "no_mn") == 1 and rig.metrics.get("garbage_bytes") > 0

    run(scenario)


def test_protocol_directory_failure_drops_unacked() -> None:
    async def scenario() -> None:
        rig = Rig()

        async def broken(mn: str, pw: str | None) -> object:
            raise OSError("registry down")

        rig.state.directory.check = broken  # type: ignore[method-assign]
        rig.proto.data_received(upload())
        await rig.settle()
        assert rig.transport.buffer == b"" and rig.metrics.get("errors", "directory_failed") == 1
        assert not rig.transport.closed

    run(scenario)


def test_protocol_terminal_served_elsewhere_is_neither_acked_nor_archived_and_its_connection_closed() -> None:
    async def scenario() -> None:
        rig = Rig()
        asked: list[str] = []

        async def elsewhere(mn: str, pw: str | None) -> object:
            asked.append(mn)
            raise NotServedHere(f"{mn} is a terminal of county haian")

        rig.state.directory.check = elsewhere  # type: ignore[method-assign]
        # When a terminal of another host's county sends three frames in one read
        rig.proto.data_received(b"".join(upload(qn=f"20261128180000{i:03d}") for i in range(3)))
        await rig.settle()
        # Then none is acknowledged or handed to the sink, no session or unregistered event, and the link is closed
        assert rig.transport.buffer == b"" and rig.sink.records == [] and rig.transport.closed
        assert rig.metrics.get("frames_not_served") == 3 and rig.metrics.get("disconnects", "not_served") == 1
        assert rig.metrics.get("unregistered_kept") == 0 and rig.state.sessions == {}
        assert [e.type for e in rig.events.events] == [] and asked == [MN]

    run(scenario)


def test_protocol_relayed_instrument_served_elsewhere_drops_only_its_frames() -> None:
    async def scenario() -> None:
        rig = Rig()
        check = rig.state.directory.check

        async def elsewhere_for_others(mn: str, pw: str | None) -> object:
            if mn != MN:
                raise NotServedHere(f"{mn} is a terminal of county haian")
            return await check(mn, pw)

        rig.state.directory.check = elsewhere_for_others  # type: ignore[method-assign]
        other = hj212.build_frame(st="32", cn="2011", mn="MN0002", pw=PW, qn="20261128180002000", ack=True)
        # When a logger's own frame, a relayed instrument's of another county and its own again arrive
        rig.proto.data_received(upload(qn="20261128180001000") + other + upload(qn="20261128180001001"))
        await rig.settle()
        # Then the logger's two are archived and acknowledged, the relayed one neither, and the link stays open
        assert [f.qn for f in rig.transport.frames()] == ["20261128180001000", "20261128180001001"]
        assert [r["mn"] for r in rig.sink.records] == [MN, MN] and not rig.transport.closed
        assert rig.metrics.get("frames_not_served") == 1

    run(scenario)


def test_protocol_slow_directory_times_out_and_pauses_reading_meanwhile() -> None:
    async def scenario() -> None:
        rig = Rig(directory_timeout=0.05, max_unacked=3)
        gate = asyncio.Event()

        async def slow(mn: str, pw: str | None) -> object:
            await gate.wait()
            raise AssertionError("unreachable")

        rig.state.directory.check = slow  # type: ignore[method-assign]
        rig.proto.data_received(b"".join(upload(qn=f"20261128180000{i:03d}") for i in range(3)))
        assert not rig.transport.reading  # frames queued behind the lookup: reading paused
        for _ in range(200):  # wait (bounded) for the time-out to fire, however loaded the machine is
            if rig.metrics.get("errors", "directory_failed"):
                break
            await asyncio.sleep(0.01)
        assert rig.metrics.get("errors", "directory_failed") == 3 and rig.transport.buffer == b""
        assert rig.transport.reading and not rig.transport.closed

    run(scenario)


def test_protocol_too_many_identities_on_one_connection_closes_it() -> None:
    async def scenario() -> None:
        rig = Rig()
        for i in range(17):
            frame = hj212.build_frame(st="32", cn="2011", mn=f"MN{i:04d}", pw=PW, qn="20261128180000000", ack=True)
            rig.proto.data_received(frame)
            await rig.settle()
        assert rig.transport.closed and rig.metrics.get("disconnects", "too_many_identities") == 1
        assert len(rig.sink.records) == 16

    run(scenario)


def test_protocol_frames_made_durable_do_not_resume_reading_held_by_a_slow_directory() -> None:
    async def scenario() -> None:
        rig = Rig(max_unacked=3)
        rig.proto.data_received(upload(qn="20261128180000000"))
        await rig.settle()
        rig.transport.frames()
        gate = asyncio.Event()
        check = rig.state.directory.check

        async def slow_for_others(mn: str, pw: str | None) -> object:
            if mn != MN:
                await gate.wait()
            return await check(mn, pw)

        rig.state.directory.check = slow_for_others  # type: ignore[method-assign]
        rig.sink.gate.clear()
        # Given 3 frames waiting for the sink and 3 frames of a relayed instrument waiting for the directory
        other = [hj212.build_frame(st="32", cn="2011", mn="MN0002", pw=PW, qn=f"20261128180002{i:03d}", ack=True)
                 for i in range(3)]  # fmt: skip
        rig.proto.data_received(b"".join([*(upload(qn=f"20261128180001{i:03d}") for i in range(3)), *other]))
        assert not rig.transport.reading
        # When the sink confirms the first 3
        rig.sink.gate.set()
        for _ in range(200):  # bounded wait for the hand-off, however loaded the machine is
            if len(rig.sink.records) == 4:
                break
            await asyncio.sleep(0.01)
        assert len(rig.sink.records) == 4 and rig.metrics.get("acks") == 4
        await asyncio.sleep(0.02)
        # Then reading stays paused: the directory still holds 3 frames
        assert not rig.transport.reading
        gate.set()
        await rig.settle()
        assert rig.transport.reading and len(rig.sink.records) == 7

    run(scenario)


def test_protocol_auth_throttle_lifted_keeps_reading_paused_while_frames_await_the_sink() -> None:
    async def scenario() -> None:
        rig = Rig(max_unacked=4, auth_failed_burst=1, auth_failed_rate=1.0)
        rig.proto.data_received(upload(qn="20261128180000000"))
        rig.proto.data_received(upload(pw="000000", qn="20261128180001000"))  # spends the one token
        await rig.settle()
        rig.sink.gate.clear()
        # Given a throttled wrong password ...
        rig.proto.data_received(upload(pw="000000", qn="20261128180001001"))
        assert rig.metrics.get("errors", "auth_failed_throttled") == 1 and not rig.transport.reading
        # ... and as many frames awaiting the sink as max_unacked allows
        rig.proto.data_received(b"".join(upload(qn=f"20261128180002{i:03d}") for i in range(4)))
        # When the throttle's token is back
        [(delay, unthrottle)] = rig.loop.later
        assert delay == pytest.approx(1.0)
        unthrottle()
        # Then reading stays paused until the sink confirms
        assert not rig.transport.reading
        rig.sink.gate.set()
        await rig.settle()
        assert rig.transport.reading

    run(scenario)


def test_protocol_drain_keeps_reading_stopped_when_the_auth_throttle_lifts() -> None:
    async def scenario() -> None:
        rig = Rig(auth_failed_burst=1, auth_failed_rate=1.0)
        rig.proto.data_received(upload(qn="20261128180000000"))
        rig.proto.data_received(upload(pw="000000", qn="20261128180001000"))  # spends the one token
        await rig.settle()
        rig.proto.data_received(upload(pw="000000", qn="20261128180001001"))
        assert rig.metrics.get("errors", "auth_failed_throttled") == 1
        # Given a throttled connection when the listener starts draining
        rig.state.draining = True
        rig.proto.stop_reading()
        # When the throttle's token is back
        [(_, unthrottle)] = rig.loop.later
        unthrottle()
        # Then reading stays stopped: bytes read now would not be taken on
        assert not rig.transport.reading
        rig.proto.finish()
        assert rig.transport.eof_written and rig.transport.reading  # read out: closing then sends FIN, not RST

    run(scenario)


def test_protocol_backfill_with_original_qns_sets_no_clock() -> None:
    async def scenario() -> None:
        rig = Rig(clock_skew_bound=60.0)
        # Five records buffered through an outage an hour ago, one a minute, sent back to back with their QNs
        for i in range(5):
            rig.proto.data_received(upload(qn=f"2026112817{i:02d}00000", i=i))
            await rig.settle()
        assert [f.cn for f in rig.transport.frames()] == ["9014"] * 5
        assert rig.events.of_type("clock_skew") == []

    run(scenario)
