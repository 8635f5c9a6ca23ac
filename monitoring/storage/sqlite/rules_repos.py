"""sqlite primitives of the alarm, audit, rule-state, report and emergency repositories (schema/60_rules.sql),
part of `open_store(path)`: they share the store's one `Database` (one connection, one transaction per batch).
Backend errors are translated by `Database`: IntegrityError → ConflictError, OperationalError → StorageUnavailableError.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from monitoring.alarms.listing import AlarmQuery, Position, list_key
from monitoring.alarms.models import Alarm, AuditEntry
from monitoring.emergency.models import EmergencyAlert, EnterpriseMeasures, HaltOrder
from monitoring.errors import ConflictError
from monitoring.reports.models import FaultReport, StoppageRequest
from monitoring.storage import rules_codec as codec
from monitoring.storage.base import (
    AlarmFilter,
    AlarmRepositoryBase,
    EmergencyRepositoryBase,
    ReportPosition,
    ReportRepositoryBase,
    RuleStateRepositoryBase,
)
from monitoring.storage.sqlite.db import Database


def _ts(t: datetime) -> str:
    return t.astimezone(UTC).isoformat()


def _dump(doc: dict[str, Any]) -> str:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _docs(db: Database, sql: str, args: Sequence[Any] = ()) -> list[dict[str, Any]]:
    """The JSON documents of a `SELECT doc …`."""
    with db.read() as c:
        rows = c.execute(sql, args).fetchall()
    return [dict(json.loads(r[0])) for r in rows]


_LIST_BATCH = 200


class SqliteAlarmRepository(AlarmRepositoryBase):
    def __init__(self, db: Database) -> None:
        self._db = db
        self._keys_filled = False

    def _alarms(self, sql: str, args: Sequence[Any]) -> list[Alarm]:
        return [codec.alarm_from_dict(d) for d in _docs(self._db, sql, args)]

    def _get_alarm(self, alarm_id: str) -> Alarm | None:
        found = self._alarms("SELECT doc FROM alarms WHERE id = ?", (alarm_id,))
        return found[0] if found else None

    def _latest_id(self, subject: str, rule: str) -> str | None:
        with self._db.read() as c:
            row = c.execute(
                "SELECT id FROM alarms WHERE subject = ? AND rule = ? ORDER BY seq DESC LIMIT 1", (subject, rule)
            ).fetchone()
        return None if row is None else str(row[0])

    def _open_alarms(self, enterprise_id: str) -> list[Alarm]:
        return self._alarms("SELECT doc FROM alarms WHERE enterprise_id = ? AND is_open = 1", (enterprise_id,))

    def _query_alarms(self, where: AlarmFilter, limit: int) -> list[Alarm]:
        clauses: list[str] = []
        args: list[Any] = []
        if where.enterprise_id is not None:
            clauses.append("enterprise_id = ?")
            args.append(where.enterprise_id)
        if where.states is not None:
            clauses.append(f"state IN ({','.join('?' * len(where.states))})")
            args.extend(sorted(s.value for s in where.states))
        if where.since is not None:
            clauses.append("created_at >= ?")
            args.append(_ts(where.since))
        if where.until is not None:
            clauses.append("created_at < ?")
            args.append(_ts(where.until))
        sql = "SELECT doc FROM alarms" + (" WHERE " + " AND ".join(clauses) if clauses else "")
        return self._alarms(sql + " ORDER BY created_at DESC, id DESC LIMIT ?", [*args, int(limit)])

    def _fill_list_keys(self) -> None:
        """Give alarms stored before schema 82 their list key (once per process; a no-op afterwards)."""
        with self._db.read() as c:
            rows = c.execute("SELECT id, doc FROM alarms WHERE list_key IS NULL").fetchall()
        if rows:
            with self._db.write() as c:
                for ident, doc in rows:
                    alarm = codec.alarm_from_dict(json.loads(doc))
                    c.execute(
                        "UPDATE alarms SET list_key = ?, severity = ? WHERE id = ?",
                        (list_key(alarm), alarm.severity, ident),
                    )
        self._keys_filled = True

    def _alarm_list(self, query: AlarmQuery, after: Position | None) -> Iterator[Alarm]:
        if not self._keys_filled:
            self._fill_list_keys()
        clauses: list[str] = []
        args: list[Any] = []
        for column, values in (
            ("enterprise_id", query.enterprise_ids),
            ("state", None if query.states is None else {s.value for s in query.states}),
            ("rule", query.rules),
            ("severity", query.severities),
        ):
            if values is not None:
                clauses.append(f"{column} IN ({','.join('?' * len(values))})")
                args.extend(sorted(values))
        if query.since is not None:
            clauses.append("created_at >= ?")
            args.append(_ts(query.since))
        if query.until is not None:
            clauses.append("created_at < ?")
            args.append(_ts(query.until))
        if query.key_below is not None:
            clauses.append("list_key < ?")
            args.append(query.key_below)
        while True:
            where = list(clauses)
            page_args = list(args)
            if after is not None:
                where.append("(list_key > ? OR (list_key = ? AND id > ?))")
                page_args += [after[0], after[0], after[1]]
            sql = "SELECT list_key, id, doc FROM alarms" + (" WHERE " + " AND ".join(where) if where else "")
            with self._db.read() as c:
                rows = c.execute(sql + " ORDER BY list_key, id LIMIT ?", [*page_args, _LIST_BATCH]).fetchall()
            for _key, _ident, doc in rows:
                yield codec.alarm_from_dict(json.loads(doc))
            if len(rows) < _LIST_BATCH:
                return
            after = (rows[-1][0], rows[-1][1])

    def _dispatched_alarms(self, branch_id: str) -> list[Alarm]:
        # The expression is the one indexed by alarms_dispatched (96_alarm_dispatched.sql).
        sql = "SELECT doc FROM alarms WHERE json_extract(doc, '$.dispatched_to') = ?"
        with self._db.read() as c:
            return [codec.alarm_from_dict(json.loads(doc)) for (doc,) in c.execute(sql, (branch_id,)).fetchall()]

    def _insert_alarm(self, alarm: Alarm) -> None:
        # The primary key and the partial unique index alarms_one_open refuse a taken id or a second open alarm.
        with self._db.write() as c:
            seq = c.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM alarms").fetchone()[0]
            c.execute(
                "INSERT INTO alarms (id, subject, rule, enterprise_id, state, is_open, created_at, seq, version,"
                " doc, list_key, severity) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    alarm.id,
                    alarm.subject,
                    alarm.rule,
                    alarm.enterprise_id,
                    alarm.state.value,
                    int(alarm.open),
                    _ts(alarm.created_at),
                    seq,
                    alarm.version,
                    _dump(codec.alarm_to_dict(alarm)),
                    list_key(alarm),
                    alarm.severity,
                ),
            )

    def _replace_alarm(self, alarm: Alarm, expected_version: int, *, is_latest: bool) -> None:
        with self._db.write() as c:
            cur = c.execute(
                "UPDATE alarms SET state = ?, is_open = ?, version = ?, doc = ?, list_key = ?, severity = ?"
                " WHERE id = ? AND version = ?",
                (
                    alarm.state.value,
                    int(alarm.open),
                    alarm.version,
                    _dump(codec.alarm_to_dict(alarm)),
                    list_key(alarm),
                    alarm.severity,
                    alarm.id,
                    expected_version,
                ),
            )
            if cur.rowcount != 1:
                raise ConflictError(f"alarm {alarm.id} changed concurrently or does not exist")


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


class SqliteRuleState(RuleStateRepositoryBase):
    def __init__(self, db: Database) -> None:
        self._db = db

    def _get_doc(self, key: str) -> dict[str, Any] | None:
        with self._db.read() as c:
            row = c.execute("SELECT doc FROM rule_state WHERE key = ?", (key,)).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def _put_doc(self, key: str, doc: dict[str, Any]) -> None:
        with self._db.write() as c:
            c.execute(
                "INSERT INTO rule_state (key, doc) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET doc = excluded.doc",
                (key, _dump(doc)),
            )

    def _delete_doc(self, key: str) -> None:
        with self._db.write() as c:
            c.execute("DELETE FROM rule_state WHERE key = ?", (key,))

    def _keys(self, prefix: str) -> list[str]:
        with self._db.read() as c:
            rows = c.execute("SELECT key FROM rule_state WHERE substr(key, 1, ?) = ?", (len(prefix), prefix)).fetchall()
        return [r[0] for r in rows]

    def _documents(self, prefix: str, start: str) -> dict[str, dict[str, Any]]:
        with self._db.read() as c:
            where = "substr(key, 1, ?) = ? AND key >= ?"
            found = c.execute(f"SELECT key, doc FROM rule_state WHERE {where}", (len(prefix), prefix, prefix + start))
            return {key: dict(json.loads(doc)) for key, doc in found.fetchall()}


class SqliteReportRepository(ReportRepositoryBase):
    def __init__(self, db: Database) -> None:
        self._db = db

    def _put(self, table: str, ident: str, enterprise_id: str, filed_at: datetime, doc: dict[str, Any]) -> None:
        with self._db.write() as c:
            c.execute(
                f"INSERT INTO {table} (id, enterprise_id, filed_at, doc) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET doc = excluded.doc",
                (ident, enterprise_id, _ts(filed_at), _dump(doc)),
            )

    def _put_fault(self, report: FaultReport) -> None:
        self._put("fault_reports", report.id, report.enterprise_id, report.filed_at, codec.fault_to_dict(report))

    def _recent(
        self, table: str, enterprise_ids: frozenset[str] | None, before: ReportPosition | None
    ) -> Iterator[dict[str, Any]]:
        """Documents newest first by (filed_at, id), read in batches by the index (schema 81)."""
        scope = f"enterprise_id IN ({','.join('?' * len(enterprise_ids))})" if enterprise_ids is not None else ""
        while True:
            where = [scope] if scope else []
            args: list[Any] = sorted(enterprise_ids) if enterprise_ids is not None else []
            if before is not None:
                where.append("(filed_at < ? OR (filed_at = ? AND id < ?))")
                args += [before[0], before[0], before[1]]
            sql = f"SELECT filed_at, id, doc FROM {table}" + (" WHERE " + " AND ".join(where) if where else "")
            with self._db.read() as c:
                rows = c.execute(sql + " ORDER BY filed_at DESC, id DESC LIMIT ?", [*args, _LIST_BATCH]).fetchall()
            for _filed, _ident, doc in rows:
                yield dict(json.loads(doc))
            if len(rows) < _LIST_BATCH:
                return
            before = (rows[-1][0], rows[-1][1])

    def _recent_faults(
        self, enterprise_ids: frozenset[str] | None, before: ReportPosition | None
    ) -> Iterator[FaultReport]:
        return (codec.fault_from_dict(d) for d in self._recent("fault_reports", enterprise_ids, before))

    def _recent_stoppages(
        self, enterprise_ids: frozenset[str] | None, before: ReportPosition | None
    ) -> Iterator[StoppageRequest]:
        return (codec.stoppage_from_dict(d) for d in self._recent("stoppage_requests", enterprise_ids, before))

    def _swap(self, table: str, ident: str, new: dict[str, Any], old: dict[str, Any]) -> None:
        # Documents are written with sorted keys, so the stored text of an unchanged record equals _dump(old).
        with self._db.write() as c:
            cur = c.execute(f"UPDATE {table} SET doc = ? WHERE id = ? AND doc = ?", (_dump(new), ident, _dump(old)))
            if cur.rowcount != 1:
                raise ConflictError(f"{table} {ident} changed concurrently or does not exist")

    def _swap_fault(self, report: FaultReport, expected: FaultReport) -> None:
        self._swap("fault_reports", report.id, codec.fault_to_dict(report), codec.fault_to_dict(expected))

    def _swap_stoppage(self, request: StoppageRequest, expected: StoppageRequest) -> None:
        new, old = codec.stoppage_to_dict(request), codec.stoppage_to_dict(expected)
        self._swap("stoppage_requests", request.id, new, old)

    def _get_fault(self, report_id: str) -> FaultReport | None:
        found = _docs(self._db, "SELECT doc FROM fault_reports WHERE id = ?", (report_id,))
        return codec.fault_from_dict(found[0]) if found else None

    def _faults_for(self, enterprise_id: str) -> list[FaultReport]:
        docs = _docs(self._db, "SELECT doc FROM fault_reports WHERE enterprise_id = ?", (enterprise_id,))
        return [codec.fault_from_dict(d) for d in docs]

    def _put_stoppage(self, request: StoppageRequest) -> None:
        doc = codec.stoppage_to_dict(request)
        self._put("stoppage_requests", request.id, request.enterprise_id, request.filed_at, doc)

    def _get_stoppage(self, request_id: str) -> StoppageRequest | None:
        found = _docs(self._db, "SELECT doc FROM stoppage_requests WHERE id = ?", (request_id,))
        return codec.stoppage_from_dict(found[0]) if found else None

    def _stoppages_for(self, enterprise_id: str) -> list[StoppageRequest]:
        docs = _docs(self._db, "SELECT doc FROM stoppage_requests WHERE enterprise_id = ?", (enterprise_id,))
        return [codec.stoppage_from_dict(d) for d in docs]


class SqliteEmergencyRepository(EmergencyRepositoryBase):
    def __init__(self, db: Database) -> None:
        self._db = db

    def _put_alert(self, alert: EmergencyAlert) -> None:
        with self._db.write() as c:
            c.execute(
                "INSERT INTO emergency_alerts (id, start_at, end_at, doc) VALUES (?, ?, ?, ?) ON CONFLICT(id) "
                "DO UPDATE SET start_at = excluded.start_at, end_at = excluded.end_at, doc = excluded.doc",
                (alert.id, _ts(alert.start), _ts(alert.end), _dump(codec.alert_to_dict(alert))),
            )

    def _get_alert(self, alert_id: str) -> EmergencyAlert | None:
        found = _docs(self._db, "SELECT doc FROM emergency_alerts WHERE id = ?", (alert_id,))
        return codec.alert_from_dict(found[0]) if found else None

    def _alerts_starting_before(self, end: datetime) -> list[EmergencyAlert]:
        docs = _docs(self._db, "SELECT doc FROM emergency_alerts WHERE start_at < ?", (_ts(end),))
        return [codec.alert_from_dict(d) for d in docs]

    def _put_measures(self, measures: EnterpriseMeasures) -> None:
        with self._db.write() as c:
            c.execute(
                "INSERT INTO emergency_measures (enterprise_id, doc) VALUES (?, ?) ON CONFLICT(enterprise_id) "
                "DO UPDATE SET doc = excluded.doc",
                (measures.enterprise_id, _dump(codec.measures_to_dict(measures))),
            )

    def _all_measures(self) -> list[EnterpriseMeasures]:
        return [codec.measures_from_dict(d) for d in _docs(self._db, "SELECT doc FROM emergency_measures")]

    def _put_halt(self, order: HaltOrder) -> None:
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

    def _halts_starting_before(self, end: datetime) -> list[HaltOrder]:
        return [
            codec.halt_from_dict(d)
            for d in _docs(self._db, "SELECT doc FROM halt_orders WHERE start_at < ?", (_ts(end),))
        ]
