"""An enterprise's status timeline over one China day, per minute, from its readings through the rule engine's
own running-state and status logic: enterprise producing / stopped / curtailed, and per treatment line whether
production and control ran. A minute without good data is 无数据 (no_data), never a stop.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final

from monitoring._time import china_day, china_day_bounds
from monitoring.errors import InvalidInputError
from monitoring.evaluation.config import RuleConfig
from monitoring.evaluation.context import MINUTE
from monitoring.evaluation.models import EnterpriseInfo, RunState
from monitoring.registry.models import Association
from monitoring.rules.enterprise import status_at
from monitoring.rules.passes import baselines_of
from monitoring.rules.rule_context import RuleContext
from monitoring.rules.state_docs import DailyFigures
from monitoring.rules.store_inputs import StoreRuleInputs, load_topology, with_overrides
from monitoring.storage.ports import Store
from monitoring.views.enterprises import visible_enterprise

RUNNING: Final = "running"
STOPPED: Final = "stopped"
NO_DATA: Final = "no_data"
MAX_DAYS_BACK: Final = 92
_LINE_STATE: Final = {RunState.RUN: RUNNING, RunState.STOP: STOPPED, RunState.UNKNOWN: NO_DATA}
_ENTERPRISE_STATE: Final = {"unknown": NO_DATA}  # the engine says unknown; people read 无数据


@dataclass(frozen=True, slots=True)
class Segment:
    start: datetime
    end: datetime
    state: str


@dataclass(frozen=True, slots=True)
class LineTimeline:
    association_id: str
    name: str
    production: tuple[Segment, ...]
    control: tuple[Segment, ...]


@dataclass(frozen=True, slots=True)
class Timeline:
    enterprise_id: str
    day: date
    start: datetime
    end: datetime  # the day's end, or now for today
    enterprise: tuple[Segment, ...]  # producing / stopped / curtailed / no_data
    lines: tuple[LineTimeline, ...]


def segments(states: Sequence[str], start: datetime) -> tuple[Segment, ...]:
    """Run-length segments of per-minute states starting at `start`."""
    out: list[Segment] = []
    begin = 0
    for m in range(1, len(states) + 1):
        if m == len(states) or states[m] != states[begin]:
            out.append(Segment(start + begin * MINUTE, start + m * MINUTE, states[begin]))
            begin = m
    return tuple(out)


def combine(states: Sequence[int]) -> str:
    """Several points of one side of a line: running if any runs, stopped only if every one is known stopped."""
    if RunState.RUN in states:
        return RUNNING
    if states and all(s == RunState.STOP for s in states):
        return STOPPED
    return NO_DATA


def enterprise_timeline(
    store: Store,
    enterprise_id: str,
    day: date | None,
    *,
    config: RuleConfig,
    visible: frozenset[str] | None,
    now: datetime,
) -> Timeline:
    """The timeline of China day `day` (default today, up to the current minute)."""
    e = visible_enterprise(store, enterprise_id, visible)
    today = china_day(now)
    day = today if day is None else day
    if day > today or (today - day).days > MAX_DAYS_BACK:
        raise InvalidInputError(f"日期须在今天及之前 {MAX_DAYS_BACK} 天内")
    start, day_end = china_day_bounds(day)
    end = min(day_end, now.replace(second=0, microsecond=0))
    n = max(0, int((end - start) // MINUTE))
    reg = store.registry
    points = reg.list_points(e.enterprise_id)
    terminals = {t.mn: t for mn in sorted({p.mn for p in points if p.mn}) if (t := reg.find_terminal(mn))}
    topology, overrides = load_topology(reg, [e], terminals)
    info = topology.enterprises.get(e.enterprise_id)
    if info is None or n == 0:  # exempt (the engine does not watch it) or the day has not begun
        info = info or EnterpriseInfo(e.enterprise_id, e.name, e.branch_id, e.town_id)
        empty = (Segment(start, end, NO_DATA),) if n else ()
        idle = tuple(
            LineTimeline(a.association_id, a.name, empty, empty) for a in reg.list_associations(e.enterprise_id)
        )
        return Timeline(e.enterprise_id, day, start, end, empty, idle)
    config = with_overrides(config, overrides)
    infos = topology.points_of(e.enterprise_id)
    warmup = timedelta(minutes=2 * config.params("running_state", enterprise=e.enterprise_id)["memory_min"] + 5)
    # sqlite's one-query path straight to samples where the backend has one (no cache: one call per request)
    reader = store.sample_reader(cache=False) if store.sample_reader is not None else None
    inputs = StoreRuleInputs(store, store.rule_state, e.county_id, reader=reader)
    samples = inputs.samples([p.id for p in infos], start - warmup, end)
    ctx = RuleContext(
        info,
        topology,
        config,
        start,
        n,
        now,
        samples,
        baselines=baselines_of(DailyFigures.load(store.rule_state, e.enterprise_id), infos),
        alerts=store.emergency.alerts_between(start, end),
        measures=store.emergency.measures(),
    )
    overall = [status_at(ctx, m).status for m in range(n)]
    lines: list[LineTimeline] = []
    for a in topology.associations_of(e.enterprise_id):
        prod = [ctx.states(pid) for pid in a.production]
        ctrl = [ctx.states(pid) for pid in a.control]
        lines.append(
            LineTimeline(
                a.id,
                a.name,
                segments([combine([s[m] for s in prod]) for m in range(n)], start),
                segments([combine([s[m] for s in ctrl]) for m in range(n)], start),
            )
        )
    return Timeline(
        e.enterprise_id,
        day,
        start,
        end,
        segments([_ENTERPRISE_STATE.get(s, s) for s in overall], start),
        tuple(lines) + _unmetered(reg.list_associations(e.enterprise_id), lines, Segment(start, end, NO_DATA)),
    )


def _unmetered(
    registered: Sequence[Association], shown: Sequence[LineTimeline], gap: Segment
) -> tuple[LineTimeline, ...]:
    """Lines the engine cannot watch (no bound points on one side): all 无数据."""
    ids = {line.association_id for line in shown}
    return tuple(
        LineTimeline(a.association_id, a.name, (gap,), (gap,)) for a in registered if a.association_id not in ids
    )
