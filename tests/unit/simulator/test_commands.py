"""Downlink command answers: acceptance, refusals (QnRtn) and failures (ExeRtn), per HJ 212-2017 §6.5."""

from __future__ import annotations

from datetime import timedelta

import pytest

from simulator import commands
from simulator.commands import LinkState, Plan, Request
from simulator.events import Record
from simulator.terminal import Terminal
from tests.unit.simulator.conftest import START, run_for, scenario, terminal

pytestmark = pytest.mark.unit
QN = "20261130083000123"
MN = "010000A80000000100000002"


def _req(cn: str, *, pw: str = "123456", mn: str = MN, st: str = "31", qn: str = QN, **scalars: str) -> Request:
    return Request(qn, st, cn, pw, mn, dict(scalars), {})


def _flow(plan: Plan) -> list[tuple[str, str]]:
    steps = [(s.cn, s.cp) for s in plan.steps]
    return steps + ([("9012", f"ExeRtn={plan.exe_rtn}")] if plan.exe_rtn is not None else [])


def _term(**kw: object) -> Terminal:
    return terminal(scenario(**kw), 2)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("req", "code"),
    [
        (_req("1011", pw="000000"), "3"),
        (_req("1011", mn="X"), "4"),
        (_req("1011", st="22"), "5"),
        (_req("1011", qn="123"), "7"),
        (_req("9999"), "8"),
        (_req("1000", OverTime="0", ReCount="3"), "2"),
        (_req("1062", RtdInterval="10"), "2"),
        (_req("1064", MinInterval="7"), "2"),
        (_req("1072", NewPW="toolong1"), "2"),
        (_req("1012", SystemTime="2026-11-30"), "2"),
        (_req("2051", BeginTime="x", EndTime="y"), "2"),
    ],
)
def test_request_refused_answers_9011_with_the_reason_and_changes_nothing(req: Request, code: str) -> None:
    term = _term()
    before = (term.settings.overtime_s, term.settings.rtd_interval_s, term.password)
    plan = commands.handle(term, LinkState(), req, START)
    assert _flow(plan) == [("9011", f"QnRtn={code}")]
    assert all(s.qn == req.qn and s.st == "91" for s in plan.steps)
    assert (term.settings.overtime_s, term.settings.rtd_interval_s, term.password) == before


def test_set_timeout_applies_and_logs_a_parameter_change_soe() -> None:
    # Given a terminal whose emitted records are captured
    term, seen = _term(), []  # type: ignore[var-annotated]
    term.listeners.append(seen.append)
    # When the platform sets OverTime/ReCount (CN 1000)
    plan = commands.handle(term, LinkState(), _req("1000", OverTime="5", ReCount="2"), START)
    # Then it answers 9011 QnRtn=1 then 9012 ExeRtn=1, applies the values and reports an SOE
    assert _flow(plan) == [("9011", "QnRtn=1"), ("9012", "ExeRtn=1")]
    assert (term.settings.overtime_s, term.settings.recount) == (5.0, 2)
    assert seen[0].cn == "3020" and "EventType=param_change" in seen[0].packets[0]


def test_get_time_uploads_the_terminal_clock_between_9011_and_9012() -> None:
    plan = commands.handle(_term(), LinkState(), _req("1011"), START)
    assert _flow(plan) == [("9011", "QnRtn=1"), ("1011", "SystemTime=20261130080000"), ("9012", "ExeRtn=1")]
    assert plan.steps[1].st == "31" and plan.steps[1].qn == QN


def test_set_time_moves_the_clock() -> None:
    term = _term()
    commands.handle(term, LinkState(), _req("1012", SystemTime="20261130090000"), START)
    assert term.now(START) == START + timedelta(hours=1)


def test_set_time_on_a_tampered_clock_fails_with_exertn_2() -> None:
    term = terminal(scenario({"type": "clock_drift", "s_per_hour": 600, "accept_time_set": False}), 2)
    plan = commands.handle(term, LinkState(), _req("1012", SystemTime="20261130080000"), START + timedelta(hours=1))
    assert _flow(plan) == [("9011", "QnRtn=1"), ("9012", "ExeRtn=2")]


def test_intervals_can_be_read_and_set() -> None:
    term = _term()
    assert _flow(commands.handle(term, LinkState(), _req("1061"), START))[1] == ("1061", "RtdInterval=30")
    commands.handle(term, LinkState(), _req("1062", RtdInterval="60"), START)
    commands.handle(term, LinkState(), _req("1064", MinInterval="5"), START)
    assert _flow(commands.handle(term, LinkState(), _req("1063"), START))[1] == ("1063", "MinInterval=5")
    assert (term.settings.rtd_interval_s, term.aggs["minute"].minutes) == (60, 5)


def test_set_password_takes_effect() -> None:
    term = _term()
    assert _flow(commands.handle(term, LinkState(), _req("1072", NewPW="654321"), START))[-1] == ("9012", "ExeRtn=1")
    assert term.password == "654321"
    assert _flow(commands.handle(term, LinkState(), _req("1011"), START)) == [("9011", "QnRtn=3")]


def test_realtime_and_status_streams_start_and_stop_per_link() -> None:
    term, link = _term(), LinkState()
    assert _flow(commands.handle(term, link, _req("2012"), START)) == [("9013", "")]
    assert not link.realtime
    assert _flow(commands.handle(term, link, _req("2011"), START)) == [("9011", "QnRtn=1")]
    assert link.realtime
    commands.handle(term, link, _req("2021"), START)
    assert link.status and term.status_wanted
    assert _flow(commands.handle(term, link, _req("2022"), START)) == [("9013", "")]
    assert not link.status


def test_history_pull_uploads_stored_packets_each_awaiting_an_ack() -> None:
    # Given ten minutes of stored minute data
    term = _term()
    run_for(term, 10)
    # When the platform pulls 08:02–08:04
    plan = commands.handle(term, LinkState(), _req("2051", BeginTime="20261130080200", EndTime="20261130080400"), START)
    # Then 9011, the stored packets of those three minutes with A=1 and PNUM/PNO, then 9012 ExeRtn=1
    ups = plan.steps[1:]
    assert plan.long and plan.exe_rtn == 1 and plan.steps[0].cp == "QnRtn=1"
    assert sorted({s.cp[9:23] for s in ups}) == ["20261130080200", "20261130080300", "20261130080400"]
    assert all(s.ack and s.cn == "2051" and s.qn is None for s in ups)
    assert ups[0].pnum == len([s for s in ups if s.cp.startswith("DataTime=20261130080200")]) and ups[0].pno == 1


def test_history_pull_without_data_or_with_reversed_window_fails() -> None:
    term = _term()
    no_data = commands.handle(
        term, LinkState(), _req("2061", BeginTime="20261130080000", EndTime="20261130090000"), START
    )
    assert _flow(no_data) == [("9011", "QnRtn=1"), ("9012", "ExeRtn=100")]
    reversed_ = commands.handle(
        term, LinkState(), _req("2051", BeginTime="20261130090000", EndTime="20261130080000"), START
    )
    assert _flow(reversed_) == [("9011", "QnRtn=1"), ("9012", "ExeRtn=3")]


def test_second_history_pull_while_busy_is_refused() -> None:
    plan = commands.handle(
        _term(), LinkState(busy=True), _req("2051", BeginTime="20261130080000", EndTime="20261130080100"), START
    )
    assert _flow(plan) == [("9011", "QnRtn=2")]


def test_device_uid_and_site_info() -> None:
    term = _term()
    assert _flow(commands.handle(term, LinkState(), _req("3019"), START))[1] == ("3019", "CH01-SN=0000000201M")
    gps = _flow(commands.handle(term, LinkState(), _req("3020", InfoId="GPS"), START))
    assert gps[1] == ("3020", "DataTime=20261130080000;InfoId=GPS;GPS-Lng=120.500000,GPS-Lat=32.100000")
    assert _flow(commands.handle(term, LinkState(), _req("3020", InfoId="SOE"), START))[-1] == ("9012", "ExeRtn=100")
    assert _flow(commands.handle(term, LinkState(), _req("3020", InfoId="i99999"), START))[-1] == ("9012", "ExeRtn=100")


def test_soe_log_can_be_read_back() -> None:
    term = _term()
    commands.handle(term, LinkState(), _req("1062", RtdInterval="60"), START)
    flow = _flow(commands.handle(term, LinkState(), _req("3020", InfoId="SOE"), START))
    assert "SOE1-EventType=param_change" in flow[1][1] and "SOE1-Code=RtdInterval" in flow[1][1]


def test_set_parameter_validates_and_applies() -> None:
    term = _term()
    ok = commands.handle(
        term,
        LinkState(),
        Request(QN, "31", "3021", "123456", MN, {"InfoId": "UHigh"}, {"UHigh": {"Info": "260"}}),
        START,
    )
    assert _flow(ok)[-1] == ("9012", "ExeRtn=1") and term.settings.u_high == 260.0
    bad = commands.handle(
        term, LinkState(), Request(QN, "31", "3021", "123456", MN, {"InfoId": "ULow"}, {"ULow": {"Info": "300"}}), START
    )
    assert _flow(bad)[-1] == ("9012", "ExeRtn=3") and term.settings.u_low < 260
    unknown = commands.handle(term, LinkState(), Request(QN, "31", "3021", "123456", MN, {"InfoId": "Foo"}, {}), START)
    assert _flow(unknown)[-1] == ("9012", "ExeRtn=3")


def test_history_records_are_not_realtime() -> None:
    term = _term()
    run_for(term, 3)
    assert all(isinstance(r, Record) and r.kind in ("minute", "hour", "day", "runtime") for r in term.history)


def test_set_parameters_in_the_hj212_builder_shape_applies_all_or_nothing() -> None:
    # Given a 3021 with PolId and two `<code>-Info` items and no InfoId scalar (hj212.commands.set_field_params)
    term = _term()
    items = {"UHigh": {"Info": "255"}, "ULow": {"Info": "205"}}
    ok = commands.handle(term, LinkState(), Request(QN, "31", "3021", "123456", MN, {"PolId": "CH01"}, items), START)
    assert _flow(ok)[-1] == ("9012", "ExeRtn=1") and (term.settings.u_high, term.settings.u_low) == (255.0, 205.0)
    # When one of them is unknown, nothing changes
    mixed = {"UHigh": {"Info": "250"}, "i13004": {"Info": "1"}}
    bad = commands.handle(term, LinkState(), Request(QN, "31", "3021", "123456", MN, {"PolId": "CH01"}, mixed), START)
    assert _flow(bad)[-1] == ("9012", "ExeRtn=3") and term.settings.u_high == 255.0
