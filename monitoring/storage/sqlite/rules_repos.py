"""sqlite adapters for the rules, alarm, audit, report and emergency repositories (schema/60_rules.sql).

Each takes an open `sqlite3.Connection` (the package's db module owns opening, pragmas and migrations;
`apply_schema` is here for stand-alone use). Backend errors are translated: IntegrityError → ConflictError,
OperationalError (locked, I/O) → StorageUnavailableError.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from monitoring.alarms.models import Alarm, AlarmState, AuditEntry
from monitoring.emergency.models import EmergencyAlert, EnterpriseMeasures, HaltOrder
from monitoring.errors import ConflictError, NotFoundError
from monitoring.reports.models import FaultReport, StoppageRequest
from monitoring.storage import rules_codec as codec
from monitoring.storage.sqlite.db import Database


def _ts(t: datetime) -> str:
    return t.astimezone(UTC).isoformat()


def _dump(doc: dict[str, Any]) -> str:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


class SqliteAlarmRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def _one(self, sql: str, args: Sequence[Any]) -> Alarm | None:
        with self._db.read() as c:
            row = c.execute(sql, args).fetchone()
        return None if row is None else codec.alarm_from_dict(json.loads(row[0]))

    def get(self, alarm_id: str) -> Alarm:
        alarm = self._one("SELECT doc FROM alarms WHERE id = ?", (alarm_id,))
        if alarm is None:
            raise NotFoundError(f"alarm {alarm_id} not found")
        return alarm

    def latest(self, subject: str, rule: str) -> Alarm | None:
        sql = "SELECT doc FROM alarms WHERE subject = ? AND rule = ? ORDER BY seq DESC LIMIT 1"
        return self._one(sql, (subject, rule))

    def open_for_enterprise(self, enterprise_id: str) -> list[Alarm]:
        with self._db.read() as c:
            rows = c.execute(
                "SELECT doc FROM alarms WHERE enterprise_id = ? AND is_open = 1 ORDER BY seq", (enterprise_id,)
            ).fetchall()
        return [codec.alarm_from_dict(json.loads(r[0])) for r in rows]

    def list(
        self,
        *,
        enterprise_id: str | None = None,
        states: Sequence[AlarmState] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 1000,
    ) -> list[Alarm]:
        where: list[str] = []
        args: list[Any] = []
        if enterprise_id is not None:
            where.append("enterprise_id = ?")
            args.append(enterprise_id)
        if states is not None:
            where.append(f"state IN ({','.join('?' * len(states))})" if states else "0")
            args.extend(s.value for s in states)
        if since is not None:
            where.append("created_at >= ?")
            args.append(_ts(since))
        if until is not None:
            where.append("created_at < ?")
            args.append(_ts(until))
        sql = "SELECT doc FROM alarms" + (" WHERE " + " AND ".join(where) if where else "")
        sql += " ORDER BY created_at DESC, id DESC LIMIT ?"
        with self._db.read() as c:
            rows = c.execute(sql, [*args, int(limit)]).fetchall()
        return [codec.alarm_from_dict(json.loads(r[0])) for r in rows]

    def put(self, alarm: Alarm, *, expected_version: int | None) -> Alarm:
        with self._db.write() as c:
            if expected_version is None:
                stored = replace(alarm, version=1)
                seq = c.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM alarms").fetchone()[0]
                c.execute(
                    "INSERT INTO alarms (id, subject, rule, enterprise_id, state, is_open, created_at, seq, version,"
                    " doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        stored.id,
                        stored.subject,
                        stored.rule,
                        stored.enterprise_id,
                        stored.state.value,
                        int(stored.open),
                        _ts(stored.created_at),
                        seq,
                        1,
                        _dump(codec.alarm_to_dict(stored)),
                    ),
                )
                return stored
            stored = replace(alarm, version=expected_version + 1)
            cur = c.execute(
                "UPDATE alarms SET state = ?, is_open = ?, version = ?, doc = ? WHERE id = ? AND version = ?",
                (
                    stored.state.value,
                    int(stored.open),
                    stored.version,
                    _dump(codec.alarm_to_dict(stored)),
                    alarm.id,
                    expected_version,
                ),
            )
            if cur.rowcount != 1:
                raise ConflictError(f"alarm {alarm.id} changed concurrently or does not exist")
            return stored


class SqliteAuditLog:
    def __init__(self, db: Database) -> None:
        self._db = db

    def append(self, entry: AuditEntry) -> None:
        with self._db.write() as c:
            c.execute(
                "INSERT INTO alarm_audit (alarm_id, doc) VALUES (?, ?)",
                (entry.alarm_id, _dump(codec.audit_to_dict(entry))),
            )

    def for_alarm(self, alarm_id: str) -> list[AuditEntry]:
        with self._db.read() as c:
            rows = c.execute("SELECT doc FROM alarm_audit WHERE alarm_id = ? ORDER BY seq", (alarm_id,)).fetchall()
        return [codec.audit_from_dict(json.loads(r[0])) for r in rows]


class SqliteRuleState:
    def __init__(self, db: Database) -> None:
        self._db = db

    def get(self, key: str) -> dict[str, Any] | None:
        with self._db.read() as c:
            row = c.execute("SELECT doc FROM rule_state WHERE key = ?", (key,)).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def put(self, key: str, value: dict[str, Any]) -> None:
        with self._db.write() as c:
            c.execute(
                "INSERT INTO rule_state (key, doc) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET doc = excluded.doc",
                (key, _dump(value)),
            )

    def delete(self, key: str) -> None:
        with self._db.write() as c:
            c.execute("DELETE FROM rule_state WHERE key = ?", (key,))

    def keys(self, prefix: str) -> list[str]:
        with self._db.read() as c:
            rows = c.execute(
                "SELECT key FROM rule_state WHERE substr(key, 1, ?) = ? ORDER BY key", (len(prefix), prefix)
            ).fetchall()
        return [r[0] for r in rows]


class SqliteReportRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def _put(self, table: str, ident: str, enterprise_id: str, filed_at: datetime, doc: dict[str, Any]) -> None:
        with self._db.write() as c:
            c.execute(
                f"INSERT INTO {table} (id, enterprise_id, filed_at, doc) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET doc = excluded.doc",
                (ident, enterprise_id, _ts(filed_at), _dump(doc)),
            )

    def _get(self, table: str, ident: str) -> dict[str, Any]:
        with self._db.read() as c:
            row = c.execute(f"SELECT doc FROM {table} WHERE id = ?", (ident,)).fetchone()
        if row is None:
            raise NotFoundError(f"{table} {ident} not found")
        return dict(json.loads(row[0]))

    def _for(self, table: str, enterprise_id: str) -> list[dict[str, Any]]:
        with self._db.read() as c:
            rows = c.execute(
                f"SELECT doc FROM {table} WHERE enterprise_id = ? ORDER BY filed_at, id", (enterprise_id,)
            ).fetchall()
        return [json.loads(r[0]) for r in rows]

    def put_fault(self, report: FaultReport) -> None:
        self._put("fault_reports", report.id, report.enterprise_id, report.filed_at, codec.fault_to_dict(report))

    def get_fault(self, report_id: str) -> FaultReport:
        return codec.fault_from_dict(self._get("fault_reports", report_id))

    def faults_for(self, enterprise_id: str) -> list[FaultReport]:
        return [codec.fault_from_dict(d) for d in self._for("fault_reports", enterprise_id)]

    def put_stoppage(self, request: StoppageRequest) -> None:
        doc = codec.stoppage_to_dict(request)
        self._put("stoppage_requests", request.id, request.enterprise_id, request.filed_at, doc)

    def get_stoppage(self, request_id: str) -> StoppageRequest:
        return codec.stoppage_from_dict(self._get("stoppage_requests", request_id))

    def stoppages_for(self, enterprise_id: str) -> list[StoppageRequest]:
        return [codec.stoppage_from_dict(d) for d in self._for("stoppage_requests", enterprise_id)]


class SqliteEmergencyRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def put_alert(self, alert: EmergencyAlert) -> None:
        with self._db.write() as c:
            c.execute(
                "INSERT INTO emergency_alerts (id, start_at, end_at, doc) VALUES (?, ?, ?, ?) ON CONFLICT(id) "
                "DO UPDATE SET start_at = excluded.start_at, end_at = excluded.end_at, doc = excluded.doc",
                (alert.id, _ts(alert.start), _ts(alert.end), _dump(codec.alert_to_dict(alert))),
            )

    def get_alert(self, alert_id: str) -> EmergencyAlert:
        with self._db.read() as c:
            row = c.execute("SELECT doc FROM emergency_alerts WHERE id = ?", (alert_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"emergency alert {alert_id} not found")
        return codec.alert_from_dict(json.loads(row[0]))

    def alerts_between(self, start: datetime, end: datetime) -> list[EmergencyAlert]:
        with self._db.read() as c:
            rows = c.execute(
                "SELECT doc FROM emergency_alerts WHERE start_at < ? AND end_at > ? ORDER BY start_at, id",
                (_ts(end), _ts(start)),
            ).fetchall()
        return [codec.alert_from_dict(json.loads(r[0])) for r in rows]

    def put_measures(self, measures: EnterpriseMeasures) -> None:
        with self._db.write() as c:
            c.execute(
                "INSERT INTO emergency_measures (enterprise_id, doc) VALUES (?, ?) ON CONFLICT(enterprise_id) "
                "DO UPDATE SET doc = excluded.doc",
                (measures.enterprise_id, _dump(codec.measures_to_dict(measures))),
            )

    def measures(self) -> dict[str, EnterpriseMeasures]:
        with self._db.read() as c:
            rows = c.execute("SELECT doc FROM emergency_measures").fetchall()
        found = [codec.measures_from_dict(json.loads(r[0])) for r in rows]
        return {m.enterprise_id: m for m in found}

    def put_halt(self, order: HaltOrder) -> None:
        with self._db.write() as c:
            c.execute(
                "INSERT INTO halt_orders (id, enterprise_id, start_at, end_at, doc) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET start_at = excluded.start_at, end_at = excluded.end_at, "
                "doc = excluded.doc",
                (
                    order.id,
                    order.enterprise_id,
                    _ts(order.start),
                    None if order.end is None else _ts(order.end),
                    _dump(codec.halt_to_dict(order)),
                ),
            )

    def halts_between(self, start: datetime, end: datetime) -> list[HaltOrder]:
        with self._db.read() as c:
            rows = c.execute(
                "SELECT doc FROM halt_orders WHERE start_at < ? AND (end_at IS NULL OR end_at > ?) "
                "ORDER BY start_at, id",
                (_ts(end), _ts(start)),
            ).fetchall()
        return [codec.halt_from_dict(json.loads(r[0])) for r in rows]


@dataclass
class SqliteRulesStores:
    """Every repository of the rules area on one database."""

    state: SqliteRuleState
    alarms: SqliteAlarmRepository
    audit: SqliteAuditLog
    reports: SqliteReportRepository
    emergency: SqliteEmergencyRepository


def open_rules_stores(db: Database) -> SqliteRulesStores:
    """The rules-area repositories on an open (migrated) Database."""
    return SqliteRulesStores(
        SqliteRuleState(db),
        SqliteAlarmRepository(db),
        SqliteAuditLog(db),
        SqliteReportRepository(db),
        SqliteEmergencyRepository(db),
    )
