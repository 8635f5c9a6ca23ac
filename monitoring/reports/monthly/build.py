"""The monthly report's figures from the store: alarms raised in the month (by rule, by state now, against the
2 h / 24 h limits), each enterprise's online rate and completeness, emergency alerts, campaign and maintenance.

Everything is counted in Beijing-time month bounds; a month after today is refused, an empty month is reported
as empty. More: docs/reports.md.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta

from monitoring._time import china_day, china_day_bounds
from monitoring.alarms.listing import INVESTIGATION_LIMIT, RESPONSE_LIMIT
from monitoring.alarms.models import Alarm, AlarmState
from monitoring.campaign.progress import STEP_LABELS, progress
from monitoring.emergency.models import LEVEL_NAMES, EmergencyAlert, Level
from monitoring.errors import InvalidInputError, NotFoundError
from monitoring.evaluation.catalogue import RULES
from monitoring.maintenance.models import MaintenanceKind
from monitoring.maintenance.schedule import RepairState, inspection_due
from monitoring.maintenance.service import repair_obligations
from monitoring.registry.models import Enterprise, InstallStatus
from monitoring.reports.monthly.model import (
    AlertCompliance,
    EnterpriseMonth,
    MaintenanceRow,
    MonthlyReport,
    RuleCount,
    Scope,
    ScopeKind,
    TimeLimit,
    UnitRow,
    month_bounds,
)
from monitoring.reports.workdays import calendar_warning
from monitoring.storage.ports import Store

MINUTES_PER_DAY = 1440  # a point-day without a completeness record expected minute data and got none
_HOUR = timedelta(hours=1)
_SEVERITY = list(Level)  # yellow, orange, red: the more severe of two alerts of one window is listed first


def _hours(td: timedelta) -> float:
    return td.total_seconds() / 3600


def _quantiles(values: Sequence[float]) -> tuple[float | None, float | None]:
    if not values:
        return None, None
    if len(values) == 1:
        return round(values[0], 2), round(values[0], 2)
    p90 = statistics.quantiles(values, n=10, method="inclusive")[8]
    return round(statistics.median(values), 2), round(p90, 2)


def time_limit(
    name: str, limit: timedelta, started: Iterable[tuple[datetime, datetime | None]], now: datetime
) -> TimeLimit:
    """(start, done or None) pairs against `limit`: undone past the limit counts as over, undone before as running."""
    within = over = running = 0
    taken: list[float] = []
    for start, done in started:
        if done is None:
            if now - start > limit:
                over += 1
            else:
                running += 1
            continue
        taken.append(_hours(done - start))
        if done - start <= limit:
            within += 1
        else:
            over += 1
    median, p90 = _quantiles(sorted(taken))
    return TimeLimit(name, _hours(limit), within, over, running, median, p90)


def _scope_enterprises(store: Store, county_id: str, scope: Scope) -> tuple[str, list[Enterprise]]:
    registry = store.registry
    if scope.kind is ScopeKind.COUNTY:
        return registry.get_county(county_id).name, registry.list_enterprises(county_id)
    if scope.kind is ScopeKind.TOWN:
        towns = {t.town_id: t.name for t in registry.list_towns(county_id)}
        if scope.unit_id not in towns:
            raise NotFoundError(f"镇（街道）不存在：{scope.unit_id}")
        return towns[scope.unit_id], registry.list_enterprises(county_id, town_id=scope.unit_id)
    branches = {b.branch_id: b.name for b in registry.list_branches(county_id)}
    if scope.unit_id not in branches:
        raise NotFoundError(f"执法分局不存在：{scope.unit_id}")
    return branches[scope.unit_id], registry.list_enterprises(county_id, branch_id=scope.unit_id)


def _rules(alarms: Sequence[Alarm]) -> list[RuleCount]:
    by_rule: dict[str, Counter[str]] = defaultdict(Counter)
    for a in alarms:
        by_rule[a.rule][a.state.value] += 1
    rows = [
        RuleCount(rule, RULES[rule].name if rule in RULES else rule, sum(c.values()), dict(c))
        for rule, c in by_rule.items()
    ]
    return sorted(rows, key=lambda r: (-r.total, r.rule))


def _limits(alarms: Sequence[Alarm], now: datetime) -> tuple[TimeLimit, TimeLimit]:
    live = [a for a in alarms if a.state is not AlarmState.RETRACTED]
    response = time_limit(
        "企业响应（2小时内）",
        RESPONSE_LIMIT,
        ((a.created_at, a.response.at if a.response else None) for a in live),
        now,
    )
    dispatched = [a for a in live if a.dispatched_at is not None]
    investigation = time_limit(
        "分局核查（派发后24小时内）",
        INVESTIGATION_LIMIT,
        ((a.dispatched_at, a.verification.at if a.verification else None) for a in dispatched if a.dispatched_at),
        now,
    )
    return response, investigation


class _Presence:
    """Per enterprise: the hours (UTC starts) with data from some point, per terminal the hours it reported, and
    completeness figures."""

    def __init__(self, store: Store, enterprises: Sequence[Enterprise], start: datetime, end: datetime) -> None:
        self.hours: dict[str, set[datetime]] = {}
        self.terminal_hours: dict[str, list[int]] = {}
        self.points: dict[str, int] = {}
        self.samples: dict[str, tuple[int, int]] = {}  # received, expected
        first_day = china_day(start)
        closed_days = [d for d in _days(first_day, china_day(end - _HOUR)) if china_day_bounds(d)[1] <= end]
        for e in enterprises:
            points = store.registry.list_points(e.enterprise_id)
            pids = [p.point_id for p in points]
            self.points[e.enterprise_id] = len(pids)
            found = store.readings.hours_with_data(pids, start, end) if pids else {}
            self.hours[e.enterprise_id] = set().union(*found.values())
            terminals: dict[str, set[datetime]] = {}  # MN (or the point, when unbound) → its hours with data
            for p in points:
                terminals.setdefault(p.mn or p.point_id, set()).update(found.get(p.point_id, ()))
            self.terminal_hours[e.enterprise_id] = [len(h) for h in terminals.values()]
            received = expected = 0
            if closed_days:
                for pid in pids:
                    days = {c.day: c for c in store.readings.completeness(pid, closed_days[0], closed_days[-1])}
                    for d in closed_days:
                        c = days.get(d)
                        received += c.received if c else 0
                        expected += c.expected if c else MINUTES_PER_DAY
            self.samples[e.enterprise_id] = (received, expected)

    def online_rate(self, eid: str, hours: int) -> float | None:
        if not self.points[eid] or hours <= 0:
            return None
        per_terminal = self.terminal_hours[eid]  # an hour is online for a terminal when one of its points reported
        return round(sum(per_terminal) / (len(per_terminal) * hours), 4)

    def completeness(self, eid: str) -> float | None:
        received, expected = self.samples[eid]
        return round(min(received / expected, 1.0), 4) if self.points[eid] and expected else None

    def seen_between(self, eid: str, start: datetime, end: datetime) -> bool:
        return any(start - _HOUR < h < end for h in self.hours[eid])


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _curtailment(
    store: Store, county_id: str, enterprises: Sequence[Enterprise], presence: _Presence, start: datetime, end: datetime
) -> list[AlertCompliance]:
    """One row per window: alerts declared with the same title, level, start and end (the demo declares one per
    enterprise) are one curtailment over the union of the enterprises they cover."""
    alerts = [a for a in store.emergency.alerts_between(start, end) if a.county_id in ("", county_id)]
    if not alerts:
        return []
    since = min(a.start for a in alerts)
    until = max(a.end for a in alerts) + timedelta(days=1)
    violation = [
        a for a in store.alarms.list(since=since, until=until, limit=1_000_000) if a.rule == "emergency_violation"
    ]
    windows: dict[tuple[str, str, datetime, datetime], list[EmergencyAlert]] = {}
    for alert in alerts:
        title = alert.title or f"{LEVEL_NAMES[alert.level]}预警"
        windows.setdefault((title, LEVEL_NAMES[alert.level], alert.start, alert.end), []).append(alert)
    out = []
    for (title, level, a_start, a_end), declared in sorted(windows.items(), key=_window_order):
        covered = [e for e in enterprises if any(a.covers(e.enterprise_id, e.town_id) for a in declared)]
        bad = {
            a.enterprise_id
            for a in violation
            if a.state is not AlarmState.RETRACTED and a_start <= a.data_start < a_end
        }
        violators = [e.name for e in covered if e.enterprise_id in bad]
        lo, hi = max(a_start, start), min(a_end, end)
        silent = [
            e for e in covered if e.enterprise_id not in bad and not presence.seen_between(e.enterprise_id, lo, hi)
        ]
        out.append(
            AlertCompliance(
                title, level, a_start, a_end, len(covered), len(violators), len(silent), tuple(violators), len(declared)
            )
        )
    return out


def _window_order(item: tuple[tuple[str, str, datetime, datetime], list[EmergencyAlert]]) -> tuple[object, ...]:
    (title, _, start, end), declared = item
    return start, end, -max(_SEVERITY.index(a.level) for a in declared), title


def _maintenance(
    store: Store, county_id: str, enterprises: Sequence[Enterprise], start: datetime, end: datetime
) -> list[MaintenanceRow]:
    """Per enterprise: the month's inspections and repairs, and whether a bound terminal was past the 14-day limit
    at `end`, judged (maintenance.schedule) from the log as it stood then: a later inspection does not count."""
    terminals: dict[str, list[str]] = defaultdict(list)
    for t in store.registry.list_terminals(county_id):
        if t.enterprise_id is not None:
            terminals[t.enterprise_id].append(t.mn)
    rows = []
    for e in enterprises:
        entries = [m for m in store.maintenance.entries_for(e.enterprise_id, limit=1000) if m.at < end]
        last: dict[str, tuple[datetime, str]] = {}
        commissioned: dict[str, datetime] = {}
        for m in reversed(entries):  # oldest first, as maintenance.service reads the log
            if m.kind is MaintenanceKind.INSPECTION and m.mn and m.checklist:
                last[m.mn] = (m.at, m.entry_id)
            elif m.kind is MaintenanceKind.COMMISSIONING and m.mn and m.passed and m.mn not in commissioned:
                commissioned[m.mn] = m.at
        dues = [
            inspection_due(mn, e.enterprise_id, end, last_inspection=last.get(mn), commissioned_at=commissioned.get(mn))
            for mn in terminals[e.enterprise_id]
        ]
        month = [m for m in entries if m.at >= start]
        inspected = [d.last_inspection_at for d in dues if d.last_inspection_at is not None]
        rows.append(
            MaintenanceRow(
                e.name,
                sum(1 for m in month if m.kind is MaintenanceKind.INSPECTION),
                sum(1 for m in month if m.kind is MaintenanceKind.REPAIR),
                china_day(max(inspected)) if inspected else None,
                any(d.overdue for d in dues),
            )
        )
    return rows


def _repairs(store: Store, ids: set[str], start: datetime, end: datetime, now: datetime) -> list[tuple[str, int]]:
    """Repair obligations (24 h) opened in the month, by their state now (maintenance.service)."""
    opened = repair_obligations(store, now, ids, lookback=now - start)
    counts = Counter(o.state for o in opened if start <= o.opened_at < end)
    return [(s.label, counts[s]) for s in RepairState]


def _units(
    kind: str,
    key: dict[str, str],
    names: dict[str, str],
    rows: Sequence[EnterpriseMonth],
    alarms: Sequence[Alarm],
    now: datetime,
) -> list[UnitRow]:
    """One row per town or branch; `key` maps enterprise id → unit id."""
    late = {a.id for a in alarms if a.state is not AlarmState.RETRACTED and _response_late(a, now)}
    out = []
    for unit_id, name in names.items():
        mine = [r for r in rows if key[r.enterprise_id] == unit_id]
        rates = [r.online_rate for r in mine if r.online_rate is not None]
        own = [a for a in alarms if key.get(a.enterprise_id) == unit_id]
        out.append(
            UnitRow(
                kind,
                name,
                len(mine),
                len(own),
                sum(1 for a in own if a.id in late),
                round(statistics.fmean(rates), 4) if rates else None,
            )
        )
    return out


def _campaign_overdue(
    store: Store, county_id: str, enterprises: Sequence[Enterprise], day: date
) -> tuple[str, list[tuple[str, int]]]:
    """The latest campaign's name and its overdue steps on `day` (the month's last counted day), per step."""
    campaigns = store.campaign.list_campaigns(county_id)
    if not campaigns:
        return "", []
    campaign = campaigns[-1]
    files = {f.enterprise_id: f for f in store.campaign.list_files(campaign.campaign_id)}
    _, _, overdue = progress(campaign, enterprises, files, day, town_names={}, branch_names={})
    counts = Counter(o.step for o in overdue)
    return campaign.name, [(label, counts[step]) for step, label in STEP_LABELS.items()]


def _response_late(a: Alarm, now: datetime) -> bool:
    done = a.response.at if a.response else now
    return done - a.created_at > RESPONSE_LIMIT


def build_monthly(store: Store, county_id: str, scope: Scope, month: date, now: datetime) -> MonthlyReport:
    """The report of `month` (its first day) for `scope`; NotFoundError for an unknown town or branch."""
    start, end = month_bounds(month)
    if start > now:
        raise InvalidInputError("不能统计未来的月份")
    counted_end = min(end, now.replace(minute=0, second=0, microsecond=0))
    scope_name, enterprises = _scope_enterprises(store, county_id, scope)
    enterprises = sorted(enterprises, key=lambda e: (e.list_year or 0, e.list_seq or 1 << 30, e.name, e.enterprise_id))
    ids = {e.enterprise_id for e in enterprises}
    alarms = [a for a in store.alarms.list(since=start, until=end, limit=1_000_000) if a.enterprise_id in ids]
    response, investigation = _limits(alarms, now)
    towns = {t.town_id: t.name for t in store.registry.list_towns(county_id)}
    branches = {b.branch_id: b.name for b in store.registry.list_branches(county_id)}
    presence = _Presence(store, enterprises, start, counted_end)
    hours = int((counted_end - start) / _HOUR)
    per_enterprise = Counter(a.enterprise_id for a in alarms)
    rows = [
        EnterpriseMonth(
            e.enterprise_id,
            e.name,
            towns.get(e.town_id, e.town_id),
            branches.get(e.branch_id, e.branch_id),
            "豁免" if e.exemption is not None else e.install_status.label,
            presence.points[e.enterprise_id],
            presence.online_rate(e.enterprise_id, hours),
            presence.completeness(e.enterprise_id),
            per_enterprise[e.enterprise_id],
        )
        for e in enterprises
    ]
    status = Counter(e.install_status for e in enterprises if e.exemption is None)
    units: list[UnitRow] = []
    if scope.kind is ScopeKind.COUNTY:
        units = _units("镇（街道）", {e.enterprise_id: e.town_id for e in enterprises}, towns, rows, alarms, now)
        units += _units("执法分局", {e.enterprise_id: e.branch_id for e in enterprises}, branches, rows, alarms, now)
    campaign_name, campaign_overdue = _campaign_overdue(
        store, county_id, enterprises, china_day(counted_end - timedelta(microseconds=1))
    )
    return MonthlyReport(
        county=store.registry.get_county(county_id).name,
        scope=scope,
        scope_name=scope_name,
        month=month,
        generated_at=now,
        rules=_rules(alarms),
        response=response,
        investigation=investigation,
        enterprises=rows,
        curtailment=_curtailment(store, county_id, enterprises, presence, start, counted_end),
        campaign=[(s.label, status[s]) for s in InstallStatus],
        exempt=sum(1 for e in enterprises if e.exemption is not None),
        maintenance=_maintenance(store, county_id, enterprises, start, min(end, now)),
        repairs=_repairs(store, ids, start, end, now),
        units=units,
        campaign_name=campaign_name,
        campaign_overdue=campaign_overdue,
        calendar_warning=calendar_warning([month, china_day(counted_end - timedelta(microseconds=1))]),
    )
