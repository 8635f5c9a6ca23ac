"""RuleInputs over the platform's stores: registry → Topology, readings → Samples, events → TerminalEvents.

Also the registry's per-association parameters (AssociationParams) become rule-config overrides, and
backfill marks (written by `note_late_readings` when decode stores readings older than their arrival) tell
the engine which windows to reopen: the readings store has no arrival-time index, so decode says so instead.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from monitoring.errors import InvalidInputError
from monitoring.evaluation.config import RuleConfig
from monitoring.evaluation.models import (
    AssociationInfo,
    EnterpriseInfo,
    PointInfo,
    Role,
    Sample,
    TerminalEvent,
    Topology,
)
from monitoring.evaluation.ports import SampleReader
from monitoring.events.models import EventKind
from monitoring.readings.models import Reading, ReadingKind
from monitoring.registry.models import Enterprise, FacilityKind
from monitoring.registry.terminal import Terminal
from monitoring.rules.event_cache import TerminalEventCache
from monitoring.rules.ports import RuleStateRepository
from monitoring.rules.sample_cache import to_sample
from monitoring.storage.ports import RegistryRepository, Store

ROLES = {
    FacilityKind.PRODUCTION: Role.PRODUCTION,
    FacilityKind.CONTROL: Role.CONTROL,
    FacilityKind.MAIN_INCOMING: Role.MAIN,
    FacilityKind.COMBINED: Role.COMBINED,
    FacilityKind.INDIRECT: Role.INDIRECT,
}
EVENT_KINDS = {
    EventKind.POWER_LOSS: "power_off",
    EventKind.POWER_RESTORE: "power_on",
    EventKind.PARAM_CHANGE: "param_change",
    EventKind.DUPLICATE_MN: "duplicate_mn",
    EventKind.CLOCK_SKEW: "clock_skew",
}
LATE_AFTER = timedelta(minutes=5)  # a reading stored this long after its data time is backfill
# What the rules read (`samples`): a terminal's own hour and day figures (2061/2031) arrive after their period by
# design and are never judged, so they mark nothing (else every hour's 2061 upload reopened every window at once).
JUDGED_KINDS = (ReadingKind.MINUTE, ReadingKind.REALTIME)
BACKFILL_PREFIX = "backfill:"
PURGE_EVERY = timedelta(hours=1)  # how often a process deletes the day-old backfill notes
log = logging.getLogger(__name__)


def note_late_readings(state: RuleStateRepository, readings: Iterable[Reading], received_at: datetime) -> int:
    """Record backfill so the next evaluation reopens its window; call after storing decoded readings."""
    earliest: dict[str, datetime] = {}
    for r in readings:
        if (
            r.kind in JUDGED_KINDS
            and received_at - r.data_time > LATE_AFTER
            and (r.point_id not in earliest or r.data_time < earliest[r.point_id])
        ):
            earliest[r.point_id] = r.data_time
    for pid, at in earliest.items():
        key = f"{BACKFILL_PREFIX}{received_at.strftime('%Y%m%dT%H%M')}:{pid}"
        prev = state.get(key)
        if prev is None or datetime.fromisoformat(prev["earliest"]) > at:
            state.put(key, {"point": pid, "earliest": at.isoformat()})
    return len(earliest)


class StoreRuleInputs:
    def __init__(
        self,
        store: Store,
        state: RuleStateRepository,
        county_id: str,
        *,
        reader: SampleReader | None = None,
        event_cache: TerminalEventCache | None = None,
    ) -> None:
        self._store = store
        self._reader = reader
        self._event_cache = event_cache  # kept across ticks: only for inputs whose every tick calls begin_tick
        self._state = state
        self._county = county_id
        self._topology: Topology | None = None
        self._purged_at: datetime | None = None
        self.overrides: dict[str, Any] = {}

    def topology(self) -> Topology:
        if self._topology is None:
            self._topology = self._load()
        return self._topology

    def config(self, base: RuleConfig) -> RuleConfig:
        """`base` with the registry's association parameters applied as overrides."""
        self.topology()
        return with_overrides(base, self.overrides)

    def _load(self) -> Topology:
        reg = self._store.registry
        terminals = {t.mn: t for t in reg.list_terminals(self._county)}
        topology, self.overrides = load_topology(reg, reg.list_enterprises(self._county), terminals)
        return topology

    def samples(self, point_ids: Sequence[str], start: datetime, end: datetime) -> Mapping[str, list[Sample]]:
        if self._reader is not None:
            return self._reader.samples(point_ids, start, end)
        out: dict[str, list[Sample]] = {}
        for pid in point_ids:
            rows = self._store.readings.readings(pid, ReadingKind.MINUTE, start, end, limit=100_000)
            if not rows:
                rows = self._store.readings.readings(pid, ReadingKind.REALTIME, start, end, limit=100_000)
            if rows:
                out[pid] = [to_sample(r) for r in rows]
        return out

    def begin_tick(self, now: datetime) -> None:
        if self._event_cache is not None:
            self._event_cache.begin_tick(self._store.events, now)

    def events(self, mns: Sequence[str], start: datetime, end: datetime) -> list[TerminalEvent]:
        out: list[TerminalEvent] = []
        repo, cache = self._store.events, self._event_cache
        for mn in mns:
            found = repo.events_for_mn(mn, start, end) if cache is None else cache.events(repo, mn, start, end)
            for e in found:
                kind = EVENT_KINDS.get(e.kind)
                if kind is not None:
                    out.append(TerminalEvent(e.occurred_at, e.mn, kind, dict(e.detail)))
        return sorted(out, key=lambda e: e.at)

    @property
    def reader(self) -> SampleReader | None:
        """The sample reader (a warm container's cached windows live in it), if any."""
        return self._reader

    def backfill_noted(self, point_ids: Collection[str], received_since: datetime) -> dict[str, str]:
        """Of `point_ids`, those with backfill noted since `received_since` (counted as `late_arrivals` counts:
        from the minute before), each with the newest minute noted (YYYYmmddTHHMM, the marks' own stamps)."""
        wanted, since = set(point_ids), (received_since - timedelta(minutes=1)).strftime("%Y%m%dT%H%M")
        out: dict[str, str] = {}
        for key in self._state.documents(BACKFILL_PREFIX, since):  # the notes since then only, in one read
            stamp, _, pid = key[len(BACKFILL_PREFIX) :].partition(":")
            if pid in wanted and stamp >= since and stamp > out.get(pid, ""):
                out[pid] = stamp
        return out

    def late_arrivals(self, received_since: datetime, data_before: datetime) -> Mapping[str, datetime]:
        out: dict[str, datetime] = {}
        touched: set[str] = set()
        self._purge_notes(received_since)
        # Only the notes since the last tick (the stamp is in the key), in one read: they are few, the day's are not.
        since = (received_since - timedelta(minutes=1)).strftime("%Y%m%dT%H%M")
        for doc in self._state.documents(BACKFILL_PREFIX, since).values():
            at = datetime.fromisoformat(doc["earliest"])
            pid = str(doc["point"])
            touched.add(pid)
            if at < data_before and (pid not in out or at < out[pid]):
                out[pid] = at
        if self._reader is not None and touched:
            self._reader.invalidate(sorted(touched))  # late data inside a cached range, too
        return out

    def _purge_notes(self, now: datetime) -> None:
        """Delete backfill notes older than a day, at most every PURGE_EVERY per process (reading them all)."""
        if self._purged_at is not None and now - self._purged_at < PURGE_EVERY:
            return
        purge_before = BACKFILL_PREFIX + (now - timedelta(days=1)).strftime("%Y%m%dT%H%M")
        for key in self._state.keys(BACKFILL_PREFIX):
            if key < purge_before:
                self._state.delete(key)
        self._purged_at = now


def load_topology(
    reg: RegistryRepository, enterprises: Iterable[Enterprise], terminals: Mapping[str, Terminal]
) -> tuple[Topology, dict[str, Any]]:
    """The rules' view of `enterprises` (exempt ones left out) and the rule-config overrides of their lines."""
    infos: dict[str, EnterpriseInfo] = {}
    points: dict[str, PointInfo] = {}
    assocs: dict[str, AssociationInfo] = {}
    over: dict[str, dict[str, dict[str, dict[str, float]]]] = {"association": {}, "point": {}}
    for e in enterprises:
        if e.exemption is not None:
            continue
        infos[e.enterprise_id] = EnterpriseInfo(e.enterprise_id, e.name, e.branch_id, e.town_id)
        facilities = {f.facility_id: f for f in reg.list_facilities(e.enterprise_id)}
        by_facility: dict[str, list[str]] = {}
        for p in reg.list_points(e.enterprise_id):
            if p.status.value == "disabled":
                continue
            if p.mn is None and p.status.value == "commissioning":  # planned, no terminal yet: nothing to watch
                continue
            f = facilities.get(p.facility_id)
            term = terminals.get(p.mn or "")
            interval = 60 * (term.minute_interval_min or 1) if term else 60
            points[p.point_id] = PointInfo(
                p.point_id,
                e.enterprise_id,
                ROLES[p.role],
                p.mn,
                p.name,
                rated_kw=f.rated_power_kw if f else None,
                rated_a=f.rated_current_a if f else None,
                interval_s=interval,
            )
            by_facility.setdefault(p.facility_id, []).append(p.point_id)
        for a in reg.list_associations(e.enterprise_id):
            prod = tuple(pid for fid in a.production_facility_ids for pid in by_facility.get(fid, ()))
            ctrl = tuple(by_facility.get(a.control_facility_id, ()))
            if not prod or not ctrl:
                continue
            assocs[a.association_id] = AssociationInfo(a.association_id, e.enterprise_id, prod, ctrl, a.name)
            over["association"][a.association_id] = _association_overrides(a.params)
            for pids, on_kw in ((prod, a.params.production_on_kw), (ctrl, a.params.control_on_kw)):
                if on_kw is not None:
                    for pid in pids:
                        over["point"][pid] = {"running_state": {"on_share_rated": 0.0, "on_min_kw": on_kw}}
    return Topology(infos, points, assocs), over


def with_overrides(base: RuleConfig, overrides: Mapping[str, Mapping[str, Any]]) -> RuleConfig:
    """`base` with the registry's overrides (from `load_topology`) applied; a bad entry is skipped, loudly."""
    config = base
    for scope, by_id in overrides.items():
        for ident, sections in by_id.items():
            try:
                config = config.with_overrides({scope: {ident: sections}})
            except InvalidInputError as exc:
                # One bad registry entry must not stop evaluation for everyone: skip it, loudly.
                log.warning("ignoring rule parameters of %s %s: %s", scope, ident, exc)
    return config


def _association_overrides(params: Any) -> dict[str, dict[str, float]]:
    """AssociationParams (registry) → rule sections. extra keys are "section.parameter"."""
    order: dict[str, float] = {}
    if params.start_lead_s is not None:
        order["start_lead_min"] = params.start_lead_s / 60
    if params.stop_lag_s is not None:
        order["stop_lag_min"] = params.stop_lag_s / 60
    out: dict[str, dict[str, float]] = {
        "control_stopped": {"min_duration_min": params.confirm_s / 60},
        "control_low_load": {"baseline_share": params.low_load_ratio},
        "start_stop_order": order,
    }
    for key, value in params.extra.items():
        section, _, name = str(key).partition(".")
        if name:
            out.setdefault(section, {})[name] = float(value)
    return out
