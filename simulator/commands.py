"""Answers to downlink commands (HJ 212-2017 §6.5 and 表9), as plans the link carries out.

More: docs/simulator.md, "Module notes".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from hj212 import CN
from hj212.session import Answer, Reply
from simulator.events import data_time
from simulator.terminal import Terminal

MIN_INTERVALS = (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30)  # HJ 212-2017 表4 MinInterval
HISTORY = {CN.DAY_DATA: "day", CN.FACILITY_RUNTIME_DAY: "runtime", CN.MINUTE_DATA: "minute", CN.HOUR_DATA: "hour"}
SETTABLE_INFO = {"UHigh": "u_high", "ULow": "u_low", "IHighPct": "i_high_pct"}
SUPPORTED = {
    CN.SET_TIMEOUT_RETRY,
    CN.GET_FIELD_TIME,
    CN.SET_FIELD_TIME,
    CN.GET_RTD_INTERVAL,
    CN.SET_RTD_INTERVAL,
    CN.GET_MIN_INTERVAL,
    CN.SET_MIN_INTERVAL,
    CN.SET_PASSWORD,
    CN.REALTIME_DATA,
    CN.STOP_REALTIME_DATA,
    CN.FACILITY_STATUS,
    CN.STOP_FACILITY_STATUS,
}
SUPPORTED |= set(HISTORY) | {CN.INSTRUMENT_SN, CN.FIELD_INFO, CN.SET_FIELD_PARAMS}


@dataclass(frozen=True)
class Outgoing:
    """One frame to send: the link adds MN, PW, version and builds the bytes."""

    cn: str
    cp: str
    qn: str | None  # None: the link assigns a fresh QN (history uploads)
    st: str
    ack: bool = False  # Flag A: wait for 9014
    pnum: int | None = None
    pno: int | None = None


@dataclass
class LinkState:
    """What one platform connection asked of the terminal."""

    realtime: bool = True
    status: bool = False
    busy: bool = False  # a history pull is running


@dataclass
class Plan:
    answer: Answer  # the request flow's terminal side (hj212.session): it writes the 9011/9012/9013 replies
    steps: list[Outgoing] = field(default_factory=list)
    exe_rtn: int | None = None  # the 9012 that ends the flow, if any
    long: bool = False  # a history pull: run it in the background


@dataclass(frozen=True)
class Request:
    """The parts of a decoded downlink frame the terminal looks at."""

    qn: str | None
    st: str | None
    cn: str | None
    pw: str | None
    mn: str | None
    scalars: dict[str, str]
    items: dict[str, dict[str, str]]


def _out(reply: Reply) -> Outgoing:
    return Outgoing(reply.cn, reply.cp, reply.qn, "91")


def _refuse(answer: Answer, code: int) -> Plan:
    return Plan(answer, [_out(answer.refuse(code))])


def _accepted(answer: Answer, exe_rtn: int | None, *uploads: Outgoing, long: bool = False) -> Plan:
    return Plan(answer, [_out(answer.accept()), *uploads], exe_rtn, long)


def result(plan: Plan, exe_rtn: int) -> Outgoing:
    """The 9012 that ends an accepted request."""
    return _out(plan.answer.finish(exe_rtn))


def _int(text: str | None, lo: int, hi: int) -> int | None:
    if text is None or not text.strip().isdigit():
        return None
    v = int(text)
    return v if lo <= v <= hi else None


def handle(term: Terminal, link: LinkState, req: Request, true_now: datetime) -> Plan:
    """Decide the answer to one downlink request."""
    answer = Answer(req.cn, req.qn)
    if req.mn != term.mn:
        return _refuse(answer, 4)
    if req.pw != term.password:
        return _refuse(answer, 3)
    if req.st not in (term.settings.st, "91"):
        return _refuse(answer, 5)
    if not req.qn or len(req.qn) != 17 or not req.qn.isdigit():
        return _refuse(answer, 7)
    if req.cn not in SUPPORTED:
        return _refuse(answer, 8)
    cn, sc, st = req.cn, req.scalars, term.settings.st
    s = term.settings
    if cn in (CN.STOP_REALTIME_DATA, CN.STOP_FACILITY_STATUS):
        if cn == CN.STOP_REALTIME_DATA:
            link.realtime = False
        else:
            link.status = False  # the terminal keeps producing status records for any other platform asking
        return Plan(answer, [_out(answer.acknowledge())])
    if cn in (CN.REALTIME_DATA, CN.FACILITY_STATUS):
        if cn == CN.REALTIME_DATA:
            link.realtime = term.realtime_wanted = True
        else:
            link.status = term.status_wanted = True
        return _accepted(answer, None)  # data flows until 2012/2022; no 9012 (附录C)
    if cn == CN.SET_TIMEOUT_RETRY:
        ot, rc = _int(sc.get("OverTime"), 1, 99), _int(sc.get("ReCount"), 1, 99)
        if ot is None or rc is None:
            return _refuse(answer, 2)
        old = f"{s.overtime_s:g},{s.recount}"
        s.overtime_s, s.recount = float(ot), rc
        term.param_changed(true_now, "OverTime,ReCount", old, f"{ot},{rc}")
        return _accepted(answer, 1)
    if cn == CN.GET_FIELD_TIME:
        polid = f"PolId={sc['PolId']};" if "PolId" in sc else ""
        return _accepted(answer, 1, Outgoing(CN.GET_FIELD_TIME, f"{polid}SystemTime={data_time(term.now(true_now))}",
                                              req.qn, st))  # fmt: skip
    if cn == CN.SET_FIELD_TIME:
        text = sc.get("SystemTime", "")
        try:
            shown = datetime.strptime(text, "%Y%m%d%H%M%S")
        except ValueError:
            return _refuse(answer, 2)
        if not term.accept_time_set:
            return _accepted(answer, 2)  # a tampered clock that will not be set: execution fails
        old = data_time(term.now(true_now))
        term.clock.set(true_now, shown)
        term.param_changed(true_now, "SystemTime", old, text)
        return _accepted(answer, 1)
    if cn in (CN.GET_RTD_INTERVAL, CN.GET_MIN_INTERVAL):
        key, val = (
            ("RtdInterval", s.rtd_interval_s) if cn == CN.GET_RTD_INTERVAL else ("MinInterval", s.min_interval_min)
        )
        return _accepted(answer, 1, Outgoing(cn, f"{key}={val}", req.qn, st))
    if cn == CN.SET_RTD_INTERVAL:
        v = _int(sc.get("RtdInterval"), 30, 3600)
        if v is None or v % s.sample_s:
            return _refuse(answer, 2)
        old_v, s.rtd_interval_s = s.rtd_interval_s, v
        term.param_changed(true_now, "RtdInterval", str(old_v), str(v))
        return _accepted(answer, 1)
    if cn == CN.SET_MIN_INTERVAL:
        v = _int(sc.get("MinInterval"), 1, 30)
        if v is None or v not in MIN_INTERVALS or (v * 60) % s.sample_s:
            return _refuse(answer, 2)
        old_v, s.min_interval_min = s.min_interval_min, v
        term.aggs["minute"].minutes = v
        term.param_changed(true_now, "MinInterval", str(old_v), str(v))
        return _accepted(answer, 1)
    if cn == CN.SET_PASSWORD:
        new = sc.get("NewPW", "")
        if not (1 <= len(new) <= 6) or not new.isalnum():
            return _refuse(answer, 2)
        term.password = new
        term.param_changed(true_now, "PW", "******", "******")
        return _accepted(answer, 1)
    if cn in HISTORY:
        return _history(term, link, req, answer)
    if cn == CN.INSTRUMENT_SN:
        want = sc.get("PolId")
        items = [f"CH{ch:02d}-SN={term.mn[-8:]}{ch:02d}M" for ch in sorted(term.points)]
        items = [i for i in items if want is None or i.startswith(want + "-")]
        if not items:
            return _accepted(answer, 100)
        return _accepted(answer, 1, Outgoing(CN.INSTRUMENT_SN, ";".join(items), req.qn, st))
    if cn == CN.FIELD_INFO:
        return _info(term, req, answer, true_now)
    return _set_info(term, req, answer, true_now)


def _history(term: Terminal, link: LinkState, req: Request, answer: Answer) -> Plan:
    try:
        begin = datetime.strptime(req.scalars.get("BeginTime", ""), "%Y%m%d%H%M%S")
        end = datetime.strptime(req.scalars.get("EndTime", ""), "%Y%m%d%H%M%S")
    except ValueError:
        return _refuse(answer, 2)
    if link.busy:
        return _refuse(answer, 2)  # one history pull at a time per platform
    if end < begin:
        return _accepted(answer, 3)
    lo, hi = data_time(begin), data_time(end)
    kind = HISTORY[req.cn or ""]
    packets = []
    for rec in term.history.query(kind, lo, hi):
        n = len(rec.packets)
        for i, cp in enumerate(rec.packets, 1):
            pnum, pno = (n, i) if n > 1 else (None, None)
            packets.append(Outgoing(rec.cn, cp, None, term.settings.st, True, pnum, pno))
    if not packets:
        return _accepted(answer, 100)
    return _accepted(answer, 1, *packets, long=True)


def _info(term: Terminal, req: Request, answer: Answer, true_now: datetime) -> Plan:
    info_id = req.scalars.get("InfoId", "")
    head = f"DataTime={data_time(term.now(true_now))}"
    if info_id == "i12001":
        body = "i12001-Info=0"  # working state: normal
    elif info_id == "GPS":
        body = f"GPS-Lng={term.enterprise.lng:.6f},GPS-Lat={term.enterprise.lat:.6f}"
    elif info_id == "SOE":
        events = list(term.soe.events)
        if not events:
            return _accepted(answer, 100)
        body = ";".join(ev.item(n) for n, ev in enumerate(events, 1))
    elif info_id in SETTABLE_INFO:
        body = f"{info_id}-Info={getattr(term.settings, SETTABLE_INFO[info_id]):g}"
    else:
        return _accepted(answer, 100)
    return _accepted(answer, 1, Outgoing(CN.FIELD_INFO, f"{head};InfoId={info_id};{body}", req.qn, term.settings.st))


def _set_info(term: Terminal, req: Request, answer: Answer, true_now: datetime) -> Plan:
    """3021: `<InfoId>-Info=value` items (an `InfoId` scalar, if given, names the one to set); all or nothing."""
    info_id = req.scalars.get("InfoId")
    wanted = {code: f["Info"] for code, f in req.items.items() if "Info" in f and info_id in (None, code)}
    if not wanted or any(code not in SETTABLE_INFO for code in wanted):
        return _accepted(answer, 3)
    trial = {attr: getattr(term.settings, attr) for attr in SETTABLE_INFO.values()}
    try:
        for code, raw in wanted.items():
            trial[SETTABLE_INFO[code]] = float(raw)
    except ValueError:
        return _accepted(answer, 3)
    if not all(v > 0 for v in trial.values()) or trial["u_low"] >= trial["u_high"]:
        return _accepted(answer, 3)
    for code in wanted:
        attr = SETTABLE_INFO[code]
        old = getattr(term.settings, attr)
        setattr(term.settings, attr, trial[attr])
        term.param_changed(true_now, code, f"{old:g}", f"{trial[attr]:g}")
    return _accepted(answer, 1)
