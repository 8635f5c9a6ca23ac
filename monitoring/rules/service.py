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
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from monitoring.alarms import reconcile as rec
from monitoring.alarms.models import Alarm
from monitoring.errors import StorageUnavailableError
from monitoring.reports.service import control_faults, suppressions
from monitoring.rules import circuit, correlation, enterprise, tamper, terminal
from monitoring.rules.config import RuleConfig
from monitoring.rules.context import Context
from monitoring.rules.models import EnterpriseInfo, Finding, Topology
from monitoring.rules.passes import Emergency, Stores, baselines_of, build_context, daily_pass, hourly_pass, slow_pass
from monitoring.rules.state_buffer import BufferedRuleState

__all__ = ["Emergency", "Stores", "TickResult", "evaluate_rules", "evaluate_tick"]
from monitoring.rules.ports import RuleInputs, RulesRepositories

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


@dataclass
class TickResult:
    enterprises: int = 0
    findings: int = 0
    changed: list[Alarm] = field(default_factory=list)
    windows: dict[str, tuple[datetime, datetime]] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)


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
    transaction: Callable[[], AbstractContextManager[Any]] = nullcontext,
) -> TickResult:
    """One evaluation tick at `now` (processing time); `force_from` re-evaluates from that data time (replay).

    Rule state is written once, at the end of the tick, inside `transaction` (on sqlite one commit instead of
    two or three per enterprise; state_buffer.py says why that is safe); an enterprise that fails leaves no state
    behind. Alarms and audit entries are written as they change."""
    topo = stores.inputs.topology()
    ev = config.params("evaluation")
    horizon = floor_minute(now) - timedelta(minutes=ev["settle_min"])
    span = timedelta(minutes=max(ev["window_min"], _max_duration(config) + 15))
    tick = stores.state.get("tick") or {}
    late: Mapping[str, datetime] = {}
    if "last_tick" in tick:
        late = stores.inputs.late_arrivals(datetime.fromisoformat(tick["last_tick"]), horizon - span)
    result = TickResult()
    tick_state = BufferedRuleState(stores.state)
    for eid in sorted(enterprise_ids if enterprise_ids is not None else topo.enterprises):
        info = topo.enterprises.get(eid)
        if info is None:
            continue
        own = BufferedRuleState(tick_state)  # an enterprise that fails leaves no state behind
        try:
            _evaluate_enterprise(
                replace(stores, state=own), config, emergency, topo, info, now, horizon, span, late, force_from, result
            )
        except StorageUnavailableError:
            raise  # transient: let the tick fail and be retried
        except Exception:
            # One enterprise's bad data or a bug must not blind the whole county: log, count, carry on.
            log.exception("rule evaluation failed for one enterprise", extra={"enterprise": eid})
            result.failed.append(eid)
            continue
        own.merge()
    tick_state.put("tick", {"last_tick": now.isoformat()})
    tick_state.flush(transaction())
    return result


def evaluate_tick(
    inputs: RuleInputs,
    repos: RulesRepositories,
    config: RuleConfig,
    now: datetime,
    *,
    transaction: Callable[[], AbstractContextManager[Any]] = nullcontext,
) -> TickResult:
    """One scheduled tick: load the emergency situation in force, then evaluate every enterprise."""
    back = now - timedelta(hours=config.params("evaluation")["max_catchup_hours"] + 24)
    ahead = now + timedelta(minutes=1)
    situation = Emergency(
        alerts=repos.emergency.alerts_between(back, ahead),
        measures=repos.emergency.measures(),
        halts=repos.emergency.halts_between(back, ahead),
    )
    stores = Stores(inputs, repos.rule_state, repos.alarms, repos.audit, repos.reports)
    return evaluate_rules(stores, config, situation, now, transaction=transaction)


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
    key = f"ent:{info.id}"  # watermarks: evaluated_until, slow_until
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
    # When the platform began watching this enterprise: before it, a terminal not heard from yet is unknown, not
    # offline (a fresh deployment or a newly registered enterprise has no history to be silent in).
    st.setdefault("watched_since", horizon.isoformat())
    extras["watched_since"] = datetime.fromisoformat(st["watched_since"])
    supp = suppressions(faults, stores.reports.stoppages_for(info.id), now)
    # Daily figures (baselines, profiles, energy by day) live in their own document, written once a day:
    # the per-tick document stays small.
    daily_key = f"daily:{info.id}"
    daily = stores.state.get(daily_key) or {}
    day_done = daily.get("day_done")
    baselines = baselines_of(daily, points)
    ctx = build_context(stores, config, topo, info, ws, horizon, now, supp, baselines, extras)
    findings: list[Finding] = []
    for fn in FAST.values():
        findings.extend(fn(ctx))
    changed = rec.reconcile(findings, FAST_RULES, info.id, ws, now, stores.alarms, stores.audit)
    changed += hourly_pass(stores, config, emergency, topo, info, ws, horizon, now, supp, baselines, extras)
    slow_due = "slow_until" not in st or horizon >= datetime.fromisoformat(st["slow_until"]) + timedelta(
        minutes=ev["slow_cadence_min"]
    )
    if force_from is not None or slow_due:
        changed += slow_pass(stores, config, topo, info, ws, horizon, now, supp, baselines, extras)
        # Stagger enterprises over the cadence so each tick carries about the same share of slow work.
        offset = 0 if "slow_until" in st else zlib.crc32(info.id.encode()) % max(int(ev["slow_cadence_min"]), 1)
        st["slow_until"] = (horizon - timedelta(minutes=offset)).isoformat()
    daily = daily_pass(stores, config, topo, info, daily, horizon, now, supp, extras)
    if daily.get("day_done") != day_done:
        stores.state.put(daily_key, daily)
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


def _extras(emergency: Emergency, eid: str, faults: Sequence[Any]) -> dict[str, Any]:
    return {
        "alerts": list(emergency.alerts),
        "measures": emergency.measures,
        "halts": list(emergency.halts),
        "faults": control_faults(faults),
    }
