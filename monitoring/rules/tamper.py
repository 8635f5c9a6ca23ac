"""Rule family 7: tampering and wiring faults.

More: docs/rules.md, "Module notes".
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from monitoring.evaluation import episodes
from monitoring.evaluation.context import Context
from monitoring.evaluation.models import Finding, PointInfo, Role, RunState, TerminalEvent
from monitoring.rules.terminal import terminals

LOAD_ROLES = (Role.PRODUCTION, Role.CONTROL, Role.COMBINED, Role.INDIRECT)


def zero_current(ctx: Context) -> list[Finding]:
    """Production/combined point: live voltage, all currents ~0, while a main feeder runs above its baseline."""
    out: list[Finding] = []
    pts = ctx.topology.points_of(ctx.enterprise.id)
    mains = [p for p in pts if p.role == Role.MAIN]
    if not mains:
        return out
    main_loaded = [_main_loaded(ctx, p) for p in mains]
    for p in pts:
        if p.role not in (Role.PRODUCTION, Role.COMBINED):
            continue
        prm = ctx.config.params("tamper_zero_current", enterprise=ctx.enterprise.id, point=p.id)
        ph = ctx.phases(p.id)
        vmin = prm["voltage_share"] * p.nominal_v
        cond = bytearray([episodes.UNKNOWN]) * ctx.n
        for m in range(ctx.n):
            if not any(s[m] == RunState.RUN for s in main_loaded):
                if any(s[m] == RunState.STOP for s in main_loaded):
                    cond[m] = episodes.FALSE
                continue
            if ph.vcnt[m] == 0 or ph.acnt[m] == 0:
                continue
            dead = ph.amax[m] <= prm["zero_a"] and ph.vmin[m] >= vmin
            cond[m] = episodes.TRUE if dead else episodes.FALSE
        used = ctx.apply_suppression(cond, [p.id], "tamper_zero_current")
        for run in ctx.runs(cond, prm["min_duration_min"]):
            ev = {"point": p.id, "main_points": [x.id for x in mains], "thresholds": dict(prm)}
            out.append(ctx.finding("tamper_zero_current", f"point:{p.id}", run, [p.id, *ev["main_points"]], ev, used))
    return out


def _main_loaded(ctx: Context, main: PointInfo) -> bytearray:
    """Per minute: RUN while the main feeder carries a producing plant's load, STOP when it is known not to.

    Its running state alone is not enough: at a break or overnight a site's lighting, offices and idle
    transformers keep the main feeder above its 5 % RUN threshold while every production line is rightly at 0 A.
    So the main feeder must also carry `main_load_share` of its rated power (when its rating is known).
    """
    states = ctx.states(main.id)
    share = ctx.config.params("tamper_zero_current", enterprise=ctx.enterprise.id, point=main.id)["main_load_share"]
    if not main.rated_kw or share <= 0:
        return states
    floor = share * main.rated_kw
    out = bytearray(states)
    for m, v in enumerate(ctx.values(main.id, "p")):
        if out[m] == RunState.RUN and v is not None and abs(v) < floor:
            out[m] = RunState.STOP
    return out


def negative_power(ctx: Context) -> list[Finding]:
    """Negative active power on a load circuit for min_duration_min: a reversed CT."""
    out: list[Finding] = []
    for p in ctx.topology.points_of(ctx.enterprise.id):
        if p.role not in LOAD_ROLES:
            continue
        prm = ctx.config.params("tamper_negative_power", enterprise=ctx.enterprise.id, point=p.id)
        limit = -max(prm["negative_kw"], prm["negative_share_rated"] * (p.rated_kw or 0.0))
        cond = bytearray(
            episodes.UNKNOWN if v is None else (episodes.TRUE if v < limit else episodes.FALSE)
            for v in ctx.values(p.id, "p")
        )
        used = ctx.apply_suppression(cond, [p.id], "tamper_negative_power")
        for run in ctx.runs(cond, prm["min_duration_min"]):
            ev = {"point": p.id, "thresholds": {"limit_kw": limit, **prm}}
            out.append(ctx.finding("tamper_negative_power", f"point:{p.id}", run, [p.id], ev, used))
    return out


def energy_backwards(ctx: Context) -> list[Finding]:
    """The cumulative energy counter decreased between two consecutive good readings."""
    out: list[Finding] = []
    for p in ctx.topology.points_of(ctx.enterprise.id):
        prm = ctx.config.params("tamper_energy_backwards", enterprise=ctx.enterprise.id, point=p.id)
        prev = None
        for s in ctx.samples.get(p.id, ()):
            if s.energy is None or not s.good:
                continue
            if prev is not None and s.energy < prev.energy - prm["tolerance_kwh"]:  # type: ignore[operator]
                m = ctx.index(s.at)
                if 0 <= m < ctx.n:
                    ev: dict[str, Any] = {"point": p.id, "before": prev.explain(), "after": s.explain()}
                    ev["thresholds"] = dict(prm)
                    run = episodes.Run(m, m + 1, False, False, 1)
                    out.append(ctx.finding("tamper_energy_backwards", f"point:{p.id}", run, [p.id], ev))
            prev = s
    return out


def flatline(ctx: Context) -> list[Finding]:
    """Identical readings (P and currents) for min_hours while the point runs: a frozen or replayed stream."""
    out: list[Finding] = []
    for p in ctx.topology.points_of(ctx.enterprise.id):
        prm = ctx.config.params("tamper_flatline", enterprise=ctx.enterprise.id, point=p.id)
        states = ctx.states(p.id)
        cond = bytearray(ctx.n)
        prev_key: tuple[Any, ...] | None = None
        run_start = 0
        for s in ctx.samples.get(p.id, ()):
            key = (s.p, s.ia, s.ib, s.ic)
            m = ctx.index(s.at)
            if key != prev_key or all(v is None for v in key):
                prev_key, run_start = key, m
                continue
            lo, hi = max(run_start, 0), min(m + 1, ctx.n)
            for k in range(lo, hi):
                if states[k] == RunState.RUN:
                    cond[k] = episodes.TRUE
        used = ctx.apply_suppression(cond, [p.id], "tamper_flatline")
        for run in ctx.runs(cond, prm["min_hours"] * 60):
            ev = {"point": p.id, "thresholds": dict(prm)}
            out.append(ctx.finding("tamper_flatline", f"point:{p.id}", run, [p.id], ev, used))
    return out


def clock_skew(ctx: Context) -> list[Finding]:
    """Data time ahead of arrival by more than max_ahead_s, or decode's clock_skew event from a real-time
    exchange. A lagging clock cannot be told from backfill by data time or QN: only a SystemTime answer shows it."""
    out: list[Finding] = []
    for mn, points in terminals(ctx).items():
        prm = ctx.config.params("tamper_clock_skew", enterprise=ctx.enterprise.id, point=points[0].id)
        cond = bytearray([episodes.UNKNOWN]) * ctx.n
        worst = 0.0
        limit = timedelta(seconds=prm["max_ahead_s"])
        for p in points:
            samples = ctx.samples.get(p.id, ())
            for m, i in enumerate(ctx.cover(p.id)):
                if i >= 0 and cond[m] != episodes.TRUE:
                    cond[m] = episodes.FALSE
            for s in samples:
                if s.received_at is not None and s.at - s.received_at > limit:
                    m = ctx.index(s.at)
                    if 0 <= m < ctx.n:
                        cond[m], worst = episodes.TRUE, max(worst, (s.at - s.received_at).total_seconds())
        for e in ctx.events:
            m = ctx.index(e.at)
            if e.mn == mn and e.kind == "clock_skew" and 0 <= m < ctx.n and _real_time_skew(e):
                cond[m] = episodes.TRUE
        for run in ctx.runs(cond, 1):
            ev = {"terminal": mn, "max_ahead_s": worst, "thresholds": dict(prm)}
            out.append(ctx.finding("tamper_clock_skew", f"terminal:{mn}", run, [p.id for p in points], ev))
    return out


def _real_time_skew(event: TerminalEvent) -> bool:
    """Whether a decode clock_skew event measured the clock on a real-time exchange: a SystemTime answer, or a
    terminal stamp ahead of arrival. Decode no longer files a QN behind arrival (that is a buffered upload sent
    late, 二.2), but events it filed before say so in their detail and must not count either."""
    if event.detail.get("source", "SystemTime") == "SystemTime":
        return True
    try:
        return float(event.detail.get("skew_s", "0")) > 0
    except ValueError:
        return False


def terminal_events(ctx: Context) -> list[Finding]:
    """Parameter-change SOE and duplicate-MN events become point-in-time findings."""
    out: list[Finding] = []
    kinds = {"param_change": "tamper_param_change", "duplicate_mn": "tamper_duplicate_mn"}
    by_mn = terminals(ctx)
    for e in ctx.events:
        rule = kinds.get(e.kind)
        m = ctx.index(e.at)
        if rule is None or e.mn not in by_mn or not 0 <= m < ctx.n:
            continue
        if e.kind == "param_change" and _clock_set_within(e, _max_ahead_s(ctx, by_mn[e.mn][0])):
            continue
        ids = [p.id for p in by_mn[e.mn]]
        ev = {"terminal": e.mn, "event": {"kind": e.kind, "at": e.at.isoformat(), **dict(e.detail)}}
        out.append(ctx.finding(rule, f"terminal:{e.mn}", episodes.Run(m, m + 1, False, False, 1), ids, ev))
    return out


def _max_ahead_s(ctx: Context, point: PointInfo) -> float:
    return float(ctx.config.params("tamper_clock_skew", enterprise=ctx.enterprise.id, point=point.id)["max_ahead_s"])


def _clock_set_within(event: TerminalEvent, limit_s: float) -> bool:
    """Whether a param_change SOE is the terminal's clock being set by no more than `limit_s`.

    The platform sets clocks itself (1012 after a 1013 request, or correcting a skew it measured), and a
    terminal logs that as a SystemTime parameter change: a correction within the clock-skew limit is housekeeping,
    not tampering (a clock that is wrong is tamper_clock_skew's business). A bigger jump is still reported.
    """
    detail = event.detail
    if detail.get("Code") != "SystemTime":
        return False
    old, new = _hj212_time(detail.get("Old")), _hj212_time(detail.get("Value"))
    return old is not None and new is not None and abs((new - old).total_seconds()) <= limit_s


def _hj212_time(text: str | None) -> datetime | None:
    """YYYYMMDDhhmmss[zzz] as a naive datetime (both ends of a change are the terminal's clock), or None."""
    if not text or len(text) < 14 or not text[:14].isdigit():
        return None
    try:
        return datetime.strptime(text[:14], "%Y%m%d%H%M%S")
    except ValueError:
        return None
