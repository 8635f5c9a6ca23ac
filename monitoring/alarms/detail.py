"""One alarm as a person reads it: episodes in words, deadlines and time left, the line's power series, audit.

More: docs/monitoring.md, "Alarm list and detail".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitoring.alarms.evidence_words import episode_in_words, quality_in_words
from monitoring.alarms.listing import deadlines, overdue_kinds
from monitoring.alarms.models import Alarm, AuditEntry
from monitoring.errors import NotFoundError
from monitoring.evaluation.catalogue import RULES
from monitoring.readings.models import ReadingKind
from monitoring.registry.models import FacilityKind, MonitoringPoint
from monitoring.storage.ports import Store

SERIES_BEFORE = timedelta(hours=1)  # context before the episode starts
SERIES_AFTER = timedelta(minutes=30)
SERIES_MAX = timedelta(hours=24)  # minute data: at most a day (1,440 readings per point)
SERIES_QUANTITY = "p"  # total active power, kW


@dataclass(frozen=True, slots=True)
class PointSeries:
    """One point's minute power around the episode: production or control side of the line."""

    point_id: str
    name: str
    side: str  # production | control | other
    values: tuple[tuple[datetime, float | None], ...]


@dataclass(frozen=True, slots=True)
class AlarmDetail:
    alarm: Alarm
    rule_name: str
    enterprise_name: str
    episode_words: tuple[tuple[str, ...], ...]  # per episode, in the alarm's order
    quality_words: tuple[str, ...]  # of the latest live episode
    deadlines: dict[str, datetime]
    overdue: tuple[str, ...]
    series_start: datetime
    series_end: datetime
    series: tuple[PointSeries, ...]
    audit: tuple[AuditEntry, ...]


def _side(point: MonitoringPoint, production: frozenset[str], control: frozenset[str]) -> str:
    if point.facility_id in control:
        return "control"
    if point.facility_id in production or point.role in (FacilityKind.PRODUCTION, FacilityKind.COMBINED):
        return "production"
    return "other"


def line_points(store: Store, alarm: Alarm) -> list[tuple[MonitoringPoint, str]]:
    """The points of the alarm's line: every production and control point of the associations (产治关联) that
    hold the alarm's points (or that its evidence names), else the alarm's own points."""
    points = {p.point_id: p for p in store.registry.list_points(alarm.enterprise_id)}
    named = {e.evidence.get("association") for e in alarm.episodes} - {None}
    facilities = {points[pid].facility_id for pid in alarm.point_ids if pid in points}
    production: set[str] = set()
    control: set[str] = set()
    for assoc in store.registry.list_associations(alarm.enterprise_id):
        line = {assoc.control_facility_id, *assoc.production_facility_ids}
        if assoc.association_id in named or line & facilities:
            production.update(assoc.production_facility_ids)
            control.add(assoc.control_facility_id)
    chosen = [p for p in points.values() if p.facility_id in production | control]
    chosen += [points[pid] for pid in alarm.point_ids if pid in points and points[pid] not in chosen]
    prod, ctrl = frozenset(production), frozenset(control)
    order = {"production": 0, "control": 1, "other": 2}
    return sorted(((p, _side(p, prod, ctrl)) for p in chosen), key=lambda x: (order[x[1]], x[0].point_id))


def series_window(alarm: Alarm, now: datetime) -> tuple[datetime, datetime]:
    live = alarm.live_episodes or alarm.episodes
    if not live:
        return now - SERIES_BEFORE, now
    last = max(live, key=lambda e: e.start)
    start = last.start - SERIES_BEFORE
    end = min((last.end or now) + SERIES_AFTER, now, start + SERIES_MAX)
    return start, max(end, start + timedelta(minutes=1))


def _series(
    store: Store, points: Sequence[tuple[MonitoringPoint, str]], t0: datetime, t1: datetime
) -> list[PointSeries]:
    if store.sample_reader is not None:  # the backend's one-query reader (sqlite): a day of two points in ~15 ms
        found = store.sample_reader(cache=False).samples([p.point_id for p, _ in points], t0, t1)
        return [
            PointSeries(p.point_id, p.name, side, tuple((s.at, s.p) for s in found.get(p.point_id, ())))
            for p, side in points
        ]
    out: list[PointSeries] = []
    for point, side in points:
        rows = store.readings.readings(point.point_id, ReadingKind.MINUTE, t0, t1, limit=1500)
        values = tuple((r.data_time, r.values.get(SERIES_QUANTITY)) for r in rows)
        out.append(PointSeries(point.point_id, point.name, side, values))
    return out


def display_names(store: Store, enterprise_id: str) -> dict[str, str]:
    """Id → name of the enterprise's points, facilities and lines, for the evidence in words."""
    names = {f.facility_id: f.name for f in store.registry.list_facilities(enterprise_id)}
    names |= {a.association_id: a.name for a in store.registry.list_associations(enterprise_id)}
    names |= {p.point_id: p.name for p in store.registry.list_points(enterprise_id)}
    return {k: v for k, v in names.items() if v}


def alarm_detail(store: Store, alarm_id: str, now: datetime) -> AlarmDetail:
    """Everything the detail page shows, read from the store (NotFoundError when the alarm does not exist)."""
    alarm = store.alarms.get(alarm_id)
    try:
        enterprise_name = store.registry.get_enterprise(alarm.enterprise_id).name
    except NotFoundError:
        enterprise_name = alarm.enterprise_id
    spec = RULES.get(alarm.rule)
    names = display_names(store, alarm.enterprise_id)
    live = alarm.live_episodes or alarm.episodes
    latest = max(live, key=lambda e: e.start) if live else None
    t0, t1 = series_window(alarm, now)
    return AlarmDetail(
        alarm=alarm,
        rule_name=spec.name if spec else alarm.rule,
        enterprise_name=enterprise_name,
        episode_words=tuple(tuple(episode_in_words(e, names)) for e in alarm.episodes),
        quality_words=tuple(quality_in_words(latest.quality)) if latest else (),
        deadlines=deadlines(alarm),
        overdue=tuple(overdue_kinds(alarm, now)),
        series_start=t0,
        series_end=t1,
        series=tuple(_series(store, line_points(store, alarm), t0, t1)),
        audit=tuple(store.audit.for_alarm(alarm.id)),
    )
