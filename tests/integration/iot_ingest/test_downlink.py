"""Downlink commands over real sockets with a scripted terminal: 9011 → data → 9012, retries, offline, leases."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest

import hj212
from iot_ingest.memory import MemoryDirectory, MemoryLeases, TerminalEntry
from iot_ingest.ports import Command, CommandStatus
from tests.integration.iot_ingest.harness import MN, PW, frame, running, until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]
FAST = {"command_poll_interval": 0.05, "command_over_time": 0.3, "command_re_count": 2}


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(scenario())


def test_downlink_round_trip_history_pull() -> None:
    async def scenario() -> None:
        async with running(**FAST) as h:
            t = await h.connect()
            await t.send(frame(i=0))
            assert (await t.recv()).cn == "9014"  # type: ignore[union-attr]
            # Given the API queued a minute-history pull for this terminal
            h.commands.submit(
                Command("pull-1", MN, "2051", {"BeginTime": "20261128000000", "EndTime": "20261128000200"})
            )
            # When the scripted terminal answers 9011, two data frames and 9012
            request = await t.recv()
            assert request is not None and request.cn == "2051" and request.cp.scalars["BeginTime"] == "20261128000000"
            await t.send(hj212.request_reply(request, 1))
            for minute in (0, 1):
                cp = {"DataTime": f"2026112800{minute:02d}00", "Ia": {"Avg": "1.5"}}
                await t.send(hj212.build_frame(st="32", cn="2051", mn=MN, pw=PW, qn=request.qn, ack=True, cp=cp))
                assert (await t.recv()).cn == "9014"  # type: ignore[union-attr]
            await t.send(hj212.execution_result(request, 1))
            # Then the command store sees sent → accepted → succeeded, with the returned data
            assert await until(lambda: h.commands.state("pull-1").status is CommandStatus.SUCCEEDED)
            state = h.commands.state("pull-1")
            assert state.history == [CommandStatus.SENT, CommandStatus.ACCEPTED, CommandStatus.SUCCEEDED]
            assert state.result["frames"] == 2 and state.qn == request.qn
            # and the data frames themselves were archived like any upload
            assert [r["cn"] for r in h.sink.records].count("2051") == 2
            assert h.server.metrics.get("errors", "command_update_failed") == 0  # every step was a valid transition
            await t.close()

    run(scenario)


def test_downlink_no_answer_resent_then_timed_out() -> None:
    async def scenario() -> None:
        async with running(**FAST) as h:
            t = await h.connect()
            await t.send(frame(i=0))
            await t.recv()
            h.commands.submit(Command("rtd", MN, "1062", {"RtdInterval": "30"}))
            # The terminal stays silent: the request comes 1 + ReCount times with the same QN
            requests = await t.recv_n(3, timeout=2.0)
            assert [r.cn for r in requests] == ["1062"] * 3 and len({r.qn for r in requests}) == 1
            assert await until(lambda: h.commands.state("rtd").status is CommandStatus.TIMED_OUT)
            assert h.commands.state("rtd").attempts == 3
            await t.close()

    run(scenario)


def test_downlink_retry_answered_on_second_send_succeeds() -> None:
    async def scenario() -> None:
        async with running(**{**FAST, "command_over_time": 1.0}) as h:
            t = await h.connect()
            await t.send(frame(i=0))
            await t.recv()
            h.commands.submit(Command("pw", MN, "1072", {"NewPW": "654321"}))
            first = await t.recv()
            second = await t.recv()  # the first answer was "lost": resent after OverTime
            assert first is not None and second is not None and first.qn == second.qn
            await t.send(hj212.request_reply(second, 1) + hj212.execution_result(second, 1))
            assert await until(lambda: h.commands.state("pw").status is CommandStatus.SUCCEEDED)
            assert h.commands.state("pw").attempts == 2
            assert h.server.metrics.get("errors", "command_update_failed") == 0
            await t.close()

    run(scenario)


def test_downlink_refused_by_terminal_rejected_with_qnrtn() -> None:
    async def scenario() -> None:
        async with running(**FAST) as h:
            t = await h.connect()
            await t.send(frame(i=0))
            await t.recv()
            h.commands.submit(Command("bad", MN, "1072", {"NewPW": "x"}))
            request = await t.recv()
            assert request is not None
            await t.send(hj212.request_reply(request, 3))
            assert await until(lambda: h.commands.state("bad").status is CommandStatus.REJECTED)
            assert h.commands.state("bad").detail == "QnRtn=3"
            await t.close()

    run(scenario)


def test_downlink_offline_terminal_gets_command_on_connect_or_it_expires() -> None:
    async def scenario() -> None:
        async with running(**FAST) as h:
            now = datetime.now(UTC)
            h.commands.submit(Command("later", MN, "1012"))
            h.commands.submit(Command("stale", "OFFLINE", "1012", expires_at=now + timedelta(seconds=0.2)))
            await asyncio.sleep(0.3)
            assert h.commands.state("later").status is CommandStatus.PENDING  # waits: terminal offline
            assert await until(lambda: h.commands.state("stale").status is CommandStatus.EXPIRED)
            t = await h.connect()
            await t.send(frame(i=0))
            got = await t.recv_n(2)
            assert sorted(f.cn for f in got) == ["1012", "9014"]
            await t.close()

    run(scenario)


def test_downlink_disconnect_mid_command_returns_it_to_pending_for_next_session() -> None:
    async def scenario() -> None:
        async with running(**{**FAST, "command_over_time": 5.0}) as h:
            t = await h.connect()
            await t.send(frame(i=0))
            await t.recv()
            h.commands.submit(Command("c", MN, "1011"))
            assert (await t.recv()).cn == "1011"  # type: ignore[union-attr]
            await t.close()
            assert await until(lambda: h.commands.state("c").status is CommandStatus.PENDING)
            t2 = await h.connect()
            await t2.send(frame(i=1))
            assert sorted(f.cn for f in await t2.recv_n(2)) == ["1011", "9014"]
            assert await until(lambda: h.commands.state("c").status is CommandStatus.SENT)
            assert h.commands.state("c").history == [CommandStatus.SENT, CommandStatus.PENDING, CommandStatus.SENT]
            assert h.server.metrics.get("errors", "command_update_failed") == 0
            await t2.close()

    run(scenario)


def test_two_listeners_reconnect_elsewhere_old_session_closed_by_lease() -> None:
    async def scenario() -> None:
        leases = MemoryLeases()
        directory = MemoryDirectory({MN: TerminalEntry(PW)})
        async with running(listener_id="task-a", lease_seconds=1.0) as a, running(listener_id="task-b") as b:
            for h in (a, b):
                h.server.downlink.leases = leases
                h.server.state.directory = directory
            ta = await a.connect()
            await ta.send(frame(i=0))
            await ta.recv()
            assert await until(lambda: leases.leases.get(MN, ("",))[0] == "task-a")
            # The terminal's old connection is half-open; it reconnects through the NLB to task B
            tb = await b.connect()
            await tb.send(frame(i=1))
            await tb.recv()
            assert await until(lambda: leases.leases[MN][0] == "task-b")
            # Task A learns at its next renewal and closes its stale session; commands now route to B
            assert await ta.closed_by_peer(3.0)
            assert a.server.metrics.get("disconnects", "lease_lost") == 1
            b.commands.submit(Command("x", MN, "1012"))
            await b.server.downlink.poll_once()
            assert (await tb.recv()).cn == "1012"  # type: ignore[union-attr]
            await tb.close()

    run(scenario)


def test_downlink_command_store_failures_do_not_stop_the_listener() -> None:
    async def scenario() -> None:
        async with running(**FAST) as h:

            async def broken(*args: object) -> None:
                raise OSError("command store down")

            h.commands.update = broken  # type: ignore[assignment,method-assign]
            h.commands.expire = broken  # type: ignore[assignment,method-assign]
            t = await h.connect()
            await t.send(frame(i=0))
            await t.recv()
            h.commands.submit(Command("c", MN, "1012"))
            assert await until(lambda: h.server.metrics.get("errors", "command_update_failed") >= 1)
            assert h.server.metrics.get("errors", "command_expire_failed") >= 1
            # Frames still flow and are acknowledged
            await t.send(frame(i=1))
            got = [f.cn for f in await t.recv_n(3, timeout=1.0)]
            assert "9014" in got
            await t.close()

    run(scenario)
