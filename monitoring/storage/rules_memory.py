"""In-memory primitives of the alarm, audit, rule-state, report and emergency repositories (part of
`memory_store()`; also used alone by unit tests and replay)."""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from monitoring.alarms.listing import AlarmQuery, Position, in_list_order, position
from monitoring.alarms.models import Alarm, AuditEntry
from monitoring.emergency.models import EmergencyAlert, EnterpriseMeasures, HaltOrder
from monitoring.errors import ConflictError
from monitoring.reports.models import FaultReport, StoppageRequest
from monitoring.storage.base import (
    AlarmFilter,
    AlarmRepositoryBase,
    EmergencyRepositoryBase,
    ReportPosition,
    ReportRepositoryBase,
    RuleStateRepositoryBase,
    report_position,
)
from monitoring.storage.base.county import Locate, nowhere, placed


class MemoryAlarmRepository(AlarmRepositoryBase):
    def __init__(self, locate: Locate = nowhere) -> None:
        self._locate = locate
        self._lock = threading.RLock()
        self._by_id: dict[str, Alarm] = {}
        self._latest: dict[tuple[str, str], str] = {}

    def _get_alarm(self, alarm_id: str) -> Alarm | None:
        return self._by_id.get(alarm_id)

    def _latest_id(self, subject: str, rule: str) -> str | None:
        return self._latest.get((subject, rule))

    def _open_alarms(self, enterprise_id: str) -> list[Alarm]:
        with self._lock:
            return [a for a in self._by_id.values() if a.enterprise_id == enterprise_id and a.open]

    def _query_alarms(self, where: AlarmFilter, limit: int) -> list[Alarm]:
        with self._lock:
            found = [a for a in self._by_id.values() if where.matches(a)]
        return [a for a in found if placed(self._locate(a.enterprise_id), where.county_id)]

    def _alarm_list(self, query: AlarmQuery, after: Position | None) -> Iterator[Alarm]:
        with self._lock:
            found = [a for a in self._by_id.values() if query.matches(a)]
        where = (query.county_id, query.branch_ids, query.town_ids)
        hits = [a for a in found if placed(self._locate(a.enterprise_id), *where)]
        return iter([a for a in in_list_order(hits) if after is None or position(a) > after])

    def _dispatched_alarms(self, branch_id: str) -> list[Alarm]:
        with self._lock:
            return [a for a in self._by_id.values() if a.dispatched_to == branch_id]

    def _insert_alarm(self, alarm: Alarm) -> None:
        with self._lock:
            if alarm.id in self._by_id:
                raise ConflictError(f"alarm {alarm.id} exists")
            latest = self._latest.get((alarm.subject, alarm.rule))
            if latest is not None and self._by_id[latest].open:
                raise ConflictError(f"an open alarm of {alarm.rule} for {alarm.subject} exists: {latest}")
            self._by_id[alarm.id] = alarm
            self._latest[(alarm.subject, alarm.rule)] = alarm.id

    def _replace_alarm(self, alarm: Alarm, expected_version: int, *, is_latest: bool) -> None:
        with self._lock:
            current = self._by_id.get(alarm.id)
            if current is None or current.version != expected_version:
                raise ConflictError(f"alarm {alarm.id} changed concurrently or does not exist")
            self._by_id[alarm.id] = alarm


class MemoryAuditLog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[AuditEntry] = []

    def append(self, entry: AuditEntry) -> None:
        with self._lock:
            self._entries.append(entry)

    def for_alarm(self, alarm_id: str) -> list[AuditEntry]:
        with self._lock:
            return [e for e in self._entries if e.alarm_id == alarm_id]


class MemoryRuleState(RuleStateRepositoryBase):
    def __init__(self) -> None:
        self._docs: dict[str, dict[str, Any]] = {}

    def _get_doc(self, key: str) -> dict[str, Any] | None:
        doc = self._docs.get(key)
        return None if doc is None else copy.deepcopy(doc)

    def _put_doc(self, key: str, doc: dict[str, Any]) -> None:
        self._docs[key] = copy.deepcopy(doc)

    def _delete_doc(self, key: str) -> None:
        self._docs.pop(key, None)

    def _keys(self, prefix: str) -> list[str]:
        return [k for k in self._docs if k.startswith(prefix)]


class MemoryReportRepository(ReportRepositoryBase):
    def __init__(self, locate: Locate = nowhere) -> None:
        self._locate = locate
        self._lock = threading.Lock()
        self._faults: dict[str, FaultReport] = {}
        self._stoppages: dict[str, StoppageRequest] = {}

    def _put_fault(self, report: FaultReport) -> None:
        self._faults[report.id] = report

    def _get_fault(self, report_id: str) -> FaultReport | None:
        return self._faults.get(report_id)

    def _faults_for(self, enterprise_id: str) -> list[FaultReport]:
        return [f for f in self._faults.values() if f.enterprise_id == enterprise_id]

    def _put_stoppage(self, request: StoppageRequest) -> None:
        self._stoppages[request.id] = request

    def _wanted(self, enterprise_id: str, enterprise_ids: frozenset[str] | None, county_id: str | None) -> bool:
        return (enterprise_ids is None or enterprise_id in enterprise_ids) and (
            county_id is None or placed(self._locate(enterprise_id), county_id)
        )

    def _recent_faults(
        self, enterprise_ids: frozenset[str] | None, before: ReportPosition | None, county_id: str | None
    ) -> Iterator[FaultReport]:
        hits = [f for f in list(self._faults.values()) if self._wanted(f.enterprise_id, enterprise_ids, county_id)]
        return iter(sorted(hits, key=lambda f: report_position(f.filed_at, f.id), reverse=True))

    def _recent_stoppages(
        self, enterprise_ids: frozenset[str] | None, before: ReportPosition | None, county_id: str | None
    ) -> Iterator[StoppageRequest]:
        hits = [s for s in list(self._stoppages.values()) if self._wanted(s.enterprise_id, enterprise_ids, county_id)]
        return iter(sorted(hits, key=lambda s: report_position(s.filed_at, s.id), reverse=True))

    def _swap_fault(self, report: FaultReport, expected: FaultReport) -> None:
        with self._lock:
            if self._faults.get(report.id) != expected:
                raise ConflictError(f"fault report {report.id} changed concurrently or does not exist")
            self._faults[report.id] = report

    def _swap_stoppage(self, request: StoppageRequest, expected: StoppageRequest) -> None:
        with self._lock:
            if self._stoppages.get(request.id) != expected:
                raise ConflictError(f"stoppage request {request.id} changed concurrently or does not exist")
            self._stoppages[request.id] = request

    def _get_stoppage(self, request_id: str) -> StoppageRequest | None:
        return self._stoppages.get(request_id)

    def _stoppages_for(self, enterprise_id: str) -> list[StoppageRequest]:
        return [s for s in self._stoppages.values() if s.enterprise_id == enterprise_id]


class MemoryEmergencyRepository(EmergencyRepositoryBase):
    def __init__(self) -> None:
        self._alerts: dict[str, EmergencyAlert] = {}
        self._measures: dict[str, EnterpriseMeasures] = {}
        self._halts: dict[str, HaltOrder] = {}

    def _put_alert(self, alert: EmergencyAlert) -> None:
        self._alerts[alert.id] = alert

    def _get_alert(self, alert_id: str) -> EmergencyAlert | None:
        return self._alerts.get(alert_id)

    def _alerts_starting_before(self, end: datetime) -> list[EmergencyAlert]:
        return [a for a in self._alerts.values() if a.start < end]

    def _put_measures(self, measures: EnterpriseMeasures) -> None:
        self._measures[measures.enterprise_id] = measures

    def _all_measures(self) -> list[EnterpriseMeasures]:
        return list(self._measures.values())

    def _put_halt(self, order: HaltOrder) -> None:
        self._halts[order.id] = order

    def _halts_starting_before(self, end: datetime) -> list[HaltOrder]:
        return [h for h in self._halts.values() if h.start < end]
