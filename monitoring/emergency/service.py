"""Emergency compliance: per enterprise and interval, did it apply its measures for the alert's level?

More: docs/monitoring.md, "Module notes".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from monitoring.emergency.models import EmergencyAlert, EnterpriseMeasures, HaltOrder, IntervalResult, LevelMeasures
from monitoring.evaluation.context import MINUTE, Context
from monitoring.evaluation.models import Role, RunState

PRODUCING_ROLES = (Role.PRODUCTION, Role.COMBINED)


def active_alerts(
    alerts: Sequence[EmergencyAlert], enterprise_id: str, town: str | None, t0: datetime, t1: datetime
) -> list[EmergencyAlert]:
    """Alerts covering the enterprise that overlap [t0, t1)."""
    return [a for a in alerts if a.covers(enterprise_id, town) and a.start < t1 and a.end > t0]


def active_halts(orders: Sequence[HaltOrder], enterprise_id: str, t0: datetime, t1: datetime) -> list[HaltOrder]:
    return [o for o in orders if o.enterprise_id == enterprise_id and o.start < t1 and (o.end is None or o.end > t0)]


def hourly_baseline_kw(ctx: Context, point_id: str, local_hour: int) -> float | None:
    base = ctx.baselines.get(point_id)
    if base and local_hour in base:
        return base[local_hour]
    return ctx.point(point_id).commissioning_kw


def interval_results(
    ctx: Context,
    alert: EmergencyAlert,
    measures: EnterpriseMeasures | None,
    *,
    interval_min: int = 60,
    stop_run_min: int = 10,
    tolerance: float = 0.05,
) -> list[IntervalResult]:
    """Compliance of every complete interval of the alert inside the context's window."""
    level = (measures.levels.get(alert.level) if measures else None) or LevelMeasures()
    prod = [p.id for p in ctx.topology.points_of(ctx.enterprise.id) if p.role in PRODUCING_ROLES]
    step = timedelta(minutes=interval_min)
    # Intervals are aligned to the epoch, which for whole hours is aligned to local (UTC+8) hours too.
    first = max(alert.start, ctx.start)
    aligned = datetime.fromtimestamp((first.timestamp() // step.total_seconds()) * step.total_seconds(), first.tzinfo)
    t = aligned if aligned >= first else aligned + step
    if t < alert.start:
        t += step
    end = min(alert.end, ctx.at(ctx.n))
    out: list[IntervalResult] = []
    while t + step <= end:
        out.append(_one_interval(ctx, t, t + step, prod, level, stop_run_min, tolerance))
        t += step
    return out


def _one_interval(
    ctx: Context, t0: datetime, t1: datetime, prod: list[str], level: LevelMeasures, stop_run_min: int, tol: float
) -> IntervalResult:
    lo, hi = ctx.index(t0), ctx.index(t1)
    minutes = hi - lo
    actual, covered = 0.0, 0
    baseline: float | None = 0.0
    run_minutes: dict[str, int] = {}
    for pid in prod:
        power = ctx.values(pid, "p")[lo:hi]
        covered += sum(1 for v in power if v is not None)
        actual += sum(max(v, 0.0) for v in power if v is not None) / 60.0
        run_minutes[pid] = sum(1 for s in ctx.states(pid)[lo:hi] if s == RunState.RUN)
        for m in range(lo, hi):
            b = hourly_baseline_kw(ctx, pid, (ctx.at(m).hour + 8) % 24)
            baseline = None if b is None or baseline is None else baseline + b / 60.0
    coverage = covered / max(1, minutes * len(prod))
    violations: list[dict[str, Any]] = []
    if prod and coverage < 0.5:
        violations_out: tuple[Mapping[str, Any], ...] = ()
        return IntervalResult(
            ctx.enterprise.id, t0, t1, baseline, round(actual, 3), None, round(coverage, 3), violations_out
        )
    for pid in level.stop_points:
        ran = sum(1 for s in ctx.states(pid)[lo:hi] if s == RunState.RUN) if pid in ctx.topology.points else 0
        if ran >= stop_run_min:
            violations.append({"kind": "stop_point_running", "point": pid, "run_minutes": ran})
    local_hour = (t0.hour + 8) % 24
    if any(a <= local_hour < b for a, b in level.forbidden_hours):
        running = {p: m for p, m in run_minutes.items() if m >= stop_run_min}
        if running:
            violations.append({"kind": "staggered_hours", "local_hour": local_hour, "run_minutes": running})
    cap = None
    if level.energy_share is not None and baseline is not None:
        cap = level.energy_share * baseline
        if actual > cap * (1 + tol):
            violations.append({"kind": "energy_over_cap", "actual_kwh": round(actual, 3), "cap_kwh": round(cap, 3)})
    return IntervalResult(
        ctx.enterprise.id,
        t0,
        t1,
        None if baseline is None else round(baseline, 3),
        round(actual, 3),
        None if cap is None else round(cap, 3),
        round(coverage, 3),
        tuple(violations),
    )


@dataclass(frozen=True, slots=True)
class ComplianceRow:
    """One enterprise's line in an alert's compliance report."""

    enterprise_id: str
    enterprise_name: str
    baseline_kwh: float | None
    actual_kwh: float
    required_reduction: float | None  # share, 0..1
    achieved_reduction: float | None
    intervals: int
    intervals_without_verdict: int
    violating_intervals: tuple[tuple[datetime, datetime, str], ...]

    @property
    def compliant(self) -> bool | None:
        if self.violating_intervals:
            return False
        return None if self.intervals == self.intervals_without_verdict else True


def required_reduction(ctx: Context, level: LevelMeasures) -> float | None:
    """The reduction the measures demand, as a share of baseline production energy."""
    if level.energy_share is not None:
        return round(1.0 - level.energy_share, 4)
    prod = [p.id for p in ctx.topology.points_of(ctx.enterprise.id) if p.role in PRODUCING_ROLES]
    total = sum(hourly_baseline_kw(ctx, p, 12) or 0.0 for p in prod)
    stopped = sum(hourly_baseline_kw(ctx, p, 12) or 0.0 for p in level.stop_points if p in prod)
    return round(stopped / total, 4) if total > 0 else None


def compliance_row(
    ctx: Context, alert: EmergencyAlert, measures: EnterpriseMeasures | None, results: Sequence[IntervalResult]
) -> ComplianceRow:
    level = (measures.levels.get(alert.level) if measures else None) or LevelMeasures()
    judged = [r for r in results if r.cap_kwh is not None or r.violations or r.coverage >= 0.5]
    base_values = [r.baseline_kwh for r in judged]
    baseline = None if not judged or any(b is None for b in base_values) else sum(b or 0.0 for b in base_values)
    actual = sum(r.actual_kwh for r in judged)
    achieved = None if not baseline else round(1.0 - actual / baseline, 4)
    violating = tuple((r.start, r.end, "；".join(_describe(v) for v in r.violations)) for r in results if r.violations)
    return ComplianceRow(
        ctx.enterprise.id,
        ctx.enterprise.name,
        None if baseline is None else round(baseline, 3),
        round(actual, 3),
        required_reduction(ctx, level),
        achieved,
        len(results),
        len(results) - len(judged),
        violating,
    )


def _describe(v: Mapping[str, Any]) -> str:
    kind = v.get("kind")
    if kind == "stop_point_running":
        return f"应停产线{v['point']}运行{v['run_minutes']}分钟"
    if kind == "staggered_hours":
        return f"错峰时段（{v['local_hour']}时）生产"
    if kind == "energy_over_cap":
        return f"生产用电{v['actual_kwh']}kWh超过限值{v['cap_kwh']}kWh"
    return str(kind)


def minutes_between(t0: datetime, t1: datetime) -> int:
    return int((t1 - t0) // MINUTE)
