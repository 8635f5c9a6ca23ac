"""Rule family 9 at enterprise level: halt orders, over-production, status (family 4 is `curtailment`).

Status (producing / stopped / curtailed / unknown) and daily production-versus-control energy are facts
stored for dashboards, not alarms; the alarms are: production while under a halt order, and daily production
energy above factor x baseline for min_days days running.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from monitoring.emergency.models import LevelMeasures
from monitoring.emergency.service import (
    PRODUCING_ROLES,
    active_alerts,
    active_halts,
    hourly_baseline_kw,
)
from monitoring.evaluation import episodes
from monitoring.evaluation.context import Context
from monitoring.evaluation.models import Finding, Role, RunState
from monitoring.rules.rule_context import RuleContext
from monitoring.rules.state_docs import EnterpriseStatus


def _producing(ctx: Context) -> list[str]:
    return [p.id for p in ctx.topology.points_of(ctx.enterprise.id) if p.role in PRODUCING_ROLES]


def halt_violation(ctx: RuleContext) -> list[Finding]:
    """R9: any production point running while a halt order is in force."""
    out: list[Finding] = []
    prm = ctx.config.params("halt_violation", enterprise=ctx.enterprise.id)
    prod = _producing(ctx)
    series = [ctx.states(p) for p in prod]
    for order in active_halts(ctx.halts, ctx.enterprise.id, ctx.start, ctx.at(ctx.n)):
        lo = max(ctx.index(order.start), 0)
        hi = ctx.n if order.end is None else min(ctx.index(order.end), ctx.n)
        cond = bytearray(ctx.n)
        for m in range(lo, hi):
            vals = [s[m] for s in series]
            cond[m] = (
                episodes.TRUE
                if RunState.RUN in vals
                else (episodes.FALSE if vals and RunState.UNKNOWN not in vals else episodes.UNKNOWN)
            )
        for run in ctx.runs(cond, prm["min_duration_min"]):
            ev = {"halt_order": order.id, "order_start": order.start.isoformat(), "thresholds": dict(prm)}
            out.append(ctx.finding("halt_violation", f"enterprise:{ctx.enterprise.id}/{order.id}", run, prod, ev))
    return out


def status_at(ctx: RuleContext, m: int) -> EnterpriseStatus:
    """The enterprise's status at minute m of the context."""
    run: list[str] = []
    stop: list[str] = []
    unk: list[str] = []
    prod_kw = ctrl_kw = 0.0
    for p in ctx.topology.points_of(ctx.enterprise.id):
        v = ctx.values(p.id, "p")[m] or 0.0
        if p.role in PRODUCING_ROLES:
            prod_kw += v
            {RunState.RUN: run, RunState.STOP: stop}.get(RunState(ctx.states(p.id)[m]), unk).append(p.id)
        elif p.role == Role.CONTROL:
            ctrl_kw += v
    status = "unknown"
    if run:
        status = "producing"
        t = ctx.at(m)
        alerts = active_alerts(ctx.alerts, ctx.enterprise.id, ctx.enterprise.town, t, t + timedelta(minutes=1))
        em = ctx.measures.get(ctx.enterprise.id)
        for alert in alerts:
            level = (em.levels.get(alert.level) if em else None) or LevelMeasures()
            base = sum(hourly_baseline_kw(ctx, p, (t.hour + 8) % 24) or 0.0 for p in run + stop + unk)
            stops_ok = all(p not in run for p in level.stop_points)
            share_ok = level.energy_share is None or (base > 0 and prod_kw <= level.energy_share * base)
            if stops_ok and share_ok and (level.stop_points or level.energy_share is not None):
                status = "curtailed"
    elif stop and not unk:
        status = "stopped"
    return EnterpriseStatus(
        ctx.enterprise.id, ctx.at(m), status, tuple(run), tuple(stop), tuple(unk), round(prod_kw, 3), round(ctrl_kw, 3)
    )


def daily_energy(ctx: Context) -> dict[str, float]:
    """kWh over the context (one local day) by role: production (incl. combined), control, main."""
    out = {"production": 0.0, "control": 0.0, "main": 0.0}
    for p in ctx.topology.points_of(ctx.enterprise.id):
        key = "production" if p.role in PRODUCING_ROLES else p.role.value
        if key in out:
            out[key] += sum(max(v, 0.0) for v in ctx.values(p.id, "p") if v is not None) / 60.0
    return {k: round(v, 3) for k, v in out.items()}


def daily_baseline_kwh(ctx: Context) -> float | None:
    """Expected daily production energy: the sum of hourly baselines over 24 local hours."""
    total = 0.0
    for pid in _producing(ctx):
        for h in range(24):
            b = hourly_baseline_kw(ctx, pid, h)
            if b is None:
                return None
            total += b
    return total


def over_production(
    enterprise_id: str,
    days: Mapping[date, Mapping[str, Any]],
    factor: float,
    min_days: int,
    day_start: Callable[[date], datetime],
) -> list[Finding]:
    """R9: every run of >= min_days consecutive days with production energy above factor x baseline."""
    streaks: list[list[date]] = []
    current: list[date] = []
    for d in sorted(days):
        rec = days[d]
        base, prod = rec.get("baseline_kwh"), rec.get("energy", {}).get("production")
        over = base is not None and prod is not None and base > 0 and prod > factor * base
        if over and current and (d - current[-1]).days == 1:
            current.append(d)
        else:
            if len(current) >= min_days:
                streaks.append(current)
            current = [d] if over else []
    last_day = max(days) if days else None
    out: list[Finding] = []
    for streak in [*streaks, current] if len(current) >= min_days else streaks:
        ongoing = streak[-1] == last_day
        ev = {
            "days": {d.isoformat(): dict(days[d]) for d in streak},
            "thresholds": {"factor": factor, "min_days": min_days},
        }
        end = None if ongoing else day_start(streak[-1] + timedelta(days=1))
        finding = Finding(
            "over_production",
            f"enterprise:{enterprise_id}",
            enterprise_id,
            day_start(streak[0]),
            end,
            ev,
            {"days": len(streak)},
        )
        out.append(finding)
    return out
