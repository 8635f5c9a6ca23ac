"""In-memory adapters for the rules, alarm, audit, report and emergency repositories (tests, replay, bench)."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from monitoring.alarms.models import Alarm, AlarmState, AuditEntry
from monitoring.emergency.models import EmergencyAlert, EnterpriseMeasures, HaltOrder
from monitoring.errors import ConflictError, NotFoundError
from monitoring.reports.models import FaultReport, StoppageRequest


class MemoryAlarmRepository:
    def __init__(self) -> None:
        self._by_id: dict[str, Alarm] = {}
        self._latest: dict[tuple[str, str], str] = {}

    def get(self, alarm_id: str) -> Alarm:
        try:
            return self._by_id[alarm_id]
        except KeyError as exc:
            raise NotFoundError(f"alarm {alarm_id} not found") from exc

    def latest(self, subject: str, rule: str) -> Alarm | None:
        aid = self._latest.get((subject, rule))
        return None if aid is None else self._by_id[aid]

    def open_for_enterprise(self, enterprise_id: str) -> list[Alarm]:
        return [a for a in self._by_id.values() if a.enterprise_id == enterprise_id and a.open]

    def list(
        self,
        *,
        enterprise_id: str | None = None,
        states: Sequence[AlarmState] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 1000,
    ) -> list[Alarm]:
        out = [
            a
            for a in self._by_id.values()
            if (enterprise_id is None or a.enterprise_id == enterprise_id)
            and (states is None or a.state in states)
            and (since is None or a.created_at >= since)
            and (until is None or a.created_at < until)
        ]
        out.sort(key=lambda a: (a.created_at, a.id), reverse=True)
        return out[:limit]

    def put(self, alarm: Alarm, *, expected_version: int | None) -> Alarm:
        current = self._by_id.get(alarm.id)
        if expected_version is None:
            if current is not None:
                raise ConflictError(f"alarm {alarm.id} exists")
            latest = self.latest(alarm.subject, alarm.rule)
            if latest is not None and latest.open:
                raise ConflictError(f"an open alarm of {alarm.rule} for {alarm.subject} exists: {latest.id}")
        elif current is None or current.version != expected_version:
            raise ConflictError(f"alarm {alarm.id} changed concurrently")
        stored = replace(alarm, version=(0 if current is None else current.version) + 1)
        self._by_id[alarm.id] = stored
        if expected_version is None:
            self._latest[(alarm.subject, alarm.rule)] = alarm.id
        return stored


class MemoryAuditLog:
    def __init__(self) -> None:
        self._entries: list[AuditEntry] = []

    def append(self, entry: AuditEntry) -> None:
        self._entries.append(entry)

    def for_alarm(self, alarm_id: str) -> list[AuditEntry]:
        return [e for e in self._entries if e.alarm_id == alarm_id]


class MemoryRuleState:
    def __init__(self) -> None:
        self._docs: dict[str, dict[str, Any]] = {}

    def get(self, key: str) -> dict[str, Any] | None:
        doc = self._docs.get(key)
        return None if doc is None else copy.deepcopy(doc)

    def put(self, key: str, value: dict[str, Any]) -> None:
        self._docs[key] = copy.deepcopy(value)

    def delete(self, key: str) -> None:
        self._docs.pop(key, None)

    def keys(self, prefix: str) -> list[str]:
        return sorted(k for k in self._docs if k.startswith(prefix))


class MemoryReportRepository:
    def __init__(self) -> None:
        self._faults: dict[str, FaultReport] = {}
        self._stoppages: dict[str, StoppageRequest] = {}

    def put_fault(self, report: FaultReport) -> None:
        self._faults[report.id] = report

    def get_fault(self, report_id: str) -> FaultReport:
        try:
            return self._faults[report_id]
        except KeyError as exc:
            raise NotFoundError(f"fault report {report_id} not found") from exc

    def faults_for(self, enterprise_id: str) -> list[FaultReport]:
        return sorted((f for f in self._faults.values() if f.enterprise_id == enterprise_id), key=lambda f: f.filed_at)

    def put_stoppage(self, request: StoppageRequest) -> None:
        self._stoppages[request.id] = request

    def get_stoppage(self, request_id: str) -> StoppageRequest:
        try:
            return self._stoppages[request_id]
        except KeyError as exc:
            raise NotFoundError(f"stoppage request {request_id} not found") from exc

    def stoppages_for(self, enterprise_id: str) -> list[StoppageRequest]:
        found = (s for s in self._stoppages.values() if s.enterprise_id == enterprise_id)
        return sorted(found, key=lambda s: s.filed_at)


class MemoryEmergencyRepository:
    def __init__(self) -> None:
        self._alerts: dict[str, EmergencyAlert] = {}
        self._measures: dict[str, EnterpriseMeasures] = {}
        self._halts: dict[str, HaltOrder] = {}

    def put_alert(self, alert: EmergencyAlert) -> None:
        self._alerts[alert.id] = alert

    def get_alert(self, alert_id: str) -> EmergencyAlert:
        try:
            return self._alerts[alert_id]
        except KeyError as exc:
            raise NotFoundError(f"emergency alert {alert_id} not found") from exc

    def alerts_between(self, start: datetime, end: datetime) -> list[EmergencyAlert]:
        return sorted((a for a in self._alerts.values() if a.start < end and a.end > start), key=lambda a: a.start)

    def put_measures(self, measures: EnterpriseMeasures) -> None:
        self._measures[measures.enterprise_id] = measures

    def measures(self) -> dict[str, EnterpriseMeasures]:
        return dict(self._measures)

    def put_halt(self, order: HaltOrder) -> None:
        self._halts[order.id] = order

    def halts_between(self, start: datetime, end: datetime) -> list[HaltOrder]:
        found = (h for h in self._halts.values() if h.start < end and (h.end is None or h.end > start))
        return sorted(found, key=lambda h: h.start)


@dataclass
class MemoryRulesStores:
    """Every repository of the rules area, in memory."""

    state: MemoryRuleState = field(default_factory=MemoryRuleState)
    alarms: MemoryAlarmRepository = field(default_factory=MemoryAlarmRepository)
    audit: MemoryAuditLog = field(default_factory=MemoryAuditLog)
    reports: MemoryReportRepository = field(default_factory=MemoryReportRepository)
    emergency: MemoryEmergencyRepository = field(default_factory=MemoryEmergencyRepository)
