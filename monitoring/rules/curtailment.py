"""R4 `emergency_violation`: an enterprise not applying its measures during an emergency alert, judged per minute.

More: docs/rules.md, "Module notes".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from monitoring.emergency.models import EmergencyAlert, LevelMeasures
from monitoring.emergency.service import PRODUCING_ROLES, active_alerts, hourly_baseline_kw
from monitoring.evaluation import episodes
from monitoring.evaluation.context import Context
from monitoring.evaluation.models import Finding, RunState
from monitoring.rules.rule_context import RuleContext

RULE = "emergency_violation"


def lead_minutes(params: Mapping[str, Any]) -> int:
    """Minutes of context the rule needs before the judged window: a streak's start and the previous interval."""
    step = int(params["interval_min"]) or 60
    return step * max(1, -(-int(params["stop_run_min"]) // step))


def _streaks(ctx: Context, pid: str, inside: bytearray, min_run: int, max_gap: int) -> bytearray:
    """Per minute: TRUE inside a RUN streak of >= min_run minutes where `inside` is set; FALSE when stopped,
    outside or in a shorter streak (minutes before the alert do not count: running then was allowed)."""
    cond = bytearray(episodes.UNKNOWN for _ in range(ctx.n))
    if pid not in ctx.topology.points:
        return bytearray(ctx.n)  # a measure naming a point no longer registered cannot be violated
    for m, s in enumerate(ctx.states(pid)):
        if not inside[m]:
            cond[m] = episodes.FALSE
        elif s == RunState.RUN:
            cond[m] = episodes.TRUE
        elif s == RunState.STOP:
            cond[m] = episodes.FALSE
    out = bytearray(episodes.FALSE if c == episodes.TRUE else c for c in cond)
    for run in episodes.find_runs(cond, max_gap):
        if run.length >= min_run:
            out[run.start : run.end] = cond[run.start : run.end]
    return out


@dataclass(frozen=True, slots=True)
class _Interval:
    lo: int
    hi: int  # one past the last minute inside the context
    baseline_kwh: float | None
    cap_kwh: float | None
    actual_kwh: float
    certain_at: int | None  # first minute from which the overrun is certain
    complete: bool  # the interval ended inside the context


def _intervals(ctx: Context, alert: EmergencyAlert, prod: Sequence[str], share: float, step: int) -> list[_Interval]:
    """Energy of every interval of the alert that starts inside the context (aligned to the epoch = local hours)."""
    secs = step * 60
    tol = float(ctx.config.params(RULE, enterprise=ctx.enterprise.id)["energy_tolerance"])
    first = max(alert.start, ctx.start)
    t = datetime.fromtimestamp((first.timestamp() // secs) * secs, first.tzinfo)
    out: list[_Interval] = []
    ctx_end = ctx.at(ctx.n)
    while t < min(alert.end, ctx_end):
        a, b = max(t, alert.start, ctx.start), min(t + timedelta(seconds=secs), alert.end)
        lo, full_hi = ctx.index(a), ctx.index(b)
        hi = min(full_hi, ctx.n)
        baseline: float | None = 0.0
        for m in range(lo, full_hi):
            hour = (ctx.at(m).hour + 8) % 24
            for pid in prod:
                kw = hourly_baseline_kw(ctx, pid, hour)
                baseline = None if kw is None or baseline is None else baseline + kw / 60.0
        cap = None if baseline is None else share * baseline
        actual, certain = 0.0, None
        for m in range(lo, hi):
            actual += sum(max(v, 0.0) for pid in prod if (v := ctx.values(pid, "p")[m]) is not None) / 60.0
            if certain is None and cap is not None and actual > cap * (1 + tol):
                certain = m
        out.append(_Interval(lo, hi, baseline, cap, actual, certain, full_hi <= ctx.n))
        t += timedelta(seconds=secs)
    return out


def _energy(ctx: Context, intervals: Sequence[_Interval], prod: Sequence[str]) -> bytearray:
    cond = bytearray(ctx.n)
    for iv in intervals:
        if iv.cap_kwh is None:
            val = episodes.FALSE  # no baseline (no commissioning power either): the cap cannot be judged
        elif iv.certain_at is not None:
            val = episodes.TRUE
        elif iv.complete:
            covered = sum(1 for pid in prod for v in ctx.values(pid, "p")[iv.lo : iv.hi] if v is not None)
            val = episodes.FALSE if covered >= 0.5 * max(1, (iv.hi - iv.lo) * len(prod)) else episodes.UNKNOWN
        else:
            val = episodes.TRUE if iv.lo > 0 and cond[iv.lo - 1] == episodes.TRUE else episodes.UNKNOWN
        cond[iv.lo : iv.hi] = bytes([val]) * (iv.hi - iv.lo)
    return cond


def _combine(parts: Sequence[bytearray], n: int) -> bytearray:
    out = bytearray(n)
    for m in range(n):
        vals = {p[m] for p in parts}
        out[m] = episodes.TRUE if episodes.TRUE in vals else (episodes.UNKNOWN if episodes.UNKNOWN in vals else 0)
    return out


def emergency_violation(ctx: RuleContext, lead: int = 0) -> list[Finding]:
    """Findings over the context's minutes from `lead` on (earlier minutes only show streak starts and the
    previous interval's verdict)."""
    out: list[Finding] = []
    prm = ctx.config.params(RULE, enterprise=ctx.enterprise.id)
    max_gap = int(ctx.config.params("evaluation", enterprise=ctx.enterprise.id)["max_gap_min"])
    min_run, step = int(prm["stop_run_min"]), int(prm["interval_min"]) or 60
    em = ctx.measures.get(ctx.enterprise.id)
    prod = [p.id for p in ctx.topology.points_of(ctx.enterprise.id) if p.role in PRODUCING_ROLES]
    for alert in active_alerts(ctx.alerts, ctx.enterprise.id, ctx.enterprise.town, ctx.at(lead), ctx.at(ctx.n)):
        level = (em.levels.get(alert.level) if em else None) or LevelMeasures()
        if not (level.stop_points or level.forbidden_hours or level.energy_share is not None):
            continue
        inside = bytearray(ctx.n)
        lo, hi = max(ctx.index(alert.start), 0), min(ctx.index(alert.end), ctx.n)
        inside[lo:hi] = b"\x01" * max(0, hi - lo)
        stop = {pid: _streaks(ctx, pid, inside, min_run, max_gap) for pid in level.stop_points}
        stagger: dict[str, bytearray] = {}
        if level.forbidden_hours:
            # only minutes of forbidden hours count: a line running up to the hour has its minimum to stop
            hours = [(ctx.at(m).hour + 8) % 24 for m in range(ctx.n)]
            forbidden = bytearray(
                1 if inside[m] and any(a <= h < b for a, b in level.forbidden_hours) else 0 for m, h in enumerate(hours)
            )
            stagger = {pid: _streaks(ctx, pid, forbidden, min_run, max_gap) for pid in prod}
        intervals = _intervals(ctx, alert, prod, level.energy_share, step) if level.energy_share is not None else []
        energy = _energy(ctx, intervals, prod)
        cond = _combine([*stop.values(), *stagger.values(), energy], ctx.n)
        for m in range(ctx.n):
            if not inside[m]:
                cond[m] = episodes.FALSE
        for sub in ctx.runs(cond[lead:], 1):
            run = replace(sub, start=sub.start + lead, end=sub.end + lead)
            violations, points = _explain(ctx, run, stop, stagger, intervals, energy, prod)
            ev = {"alert": alert.id, "level": alert.level.value, "violations": violations, "thresholds": dict(prm)}
            out.append(ctx.finding(RULE, f"enterprise:{ctx.enterprise.id}/{alert.id}", run, points, ev))
    return out


def _explain(
    ctx: Context,
    run: episodes.Run,
    stop: Mapping[str, bytearray],
    stagger: Mapping[str, bytearray],
    intervals: Sequence[_Interval],
    energy: bytearray,
    prod: Sequence[str],
) -> tuple[list[dict[str, Any]], list[str]]:
    """What violated inside the run, and the points that did it (and only those)."""
    violations: list[dict[str, Any]] = []
    points: dict[str, None] = {}
    span = range(run.start, run.end)
    for pid, mask in stop.items():
        minutes = [m for m in span if mask[m] == episodes.TRUE]
        if minutes:
            points[pid] = None
            violations.append(
                {
                    "kind": "stop_point_running",
                    "point": pid,
                    "from": ctx.at(minutes[0]).isoformat(),
                    "run_minutes": len(minutes),
                }
            )
    for pid, mask in stagger.items():
        minutes = [m for m in span if mask[m] == episodes.TRUE]
        if minutes:
            points[pid] = None
            hours = sorted({(ctx.at(m).hour + 8) % 24 for m in minutes})
            violations.append(
                {"kind": "staggered_hours", "point": pid, "local_hours": hours, "run_minutes": len(minutes)}
            )
    for iv in intervals:
        if iv.hi <= run.start or iv.lo >= run.end or energy[iv.lo] != episodes.TRUE:
            continue
        for pid in prod:  # every production point drawing energy shares an energy overrun
            if any((v or 0.0) > 0 for v in ctx.values(pid, "p")[iv.lo : iv.hi]):
                points[pid] = None
        violations.append(
            {
                "kind": "energy_over_cap" if iv.certain_at is not None else "energy_over_cap_continuing",
                "interval_start": ctx.at(iv.lo).isoformat(),
                "certain_at": None if iv.certain_at is None else ctx.at(iv.certain_at).isoformat(),
                "actual_kwh": round(iv.actual_kwh, 3),
                "cap_kwh": round(iv.cap_kwh or 0.0, 3),
                "baseline_kwh": None if iv.baseline_kwh is None else round(iv.baseline_kwh, 3),
            }
        )
    return violations, list(points)
