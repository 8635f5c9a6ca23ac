"""evaluate_rules: one time-driven, deterministic evaluation tick over every enterprise.

More: docs/rules.md, "Module notes".
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from monitoring.alarms.models import Alarm
from monitoring.errors import StorageUnavailableError
from monitoring.evaluation.config import RuleConfig
from monitoring.evaluation.models import EnterpriseInfo, Finding, Topology
from monitoring.reports.models import FaultReport, StoppageRequest
from monitoring.reports.service import suppressions
from monitoring.rules import circuit, correlation, enterprise, tamper, terminal
from monitoring.rules.enterprise_tick import EnterpriseTick, Stores
from monitoring.rules.passes import baselines_of, daily_pass, hourly_pass, slow_pass
from monitoring.rules.people_cache import PeopleDocsCache
from monitoring.rules.rule_context import RuleContext
from monitoring.rules.situation import Emergency, control_faults
from monitoring.rules.state_buffer import BufferedRuleState
from monitoring.rules.state_cache import RuleStateCache
from monitoring.rules.state_docs import DailyFigures, EnterpriseStatus, TickMark, Watermarks

__all__ = ["Emergency", "Stores", "TickResult", "evaluate_rules", "evaluate_tick"]
from monitoring.evaluation.ports import RuleInputs
from monitoring.rules.ports import RulesRepositories, RuleStateRepository

log = logging.getLogger(__name__)

Evaluator = Callable[[RuleContext], list[Finding]]
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
# An enterprise's own watermark document is rewritten this often; between, the tick mark carries it.
WATERMARK_REFRESH = timedelta(minutes=15)
TICK_MARK_MAX = 5_000  # enterprises named in one tick mark (≈ 30 bytes each)


class ReportReads(Protocol):
    """Where a tick reads an enterprise's fault reports and stoppage requests (the repository, or warm copies)."""

    def faults_for(self, enterprise_id: str) -> list[FaultReport]: ...
    def stoppages_for(self, enterprise_id: str) -> list[StoppageRequest]: ...


@dataclass(frozen=True, slots=True)
class _Tick:
    """What every enterprise of one tick shares: the situation and the data-time window it starts from (each
    enterprise may reach further back)."""

    config: RuleConfig
    emergency: Emergency
    topology: Topology
    now: datetime  # processing time
    horizon: datetime  # evaluated up to: now - settle
    span: timedelta  # the usual window length
    late: Mapping[str, datetime]  # point -> oldest data time of readings that arrived late since the last tick
    force_from: datetime | None  # replay: re-evaluate from this data time
    previous: TickMark  # the last tick: how far the enterprises it names were evaluated
    reports: ReportReads


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
    tick_keys: Sequence[str] = (TickMark.KEY,),
    decoded_until: datetime | None = None,
    cache: RuleStateCache | None = None,
    reports: ReportReads | None = None,
) -> TickResult:
    """One evaluation tick at `now` (processing time); `force_from` re-evaluates from that data time (replay);
    `decoded_until`: frames received after it may not be decoded yet, so no minute after it is judged.
    A shard (monitoring.rules.shards) passes its `enterprise_ids` and `tick_keys`: its last tick is read from
    the first key that has one and saved under the first. `cache`: a warm container's enterprise documents
    (state_cache.py), used while the first key's mark is the one it saved last.

    Rule state is written once, at the end of the tick, inside `transaction` (on sqlite one commit instead of
    two or three per enterprise; state_buffer.py says why that is safe); an enterprise that fails leaves no state
    behind. Alarms and audit entries are written as they change."""
    stores.inputs.begin_tick(now)
    topo = stores.inputs.topology()
    ev = config.params("evaluation")
    # Judged up to `settle` before now, or before the time decode got to (as if the tick ran then).
    complete = now if decoded_until is None else min(now, decoded_until)
    horizon = floor_minute(complete) - timedelta(minutes=ev["settle_min"])
    span = timedelta(minutes=max(ev["window_min"], _max_duration(config) + 15))
    own = TickMark.load(stores.state, tick_keys[0])
    marks = (TickMark.load(stores.state, k) for k in tick_keys[1:])
    previous = own if own.last_tick is not None else next((m for m in marks if m.last_tick is not None), TickMark())
    late: Mapping[str, datetime] = {}
    if previous.last_tick is not None:
        late = stores.inputs.late_arrivals(previous.last_tick, horizon - span)
    reads = stores.reports if reports is None else reports
    shared = _Tick(config, emergency, topo, now, horizon, span, late, force_from, previous, reads)
    if cache is None:
        return _evaluate_all(shared, stores, enterprise_ids, transaction, tick_keys[0], stores.state)
    view = cache.open(stores.state, tick_keys[0], own.writer, now)
    stamp = cache.stamp()
    try:
        result = _evaluate_all(shared, stores, enterprise_ids, transaction, tick_keys[0], view, stamp)
    except BaseException:
        cache.abandon(tick_keys[0])
        raise
    cache.commit(view, stamp)
    return result


def _evaluate_all(
    shared: _Tick,
    stores: Stores,
    enterprise_ids: Sequence[str] | None,
    transaction: Callable[[], AbstractContextManager[Any]],
    tick_key: str,
    state: RuleStateRepository,
    stamp: str | None = None,
) -> TickResult:
    topo = shared.topology
    result = TickResult()
    evaluated: set[str] = set()
    tick_state = BufferedRuleState(state)
    for eid in sorted(enterprise_ids if enterprise_ids is not None else topo.enterprises):
        info = topo.enterprises.get(eid)
        if info is None:
            continue
        own = BufferedRuleState(tick_state)  # an enterprise that fails leaves no state behind
        try:
            _evaluate_enterprise(shared, replace(stores, state=own), info, result)
        except StorageUnavailableError:
            raise  # transient: let the tick fail and be retried
        except Exception:
            # One enterprise's bad data or a bug must not blind the whole county: log, count, carry on.
            log.exception("rule evaluation failed for one enterprise", extra={"enterprise": eid})
            result.failed.append(eid)
            continue
        own.merge()
        evaluated.add(eid)
    # The mark names the enterprises evaluated up to `horizon` (bounded: a DynamoDB item holds 400 KB).
    named = frozenset(evaluated) if len(evaluated) <= TICK_MARK_MAX else frozenset()
    TickMark(shared.now, shared.horizon, named, stamp).save(tick_state, tick_key)
    tick_state.flush(transaction())
    return result


def evaluate_tick(
    inputs: RuleInputs,
    repos: RulesRepositories,
    config: RuleConfig,
    now: datetime,
    *,
    transaction: Callable[[], AbstractContextManager[Any]] = nullcontext,
    enterprise_ids: Sequence[str] | None = None,
    tick_keys: Sequence[str] = (TickMark.KEY,),
    decoded_until: datetime | None = None,
    cache: RuleStateCache | None = None,
    people: tuple[PeopleDocsCache, str] | None = None,
) -> TickResult:
    """One scheduled tick: load the emergency situation in force, then evaluate every enterprise (or a shard's).
    `people`: a warm container's copies of the people-written documents and the county evaluated."""
    back = now - timedelta(hours=config.params("evaluation")["max_catchup_hours"] + 24)
    ahead = now + timedelta(minutes=1)
    reports: ReportReads | None = None
    if people is not None:
        docs = people[0].open(repos.reports, repos.emergency, people[1], now)
        situation, reports = docs.situation(back, ahead), docs
    else:
        situation = Emergency(
            alerts=repos.emergency.alerts_between(back, ahead),
            measures=repos.emergency.measures(),
            halts=repos.emergency.halts_between(back, ahead),
        )
    stores = Stores(inputs, repos.rule_state, repos.alarms, repos.audit, repos.reports)
    return evaluate_rules(
        stores,
        config,
        situation,
        now,
        enterprise_ids=enterprise_ids,
        transaction=transaction,
        tick_keys=tick_keys,
        decoded_until=decoded_until,
        cache=cache,
        reports=reports,
    )


def _evaluate_enterprise(shared: _Tick, stores: Stores, info: EnterpriseInfo, result: TickResult) -> None:
    config, topo, now = shared.config, shared.topology, shared.now
    ev = config.params("evaluation", enterprise=info.id)
    stored = Watermarks.load(stores.state, info.id)
    marks = stored
    carried = shared.previous.evaluated_until(info.id)
    if carried is not None and (marks.evaluated_until is None or carried > marks.evaluated_until):
        marks = replace(marks, evaluated_until=carried)
    horizon = shared.horizon
    oldest = horizon - timedelta(hours=ev["max_catchup_hours"])
    ws = horizon - shared.span
    if marks.evaluated_until is not None:
        ws = min(ws, marks.evaluated_until - shared.span)
    points = topo.points_of(info.id)
    for p in points:
        if p.id in shared.late:
            ws = min(ws, floor_minute(shared.late[p.id]))
    if shared.force_from is not None:
        ws = min(ws, floor_minute(shared.force_from))
        oldest = min(oldest, ws)
    ws = max(ws, oldest)
    faults = shared.reports.faults_for(info.id)
    # When the platform began watching this enterprise: before it, a terminal not heard from yet is unknown, not
    # offline (a fresh deployment or a newly registered enterprise has no history to be silent in).
    watched_since = marks.watched_since or horizon
    # Daily figures (baselines, profiles, energy by day) live in their own document, written once a day:
    # the per-tick document stays small.
    daily = DailyFigures.load(stores.state, info.id)
    day_done = daily.day_done
    tick = EnterpriseTick(
        stores,
        config,
        shared.emergency,
        topo,
        info,
        now,
        horizon,
        suppressions(faults, shared.reports.stoppages_for(info.id), now),
        control_faults(faults),
        watched_since,
        baselines_of(daily, points),
    )
    ctx = tick.context(ws, horizon)
    findings: list[Finding] = []
    for fn in FAST.values():
        findings.extend(fn(ctx))
    changed = tick.reconcile(findings, FAST_RULES, ws)
    changed += hourly_pass(tick, ws)
    slow_until = marks.slow_until
    slow_due = slow_until is None or horizon >= slow_until + timedelta(minutes=ev["slow_cadence_min"])
    if shared.force_from is not None or slow_due:
        changed += slow_pass(tick, ws)
        # Stagger enterprises over the cadence so each tick carries about the same share of slow work.
        offset = 0 if slow_until is not None else zlib.crc32(info.id.encode()) % max(int(ev["slow_cadence_min"]), 1)
        slow_until = horizon - timedelta(minutes=offset)
    daily_pass(tick, daily)
    if daily.day_done != day_done:
        daily.save(stores.state)
    if ctx.n:
        status = enterprise.status_at(ctx, ctx.n - 1)
        if not status.same_judgement(EnterpriseStatus.load(stores.state, info.id)):
            status.save(stores.state)
    marks = Watermarks(info.id, horizon, slow_until, watched_since)
    if marks.worth_saving(stored, WATERMARK_REFRESH):
        marks.save(stores.state)
    result.enterprises += 1
    result.findings += len(findings)
    result.changed.extend(changed)
    result.windows[info.id] = (ws, horizon)
