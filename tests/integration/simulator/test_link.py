"""Terminals over real loopback sockets against a scripted platform: acks, resends, outage backfill,
downlink commands, power loss on backup power, three platforms."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import socket
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest

import hj212
from hj212 import commands as cmd
from simulator.clock import SimClock
from simulator.link import Link
from simulator.model import SiteModel
from simulator.profile import load_profile
from simulator.runner import drive
from simulator.scenario import parse_scenario
from simulator.spec import EnterpriseSpec, PointSpec, TerminalSpec
from simulator.terminal import Terminal, TerminalSettings
from tests.integration.simulator.scripted_platform import ScriptedPlatform

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]
START = datetime(2026, 11, 30, 8, 0, 0)
MN, PW = "010000A80000000100000001", "123456"


def _enterprise() -> EnterpriseSpec:
    points = (
        PointSpec("E1-M1", "ZJX01", "总进线", "main", 300.0, 0.9, 0.5, 0.0),
        PointSpec("E1-P1", "MF0001", "中频电炉", "production", 120.0, 0.85, 0.8, 5.0),
        PointSpec("E1-C1", "TA001", "布袋除尘风机", "control", 30.0, 0.85, 0.8, 1.0, ("E1-P1",)),
    )
    return EnterpriseSpec(
        "E1",
        1,
        "测试企业",
        "长江镇",
        "大气管控企业",
        "执法一局",
        "metal",
        "day",
        "x",
        32.1,
        120.5,
        points,
        (TerminalSpec(MN, PW, ((1, "E1-M1"),)),),
    )


@dataclass
class Rig:
    term: Terminal
    links: list[Link]
    clock: SimClock
    stop: asyncio.Event


@contextlib.asynccontextmanager
async def running(
    ports: list[int],
    *effects: dict[str, Any],
    accel: float = 60.0,
    time_request: bool = False,
    realtime: bool = True,
    **settings: Any,
) -> AsyncIterator[Rig]:
    """One terminal on the main incoming, linked to each port, sampling on an accelerated clock from START.

    The first sample is pinned to START: left to itself, the driver starts on the next grid instant after
    its task first runs, and on a loaded machine that is a sample or more (17 ms of wall time at accel 60)
    after START. OverTime is the 4G default (10 s) unless a test is about timeouts: a shorter one lets a
    stalled process resend, and resends are what several tests assert never happen.
    """
    ent = _enterprise()
    sc = parse_scenario({"name": "t", "title_zh": "t", "description": "t", "effects": list(effects)})
    clock = SimClock(START, accel)
    base = {"overtime_s": 10.0, "recount": 3, "sample_s": 10}
    term = Terminal(
        ent.terminals[0], ent, SiteModel(ent, sc, START, 1), load_profile(), TerminalSettings(**{**base, **settings})
    )
    links = [
        Link(term, clock, "127.0.0.1", p, index=i, reconnect_s=0.2, time_request=time_request, realtime=realtime)
        for i, p in enumerate(ports, 1)
    ]
    stop = asyncio.Event()
    tasks = [asyncio.create_task(drive(term, clock, stop, first=START))]
    tasks += [asyncio.create_task(link.run(stop)) for link in links]
    try:
        yield Rig(term, links, clock, stop)
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _platforms(*policies: Callable[[hj212.Frame], bool]) -> list[ScriptedPlatform]:
    out = []
    for policy in policies:
        p = ScriptedPlatform(policy)
        await p.start()
        out.append(p)
    return out


def aio(fn: Callable[[], Coroutine[Any, Any, None]]) -> Callable[[], None]:
    """Run an async test body on a fresh event loop (no asyncio plugin is installed)."""

    @functools.wraps(fn)
    def wrapper() -> None:
        asyncio.run(fn())

    return wrapper


def _dt(f: hj212.Frame) -> str:
    return f.cp.scalars.get("DataTime", "")


def _series(frames: list[hj212.Frame]) -> list[str]:
    """The DataTimes of a stream of uploads, checked to be strictly in order (a resend repeats only the last)."""
    keys = [k for k, _ in itertools.groupby((_dt(f), f.pno or 0) for f in frames)]
    assert keys == sorted(set(keys)), keys
    return list(dict.fromkeys(dt for dt, _ in keys))


def _grid(n: int, period_s: int) -> list[str]:
    return [f"{START + timedelta(seconds=period_s * k):%Y%m%d%H%M%S}" for k in range(n)]


@aio
async def test_unacknowledged_packet_is_resent_recount_times_then_the_link_is_reopened() -> None:
    # Given a platform that never acknowledges, OverTime 0.3 s and ReCount 2
    (plat,) = await _platforms(lambda f: False)
    async with running([plat.port], accel=1.0, overtime_s=0.3, recount=2) as rig:
        # When the terminal sends its first upload
        await plat.wait_for(lambda: plat.connections >= 2 and len(plat.frames) >= 4)
        # Then the first connection saw the packet 1 + 2 times with the same QN, and the reopened one starts with it
        first_conn = [f for c, f in plat.arrivals if c == 1]
        assert len(first_conn) == 3 and len({f.qn for f in first_conn}) == 1 and first_conn[0].ack_requested
        assert next(f for c, f in plat.arrivals if c == 2).qn == first_conn[0].qn
        assert rig.links[0].counters.ack_timeouts >= 1 and rig.links[0].counters.resends >= 2
        assert rig.links[0].counters.acked == 0
    await plat.stop()


@aio
async def test_acknowledged_packets_are_sent_once_and_counted() -> None:
    (plat,) = await _platforms(lambda f: True)
    async with running([plat.port]) as rig:
        await plat.wait_for(lambda: len(plat.uploads("2051")) >= 3)
    await plat.stop()
    data = [f for f in plat.frames if f.ack_requested]
    assert len({f.qn for f in data}) == len(data)  # nothing resent
    assert plat.acks_sent - 1 <= rig.links[0].counters.acked <= plat.acks_sent
    minute = plat.uploads("2051")[0]
    assert minute.st == "31" and minute.pw == PW and minute.mn == MN and minute.version is hj212.Version.V2017
    assert minute.pnum is not None and minute.pno == 1 and minute.flag == 7  # 2017, split, ack requested


@aio
async def test_outage_buffers_and_backfills_in_order_acknowledged_one_by_one() -> None:
    # Given a network outage from minute 2 to 6 (accel 120: one simulated minute = 0.5 s), slow acks
    plat = ScriptedPlatform(ack_delay=0.005)
    await plat.start()
    async with running([plat.port], {"type": "network_outage", "from_min": 2, "to_min": 6}, accel=120):
        await plat.wait_for(lambda: "20261130080800" in {_dt(f) for f in plat.uploads("2051")}, timeout=20)
    await plat.stop()
    # Then the link dropped and came back
    assert plat.connections >= 2
    # And the real-time records measured during the outage waited in the buffer and left on a later connection
    # (they exist only once the clock is past their time, when the link no longer sends on the first one)
    conn_of = {id(f): c for c, f in plat.arrivals}
    during = [f for f in plat.uploads("2011") if "20261130080200" <= _dt(f) < "20261130080600"]
    assert len({_dt(f) for f in during}) == 8 and all(conn_of[id(f)] >= 2 for f in during)
    # with the QN stamped when they were buffered, not when they finally left (store-and-forward, 二.2)
    assert all(f.qn is not None and f.qn[:12] == _dt(f)[:12] for f in during), [(f.qn, _dt(f)) for f in during]
    # And every minute arrived once, in order, with no packet sent before the previous one was acknowledged
    minutes = [(_dt(f), f.pno) for f in plat.uploads("2051")]
    assert minutes == sorted(minutes) and len(set(minutes)) == len(minutes)
    assert _series(plat.uploads("2051"))[:9] == _grid(9, 60)
    realtime = _series(plat.uploads("2011"))
    assert len(realtime) >= 17 and realtime == _grid(len(realtime), 30)
    assert plat.overlaps == 0


@aio
async def test_downlink_commands_are_answered_with_9011_data_and_9012() -> None:
    # Given a connected terminal with a few minutes of history
    (plat,) = await _platforms(lambda f: True)
    async with running([plat.port]) as rig:
        await plat.wait_for(lambda: len(plat.uploads("2051")) >= 4)
        qn = hj212.QnGenerator()
        now = datetime(2026, 11, 30, 9, 0, 0)
        q = [qn.next(now) for _ in range(6)]
        # When the platform sends: get time, a refused interval, a wrong password, a history pull, GPS info
        plat.send(cmd.get_field_time(mn=MN, pw=PW, qn=q[0], st="31"))
        plat.send(hj212.build_frame(st="31", cn="1062", mn=MN, pw=PW, qn=q[1], ack=True, cp={"RtdInterval": "5"}))
        plat.send(cmd.set_timeout_retry(5, 3, mn=MN, pw="000000", qn=q[2], st="31"))
        plat.send(cmd.get_minute_data(START, START + timedelta(minutes=1), mn=MN, pw=PW, qn=q[3], st="31"))
        plat.send(cmd.get_field_info("CH01", "GPS", mn=MN, pw=PW, qn=q[4], st="31"))
        plat.send(cmd.set_field_params("CH01", {"UHigh": "260"}, mn=MN, pw=PW, qn=q[5], st="31"))

        def by_qn(x: str) -> list[tuple[str | None, str]]:
            return [(f.cn, f.segment.split("CP=&&")[1].rstrip("&")) for f in plat.frames if f.qn == x]

        await plat.wait_for(lambda: ("9012", "ExeRtn=1") in by_qn(q[3]) and len(by_qn(q[5])) >= 2)
        assert (
            by_qn(q[0])[0] == ("9011", "QnRtn=1")
            and by_qn(q[0])[1][0] == "1011"
            and by_qn(q[0])[2] == ("9012", "ExeRtn=1")
        )
        assert by_qn(q[1]) == [("9011", "QnRtn=2")]
        assert by_qn(q[2]) == [("9011", "QnRtn=3")]
        assert by_qn(q[4])[1] == (
            "3020",
            "DataTime=" + by_qn(q[4])[1][1][9:23] + ";InfoId=GPS;GPS-Lng=120.500000,GPS-Lat=32.100000",
        )
        assert by_qn(q[5]) == [("9011", "QnRtn=1"), ("9012", "ExeRtn=1")] and rig.term.settings.u_high == 260.0
    await plat.stop()
    # And between the 9011 and the 9012 of the pull only the pulled minutes went out (a buffered packet already
    # in flight may only be resent), in order, each asking for an ack, never two packets in flight at once
    replies = [f for f in plat.frames if f.qn == q[3]]
    assert replies[0].cn == "9011" and replies[0].st == "91" and replies[0].flag == 4
    i0 = plat.frames.index(replies[0])
    i1 = plat.frames.index(replies[-1])
    pulled = [f for f in plat.frames[i0 + 1 : i1] if f.qn not in {u.qn for u in plat.frames[:i0]}]
    assert {f.cn for f in pulled} == {"2051"} and all(f.ack_requested for f in pulled)
    assert _series(pulled) == _grid(2, 60) and plat.overlaps == 0


@aio
async def test_power_loss_is_reported_on_backup_power_then_restore_and_restart() -> None:
    # Given the main incoming (which feeds the terminal) losing supply from minute 2 to 4
    (plat,) = await _platforms(lambda f: True)
    async with running(
        [plat.port], {"type": "power_loss", "role": "main", "from_min": 2, "to_min": 4}, accel=120, boot_s=10
    ):
        await plat.wait_for(lambda: len(plat.uploads("2081")) >= 1)
        await plat.wait_for(lambda: any(_dt(f) >= "20261130080430" for f in plat.uploads("2011")))
    await plat.stop()
    soe = [f for f in plat.uploads("3020")]
    kinds = [f.cp.items["SOE1"]["EventType"] for f in soe]
    assert kinds[:2] == ["power_loss", "power_restore"]
    assert soe[0].cp.items["SOE1"]["EventTime"] == "20261130080200000"
    # The loss report went out on the connection that existed before the loss; data resumed on a new one
    conn_of = {id(f): c for c, f in plat.arrivals}
    assert conn_of[id(soe[0])] == 1 and conn_of[id(plat.uploads("2081")[0])] >= 2
    assert plat.uploads("2081")[0].cp.scalars["RestartTime"] == "20261130080410"


@aio
async def test_three_platforms_are_independent() -> None:
    # Given platform 1 acking, platform 2 never acking, and platform 3 not listening yet
    p1, p2 = await _platforms(lambda f: True, lambda f: False)
    # A bound socket that does not listen holds port 3 (connects are refused) so no other process on the
    # machine takes it before platform 3 binds it too (both with SO_REUSEADDR).
    with socket.socket() as hold:
        hold.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        hold.bind(("127.0.0.1", 0))
        port3 = hold.getsockname()[1]
        p3 = ScriptedPlatform()
        async with running([p1.port, p2.port, port3], overtime_s=0.3, recount=1) as rig:
            await p1.wait_for(lambda: len({_dt(f) for f in p1.uploads("2051")}) >= 3)
            # Then platform 1 gets the data while platform 2 sees resends of one packet and platform 3 nothing
            assert len({f.qn for f in p2.frames if f.ack_requested}) == 1
            assert rig.links[2].counters.connect_failures > 0
            # When platform 3 comes up, it receives the backlog from the first minute on
            await p3.start(port3)
            hold.close()
            await p3.wait_for(lambda: len({_dt(f) for f in p3.uploads("2051")}) >= 3)
    for p in (p1, p2, p3):
        await p.stop()
    # Then platforms 1 and 3 each have every minute and real-time record from the first one on, in order, no gap
    for p in (p1, p3):
        minutes, realtime = _series(p.uploads("2051")), _series(p.uploads("2011"))
        assert len(minutes) >= 3 and minutes == _grid(len(minutes), 60)
        assert len(realtime) >= 6 and realtime == _grid(len(realtime), 30)


@aio
async def test_time_calibration_request_then_platform_sets_the_clock() -> None:
    # Given a terminal whose clock runs 10 min/h fast and which asks for calibration on connect
    plat = ScriptedPlatform()

    def on_frame(f: hj212.Frame) -> None:
        if f.cn == "1013":
            plat.send(
                cmd.set_field_time(datetime(2026, 11, 30, 8, 0, 0), mn=MN, pw=PW, qn="20261130080000001", st="31")
            )

    plat.on_frame = on_frame
    await plat.start()
    async with running(
        [plat.port], {"type": "clock_drift", "s_per_hour": 36000, "accept_time_set": True}, accel=1.0, time_request=True
    ):
        await plat.wait_for(lambda: any(f.qn == "20261130080000001" and f.cn == "9012" for f in plat.frames))
    await plat.stop()
    assert plat.frames[0].cn == "1013" and plat.frames[0].ack_requested
    answers = [(f.cn, f.segment.split("CP=&&")[1]) for f in plat.frames if f.qn == "20261130080000001"]
    assert answers == [("9011", "QnRtn=1&&"), ("9012", "ExeRtn=1&&")]
    soe = [f for f in plat.uploads("3020") if f.cp.items["SOE1"]["EventType"] == "param_change"]
    assert soe and soe[0].cp.items["SOE1"]["Code"] == "SystemTime"


@pytest.mark.slow
@pytest.mark.solo
@aio
async def test_backlog_of_more_than_4000_packets_is_backfilled_in_order() -> None:
    # Given ten hours of data buffered while the platform was unreachable (stepped at once, no wall time)
    (plat,) = await _platforms(lambda f: True)
    ent = _enterprise()
    sc = parse_scenario({"name": "t", "title_zh": "t", "description": "t", "effects": []})
    settings = TerminalSettings(sample_s=30, rtd_interval_s=30, hour_data=False, day_data=False)
    term = Terminal(ent.terminals[0], ent, SiteModel(ent, sc, START, 1), load_profile(), settings)
    clock = SimClock(START + timedelta(hours=10), 1.0)
    link = Link(term, clock, "127.0.0.1", plat.port)
    for k in range(10 * 120):
        term.step(START + timedelta(seconds=30 * k))
    backlog = len(link.outbox)
    assert backlog >= 4000 and link.outbox.dropped == 0
    # When the link comes up
    stop = asyncio.Event()
    task = asyncio.create_task(link.run(stop))
    await plat.wait_for(lambda: link.counters.acked >= backlog, timeout=45)
    stop.set()
    await task
    await plat.stop()
    # Then every packet arrived exactly once, oldest first
    keys = [(f.cn, _dt(f), f.pno) for f in plat.frames]
    assert len(keys) == len(set(keys)) == backlog
    minutes = [(_dt(f), f.pno or 0) for f in plat.uploads("2051")]
    assert minutes == sorted(minutes) and minutes[0][0] == "20261130080000"


@aio
async def test_garbage_from_the_platform_is_counted_and_the_link_keeps_serving() -> None:
    (plat,) = await _platforms(lambda f: True)
    async with running([plat.port]) as rig:
        await plat.wait_for(lambda: len(plat.frames) >= 1)
        # When the platform sends a corrupt frame, then a valid request
        good = cmd.get_rtd_interval(mn=MN, pw=PW, qn="20261130090000001", st="31")
        plat.send(b"##0010garbage!!FFFF\r\n" + good[:-6] + b"0000\r\n" + good)
        await plat.wait_for(lambda: any(f.qn == "20261130090000001" and f.cn == "9012" for f in plat.frames))
        # Then the bad bytes were counted, not answered, and the valid request was answered
        assert rig.links[0].counters.decode_errors >= 1
        assert [f.cn for f in plat.frames if f.qn == "20261130090000001"] == ["9011", "1061", "9012"]
    await plat.stop()


@aio
async def test_realtime_uploads_start_only_when_the_platform_asks_with_2011() -> None:
    (plat,) = await _platforms(lambda f: True)
    async with running([plat.port], realtime=False):
        await plat.wait_for(lambda: len(plat.uploads("2051")) >= 2)
        assert plat.uploads("2011") == []
        plat.send(cmd.start_realtime_data(mn=MN, pw=PW, qn="20261130090000002", st="31"))
        await plat.wait_for(lambda: len(plat.uploads("2011")) >= 2)
    await plat.stop()
    assert [f.cn for f in plat.frames if f.qn == "20261130090000002"] == ["9011"]
