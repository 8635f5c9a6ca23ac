"""sqlite primitives of the general audit trail (schema/85_audit_trail.sql): filters and paging in SQL."""

from __future__ import annotations

import json
from typing import Any

from monitoring._time import to_micros
from monitoring.audit.models import AuditRecord
from monitoring.storage import codec
from monitoring.storage.base.audit_trail import AuditQuery, AuditTrailBase
from monitoring.storage.sqlite.db import Database


class SqliteAuditTrail(AuditTrailBase):
    def __init__(self, db: Database) -> None:
        self._db = db

    def _append(self, record: AuditRecord) -> None:
        with self._db.write() as c:
            c.execute(
                "INSERT INTO audit_trail (record_id, at, actor_id, object_type, object_id, enterprise_id, doc) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(record_id) DO NOTHING",
                (
                    record.record_id,
                    to_micros(record.at),
                    record.actor_id,
                    record.object_type,
                    record.object_id,
                    record.enterprise_id,
                    codec.dumps(record),
                ),
            )

    def _select(self, query: AuditQuery, limit: int) -> list[AuditRecord]:
        where = ["at >= ?", "at < ?"]
        args: list[Any] = [to_micros(query.since), to_micros(query.until)]
        if query.before is not None:
            at, record_id = query.before
            where.append("(at < ? OR (at = ? AND record_id < ?))")
            args += [to_micros(at), to_micros(at), record_id]
        for column in ("actor_id", "object_type", "object_id"):
            value = getattr(query, column)
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        if query.action is not None:
            where.append("json_extract(doc, '$.action') = ?")
            args.append(query.action)
        if query.enterprise_ids is not None:
            # json_each keeps it one bound parameter however many enterprises a scope holds
            where.append("enterprise_id IN (SELECT value FROM json_each(?))")
            args.append(json.dumps(sorted(query.enterprise_ids)))
        sql = f"SELECT doc FROM audit_trail WHERE {' AND '.join(where)} ORDER BY at DESC, record_id DESC LIMIT ?"
        with self._db.read() as c:
            rows = c.execute(sql, [*args, limit]).fetchall()
        return [codec.loads(AuditRecord, r[0]) for r in rows]
