"""evaluate_rules: one time-driven, deterministic evaluation tick over every enterprise.

Per enterprise the tick evaluates the window [ws, horizon) of data time, horizon = now - settle. ws is
`window_min` back, or further back when the previous tick's watermark is older (scheduler outage, restart) or
when readings with older data time arrived since the last tick (backfill); at most `max_catchup_hours`.
Readings are loaded from ws - warm-up so running states at ws are those a longer history would give (see
running_state). Findings are reconciled with stored alarms (alarms.reconcile), so repeating a tick or
restarting mid-episode neither resets a window nor raises twice. Slow rules (flat-line) run on a cadence;
daily rules (completeness, daily energy, baselines, over-production) once per completed local day,
staggered per enterprise.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from monitoring.alarms import reconcile as rec
from monitoring.alarms.models import Alarm
from monitoring.alarms.ports import AlarmRepository, AuditLog
from monitoring.emergency.models import EmergencyAlert, EnterpriseMeasures, HaltOrder
from monitoring.reports.ports import ReportRepository
from monitoring.reports.service import control_faults, suppressions
from monitoring.reports.workdays import CHINA
from monitoring.rules import baseline, circuit, correlation, enterprise, tamper, terminal
from monitoring.rules.config import RuleConfig
from monitoring.rules.context import MINUTE, Context
from monitoring.rules.models import EnterpriseInfo, Finding, PointInfo, Topology
from monitoring.rules.ports import RuleInputs, RulesRepositories, RuleStateRepository

log = logging.getLogger(__name__)

Evaluator = Callable[[Context], list[Finding]]
FAST: dict[str, Evaluator] = {
    "control_stopped": correlation.control_stopped,
    "control_low_load": correlation.control_low_load,
    "start_stop_order": correlation.start_stop_order,
    "fault_overrun": correlation.fault_overrun,
    "terminal_offline": terminal.terminal_offline,
    "power_loss": terminal.power_loss,
    "tamper_zero_current": tamper.zero_current,
    "tamper_negative_power": tamper.negative_power,
    "tamper_energy_backwards": tamper.energy_backwards,
    "tamper_clock_skew": tamper.clock_skew,
    "tamper_events": tamper.terminal_events,
    "circuit_over_voltage": circuit.over_voltage,
    "circuit_under_voltage": circuit.under_voltage,
    "circuit_phase_loss": circuit.phase_loss,
    "circuit_current_imbalance": circuit.current_imbalance,
    "circuit_over_current": circuit.over_current,
    "halt_violation": enterprise.halt_violation,
}
FAST_RULES = (set(FAST) - {"tamper_events"}) | {"tamper_param_change", "tamper_duplicate_mn"}


@dataclass(frozen=True)
class Emergency:
    """Emergency configuration in force: alerts, measures per enterprise, halt orders."""

    alerts: Sequence[EmergencyAlert] = ()
    measures: Mapping[str, EnterpriseMeasures] = field(default_factory=dict)
    halts: Sequence[HaltOrder] = ()


@dataclass
class Stores:
    inputs: RuleInputs
    state: RuleStateRepository
    alarms: AlarmRepository
    audit: AuditLog
    reports: ReportRepository


@dataclass
class TickResult:
    enterprises: int = 0
    findings: int = 0
    changed: list[Alarm] = field(default_factory=list)
    windows: dict[str, tuple[datetime, datetime]] = field(default_factory=dict)


def floor_minute(t: datetime) -> datetime:
    return t.replace(second=0, microsecond=0)


def _max_duration(config: RuleConfig) -> float:
    durations = [v.get("min_duration_min", 0.0) for v in config.defaults.values()]
    for by_id in config.overrides.values():
        for sections in by_id.values():
            durations += [v.get("min_duration_min", 0.0) for v in sections.values()]
    return max(durations, default=0.0)


def evaluate_rules(
    stores: Stores,
    config: RuleConfig,
    emergency: Emergency,
    now: datetime,
    *,
    enterprise_ids: Sequence[str] | None = None,
    force_from: datetime | None = None,
) -> TickResult:
    """One evaluation tick at `now` (processing time); `force_from` re-evaluates from that data time (replay)."""
    topo = stores.inputs.topology()
    ev = config.params("evaluation")
    horizon = floor_minute(now) - timedelta(minutes=ev["settle_min"])
    span = timedelta(minutes=max(ev["window_min"], _max_duration(config) + 15))
    tick = stores.state.get("tick") or {}
    late: Mapping[str, datetime] = {}
    if "last_tick" in tick:
        late = stores.inputs.late_arrivals(datetime.fromisoformat(tick["last_tick"]), horizon - span)
    result = TickResult()
    for eid in sorted(enterprise_ids if enterprise_ids is not None else topo.enterprises):
        info = topo.enterprises.get(eid)
        if info is None:
            continue
        _evaluate_enterprise(stores, config, emergency, topo, info, now, horizon, span, late, force_from, result)
    stores.state.put("tick", {"last_tick": now.isoformat()})
    return result


def evaluate_tick(inputs: RuleInputs, repos: RulesRepositories, config: RuleConfig, now: datetime) -> TickResult:
    """One scheduled tick: load the emergency situation in force, then evaluate every enterprise."""
    back = now - timedelta(hours=config.params("evaluation")["max_catchup_hours"] + 24)
    ahead = now + timedelta(minutes=1)
    situation = Emergency(
        alerts=repos.emergency.alerts_between(back, ahead),
        measures=repos.emergency.measures(),
        halts=repos.emergency.halts_between(back, ahead),
    )
    stores = Stores(inputs, repos.state, repos.alarms, repos.audit, repos.reports)
    return evaluate_rules(stores, config, situation, now)


def _evaluate_enterprise(
    stores: Stores,
    config: RuleConfig,
    emergency: Emergency,
    topo: Topology,
    info: EnterpriseInfo,
    now: datetime,
    horizon: datetime,
    span: timedelta,
    late: Mapping[str, datetime],
    force_from: datetime | None,
    result: TickResult,
) -> None:
    ev = config.params("evaluation", enterprise=info.id)
    key = f"ent:{info.id}"
    st = stores.state.get(key) or {}
    oldest = horizon - timedelta(hours=ev["max_catchup_hours"])
    ws = horizon - span
    if "evaluated_until" in st:
        ws = min(ws, datetime.fromisoformat(st["evaluated_until"]) - span)
    points = topo.points_of(info.id)
    for p in points:
        if p.id in late:
            ws = min(ws, floor_minute(late[p.id]))
    if force_from is not None:
        ws = min(ws, floor_minute(force_from))
        oldest = min(oldest, ws)
    ws = max(ws, oldest)
    faults = stores.reports.faults_for(info.id)
    extras = _extras(emergency, info.id, faults)
    supp = suppressions(faults, stores.reports.stoppages_for(info.id), now)
    baselines = _baselines(st, points)
    ctx = _context(stores, config, topo, info, ws, horizon, now, supp, baselines, extras)
    findings: list[Finding] = []
    for fn in FAST.values():
        findings.extend(fn(ctx))
    changed = rec.reconcile(findings, FAST_RULES, info.id, ws, now, stores.alarms, stores.audit)
    changed += _hourly(stores, config, emergency, topo, info, ws, horizon, now, supp, baselines, extras)
    slow_due = "slow_until" not in st or horizon >= datetime.fromisoformat(st["slow_until"]) + timedelta(
        minutes=ev["slow_cadence_min"]
    )
    if force_from is not None or slow_due:
        changed += _slow(stores, config, topo, info, ws, horizon, now, supp, baselines, extras)
        st["slow_until"] = horizon.isoformat()
    st = _daily(stores, config, topo, info, st, horizon, now, supp, extras)
    if ctx.n:
        status = enterprise.status_at(ctx, ctx.n - 1)
        stores.state.put(
            f"status:{info.id}",
            {
                "at": status.at.isoformat(),
                "status": status.status,
                "running": list(status.running),
                "stopped": list(status.stopped),
                "unknown": list(status.unknown),
                "production_kw": status.production_kw,
                "control_kw": status.control_kw,
            },
        )
    st["evaluated_until"] = horizon.isoformat()
    stores.state.put(key, st)
    result.enterprises += 1
    result.findings += len(findings)
    result.changed.extend(changed)
    result.windows[info.id] = (ws, horizon)


def _baselines(st: Mapping[str, Any], points: Sequence[PointInfo]) -> dict[str, dict[int, float]]:
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


def _extras(emergency: Emergency, eid: str, faults: Sequence[Any]) -> dict[str, Any]:
    return {
        "alerts": list(emergency.alerts),
        "measures": emergency.measures,
        "halts": list(emergency.halts),
        "faults": control_faults(faults),
    }


def _context(
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


def _slow(
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
    ctx = _context(stores, config, topo, info, start, we, now, supp, baselines, extras)
    return rec.reconcile(tamper.flatline(ctx), {"tamper_flatline"}, info.id, start, now, stores.alarms, stores.audit)


def _hourly(
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
    """Emergency compliance on whole intervals: from the interval containing ws to the last complete one."""
    step = int(config.params("emergency_violation", enterprise=info.id)["interval_min"]) or 60
    start = ws - timedelta(minutes=(ws.hour * 60 + ws.minute) % step)
    if not any(a.covers(info.id, info.town) and a.start < we and a.end > start for a in emergency.alerts):
        return []
    ctx = _context(stores, config, topo, info, start, we, now, supp, baselines, extras)
    findings = enterprise.emergency_violation(ctx)
    return rec.reconcile(findings, {"emergency_violation"}, info.id, start, now, stores.alarms, stores.audit)


def _learn_day(
    st: dict[str, Any], points: Sequence[PointInfo], ctx: Context, day: date, bl: Mapping[str, float]
) -> None:
    profiles = st.setdefault("profiles", {})
    for p in points:
        hist = profiles.setdefault(p.id, {})
        hist[day.isoformat()] = baseline.day_profile(ctx, p.id)
        profiles[p.id] = baseline.trim(hist, int(bl["days"]))
        learned = baseline.learn(p, profiles[p.id], int(bl["days"]), int(bl["min_days"]))
        st.setdefault("baselines", {})[p.id] = {str(h): v for h, v in learned.items()}


def _day_start(d: date) -> datetime:
    return datetime.combine(d, time(0), CHINA)


def _daily(
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
        baselines = _baselines(st, topo.points_of(info.id))
        ctx = _context(
            stores,
            config,
            topo,
            info,
            _day_start(day).astimezone(horizon.tzinfo),
            _day_start(day + timedelta(days=1)).astimezone(horizon.tzinfo),
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
            _learn_day(st, topo.points_of(info.id), ctx, day, bl)
        history = {date.fromisoformat(k): v for k, v in st["days"].items()}
        over = enterprise.over_production(info.id, history, prm["factor"], int(prm["min_days"]), _day_start)
        rec.reconcile(
            over,
            {"over_production"},
            info.id,
            _day_start(min(history)),
            now,
            stores.alarms,
            stores.audit,
            subjects={(f"enterprise:{info.id}", "over_production")},
        )
        st["day_done"] = day.isoformat()
        day += timedelta(days=1)
    return st
