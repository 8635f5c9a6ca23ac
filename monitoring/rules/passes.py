"""The passes of one enterprise's evaluation beyond the per-minute rules: slow (flat-line), hourly (emergency
measures) and daily (completeness, daily energy, baselines, over-production), plus the context builder.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from monitoring.alarms import reconcile as rec
from monitoring.alarms.models import Alarm
from monitoring.alarms.ports import AlarmRepository, AuditLog
from monitoring.emergency.models import EmergencyAlert, EnterpriseMeasures, HaltOrder
from monitoring.reports.ports import ReportRepository
from monitoring.reports.workdays import CHINA
from monitoring.rules import baseline, curtailment, enterprise, tamper, terminal
from monitoring.rules.config import RuleConfig
from monitoring.rules.context import MINUTE, Context
from monitoring.rules.models import EnterpriseInfo, PointInfo, Topology
from monitoring.rules.ports import RuleInputs, RuleStateRepository


@dataclass(frozen=True)
class Emergency:
    """Emergency configuration in force: alerts, measures per enterprise, halt orders."""

    alerts: Sequence[EmergencyAlert] = ()
    measures: Mapping[str, EnterpriseMeasures] = field(default_factory=dict)
    halts: Sequence[HaltOrder] = ()


@dataclass
class Stores:
    """The repositories one evaluation reads and writes."""

    inputs: RuleInputs
    state: RuleStateRepository
    alarms: AlarmRepository
    audit: AuditLog
    reports: ReportRepository


def baselines_of(st: Mapping[str, Any], points: Sequence[PointInfo]) -> dict[str, dict[int, float]]:
    """Learned baselines from the enterprise's state; commissioning values until a day has been learned."""
    stored = st.get("baselines", {})
    out: dict[str, dict[int, float]] = {}
    for p in points:
        learned = stored.get(p.id)
        if learned:
            out[p.id] = {int(h): float(v) for h, v in learned.items()}
        elif p.commissioning_kw is not None:
            out[p.id] = dict.fromkeys(range(24), p.commissioning_kw)
    return out


def build_context(
    stores: Stores,
    config: RuleConfig,
    topo: Topology,
    info: EnterpriseInfo,
    ws: datetime,
    we: datetime,
    now: datetime,
    supp: Sequence[Any],
    baselines: Mapping[str, Mapping[int, float]],
    extras: dict[str, Any],
) -> Context:
    rs = config.params("running_state", enterprise=info.id)
    warmup = timedelta(minutes=2 * rs["memory_min"] + 5)
    points = topo.points_of(info.id)
    samples = stores.inputs.samples([p.id for p in points], ws - warmup, we)
    mns = sorted({p.mn for p in points if p.mn})
    events = stores.inputs.events(mns, ws, we) if mns else []
    n = max(0, int((we - ws) // MINUTE))
    return Context(info, topo, config, ws, n, now, samples, events, supp, baselines, extras)


def slow_pass(
    stores: Stores,
    config: RuleConfig,
    topo: Topology,
    info: EnterpriseInfo,
    ws: datetime,
    we: datetime,
    now: datetime,
    supp: Sequence[Any],
    baselines: Mapping[str, Mapping[int, float]],
    extras: dict[str, Any],
) -> list[Alarm]:
    hours = (
        max(
            config.params("tamper_flatline", enterprise=info.id, point=p.id)["min_hours"]
            for p in topo.points_of(info.id)
        )
        if topo.points_of(info.id)
        else 0
    )
    start = min(ws, we - timedelta(hours=hours, minutes=30))
    ctx = build_context(stores, config, topo, info, start, we, now, supp, baselines, extras)
    return rec.reconcile(tamper.flatline(ctx), {"tamper_flatline"}, info.id, start, now, stores.alarms, stores.audit)


def hourly_pass(
    stores: Stores,
    config: RuleConfig,
    emergency: Emergency,
    topo: Topology,
    info: EnterpriseInfo,
    ws: datetime,
    we: datetime,
    now: datetime,
    supp: Sequence[Any],
    baselines: Mapping[str, Mapping[int, float]],
    extras: dict[str, Any],
) -> list[Alarm]:
    """Emergency measures, judged per minute from the start of the interval containing ws; the context reaches
    back `lead` minutes more so that a streak's start and the previous interval's verdict are seen."""
    prm = config.params("emergency_violation", enterprise=info.id)
    step = int(prm["interval_min"]) or 60
    start = ws - timedelta(minutes=(ws.hour * 60 + ws.minute) % step)
    if not any(a.covers(info.id, info.town) and a.start < we and a.end > start for a in emergency.alerts):
        return []
    lead = curtailment.lead_minutes(prm)
    ctx = build_context(stores, config, topo, info, start - lead * MINUTE, we, now, supp, baselines, extras)
    findings = curtailment.emergency_violation(ctx, lead)
    return rec.reconcile(findings, {"emergency_violation"}, info.id, start, now, stores.alarms, stores.audit)


def learn_day(
    st: dict[str, Any], points: Sequence[PointInfo], ctx: Context, day: date, bl: Mapping[str, float]
) -> None:
    profiles = st.setdefault("profiles", {})
    for p in points:
        hist = profiles.setdefault(p.id, {})
        hist[day.isoformat()] = baseline.day_profile(ctx, p.id)
        profiles[p.id] = baseline.trim(hist, int(bl["days"]))
        learned = baseline.learn(p, profiles[p.id], int(bl["days"]), int(bl["min_days"]))
        st.setdefault("baselines", {})[p.id] = {str(h): v for h, v in learned.items()}


def day_start(d: date) -> datetime:
    return datetime.combine(d, time(0), CHINA)


def daily_pass(
    stores: Stores,
    config: RuleConfig,
    topo: Topology,
    info: EnterpriseInfo,
    st: dict[str, Any],
    horizon: datetime,
    now: datetime,
    supp: Sequence[Any],
    extras: dict[str, Any],
) -> dict[str, Any]:
    """Run the daily rules for each completed local day not yet done (staggered per enterprise)."""
    ev = config.params("evaluation", enterprise=info.id)
    stagger = timedelta(minutes=ev["daily_grace_min"] + zlib.crc32(info.id.encode()) % 60)
    last_complete = (horizon - stagger).astimezone(CHINA).date() - timedelta(days=1)
    if "day_done" not in st:
        # First evaluation of this enterprise: daily rules start with the first whole day from now on, so
        # the days before the platform watched it are not flagged as empty.
        st["day_done"] = last_complete.isoformat()
        return st
    day = date.fromisoformat(st["day_done"]) + timedelta(days=1)
    bl = config.params("baseline", enterprise=info.id)
    while day <= last_complete:
        baselines = baselines_of(st, topo.points_of(info.id))
        ctx = build_context(
            stores,
            config,
            topo,
            info,
            day_start(day).astimezone(horizon.tzinfo),
            day_start(day + timedelta(days=1)).astimezone(horizon.tzinfo),
            now,
            supp,
            baselines,
            extras,
        )
        findings = terminal.data_incomplete(ctx, day.isoformat())
        subjects = {(f"point:{p.id}", "data_incomplete") for p in topo.points_of(info.id)}
        rec.reconcile(
            findings, {"data_incomplete"}, info.id, ctx.start, now, stores.alarms, stores.audit, subjects=subjects
        )
        prm = config.params("over_production", enterprise=info.id)
        energy, expected = enterprise.daily_energy(ctx), enterprise.daily_baseline_kwh(ctx)
        days = st.setdefault("days", {})
        days[day.isoformat()] = {"energy": energy, "baseline_kwh": expected}
        st["days"] = baseline.trim(days, 60)
        # A day far above its baseline does not teach the baseline: otherwise an unauthorised expansion
        # would become the new normal within min_days and never be reported.
        if expected is None or energy["production"] <= prm["factor"] * expected:
            learn_day(st, topo.points_of(info.id), ctx, day, bl)
        history = {date.fromisoformat(k): v for k, v in st["days"].items()}
        over = enterprise.over_production(info.id, history, prm["factor"], int(prm["min_days"]), day_start)
        rec.reconcile(
            over,
            {"over_production"},
            info.id,
            day_start(min(history)),
            now,
            stores.alarms,
            stores.audit,
            subjects={(f"enterprise:{info.id}", "over_production")},
        )
        st["day_done"] = day.isoformat()
        day += timedelta(days=1)
    return st
