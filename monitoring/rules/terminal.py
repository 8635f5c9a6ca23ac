"""Rule families 5 and 6: terminals offline or data interrupted, daily completeness, and power loss.

More: docs/rules.md, "Module notes".
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from monitoring.evaluation import episodes
from monitoring.evaluation.context import MINUTE, Context
from monitoring.evaluation.models import Finding, PointInfo, Role, Severity
from monitoring.rules.rule_context import RuleContext


def terminals(ctx: Context) -> dict[str, list[PointInfo]]:
    """Points of the enterprise grouped by terminal."""
    out: dict[str, list[PointInfo]] = defaultdict(list)
    for p in ctx.topology.points_of(ctx.enterprise.id):
        out[p.mn or p.id].append(p)
    return dict(out)


def terminal_offline(ctx: RuleContext) -> list[Finding]:
    """R5: no reading from any point of a terminal for more than interval_multiple expected intervals."""
    out: list[Finding] = []
    for mn, points in terminals(ctx).items():
        prm = ctx.config.params("terminal_offline", enterprise=ctx.enterprise.id, point=points[0].id)
        interval = min(p.interval_s for p in points)
        allowed = timedelta(seconds=interval * prm["interval_multiple"])
        times = sorted({s.at for p in points for s in ctx.samples.get(p.id, ())})
        stamps = [t.timestamp() for t in times]
        allowed_s, base = allowed.total_seconds(), ctx.start.timestamp()
        cond = bytearray(ctx.n)
        since = ctx.watched_since
        watched = since.timestamp() if since is not None else -1e18
        j, last = 0, -1e18
        for m in range(ctx.n):
            t_end = base + 60 * (m + 1)
            while j < len(stamps) and stamps[j] < t_end:
                last, j = stamps[j], j + 1
            if j == 0 and t_end <= watched:
                cond[m] = episodes.UNKNOWN  # nothing heard yet, before the platform was watching: not offline
            else:
                cond[m] = episodes.TRUE if t_end - last > allowed_s else episodes.FALSE
        ids = [p.id for p in points]
        used = ctx.apply_suppression(cond, ids, "terminal_offline")
        for run in ctx.runs(cond, prm["min_duration_min"]):
            before = [t for t in times if t < ctx.at(run.start)]
            ev = {
                "terminal": mn,
                "last_reading_before": before[-1].isoformat() if before else None,
                "thresholds": {"expected_interval_s": interval, **prm},
            }
            out.append(ctx.finding("terminal_offline", f"terminal:{mn}", run, ids, ev, used))
    return out


def data_incomplete(ctx: Context, day_label: str) -> list[Finding]:
    """R5b: a point's share of expected readings over one local day below completeness_min.

    Called on a context covering exactly that day; one finding per point and day (start == day start).
    """
    out: list[Finding] = []
    for p in ctx.topology.points_of(ctx.enterprise.id):
        prm = ctx.config.params("data_incomplete", enterprise=ctx.enterprise.id, point=p.id)
        expected = max(1, int(ctx.n * 60 // p.interval_s))
        got = len({s.at for s in ctx.samples.get(p.id, ()) if s.good and ctx.start <= s.at < ctx.at(ctx.n)})
        share = got / expected
        mask, used = ctx.suppression_mask([p.id], "data_incomplete")
        if share >= prm["completeness_min"] or sum(mask) * 2 > ctx.n:
            continue
        run = episodes.Run(0, ctx.n, False, False, ctx.n)
        ev = {"day": day_label, "expected": expected, "received_good": got, "completeness": round(share, 4)}
        ev["thresholds"] = dict(prm)
        f = ctx.finding("data_incomplete", f"point:{p.id}", run, [p.id], ev, used)
        out.append(f)
    return out


def _dead_voltage(ctx: Context, point: PointInfo, share: float) -> list[int]:
    """Per minute: 1 voltage dead on all phases, 0 present, 2 unknown (no good voltage reading)."""
    limit = share * point.nominal_v
    ph = ctx.phases(point.id)
    return [2 if c == 0 else (1 if hi < limit else 0) for hi, c in zip(ph.vmax, ph.vcnt, strict=True)]


def power_loss(ctx: Context) -> list[Finding]:
    """R6: SOE power-off (until power-on), or all phase voltages near zero while the terminal still reports."""
    out: list[Finding] = []
    mains = [p for p in ctx.topology.points_of(ctx.enterprise.id) if p.role == Role.MAIN]
    for mn, points in terminals(ctx).items():
        prm = ctx.config.params("power_loss", enterprise=ctx.enterprise.id, point=points[0].id)
        cond = bytearray([episodes.UNKNOWN]) * ctx.n
        per_point = [_dead_voltage(ctx, p, prm["voltage_share"]) for p in points]
        for m in range(ctx.n):
            vals = [pp[m] for pp in per_point if pp[m] != 2]
            if vals:
                cond[m] = episodes.TRUE if all(v == 1 for v in vals) else episodes.FALSE
        soe = _soe_minutes(ctx, mn)
        for m in soe:
            cond[m] = episodes.TRUE
        ids = [p.id for p in points]
        used = ctx.apply_suppression(cond, ids, "power_loss")
        for run in ctx.runs(cond, prm["min_duration_min"]):
            scope = _scope(ctx, mains, ids, run, prm["voltage_share"])
            ev: dict[str, Any] = {"terminal": mn, "scope": scope, "soe": bool(soe & set(range(run.start, run.end)))}
            ev["thresholds"] = dict(prm)
            sev = Severity.LOW.value if scope == "site" else None
            out.append(ctx.finding("power_loss", f"terminal:{mn}", run, ids, ev, used, severity=sev))
    return out


def _soe_minutes(ctx: Context, mn: str) -> set[int]:
    """Minutes between a power_off SOE and the next power_on (or the end of the window)."""
    minutes: set[int] = set()
    off_at: datetime | None = None
    for e in sorted((e for e in ctx.events if e.mn == mn and e.kind in ("power_off", "power_on")), key=lambda e: e.at):
        if e.kind == "power_off":
            off_at = off_at or e.at
        elif off_at is not None:
            minutes.update(range(max(ctx.index(off_at), 0), min(ctx.index(e.at) + (e.at.second > 0), ctx.n)))
            off_at = None
    if off_at is not None:
        minutes.update(range(max(ctx.index(off_at), 0), ctx.n))
    return minutes


def _scope(ctx: Context, mains: list[PointInfo], ids: list[str], run: episodes.Run, share: float) -> str:
    """site: the main incoming feeder is dead too; circuit: main alive; undetermined: no main metered."""
    others = [p for p in mains if p.id not in ids]
    if not others:
        return "undetermined"
    verdicts = [_dead_voltage(ctx, p, share)[run.start : run.end] for p in others]
    dead = sum(1 for v in verdicts for x in v if x == 1)
    alive = sum(1 for v in verdicts for x in v if x == 0)
    if dead == 0 and alive == 0:
        # No main reading at all during the loss: a blackout also silences the main terminal.
        main_ids = [p.id for p in others]
        silent = all(
            not any(ctx.at(run.start) <= s.at < ctx.at(run.end) + MINUTE for s in ctx.samples.get(i, ()))
            for i in main_ids
        )
        return "site" if silent else "undetermined"
    return "site" if dead >= alive else "circuit"
