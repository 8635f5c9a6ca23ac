"""sqlite primitives of the outbox (schema/95_outbox.sql): a conditional write is one BEGIN IMMEDIATE
transaction, so two sender processes on one file never both claim a notification."""

from __future__ import annotations

import json
from typing import Any

from monitoring.errors import ConflictError
from monitoring.storage.base.outbox import OutboxRepositoryBase
from monitoring.storage.sqlite.db import Database


class SqliteOutboxRepository(OutboxRepositoryBase):
    def __init__(self, db: Database) -> None:
        self._db = db

    def _get_doc(self, kind: str, key: str) -> dict[str, Any] | None:
        with self._db.read() as c:
            row = c.execute("SELECT body FROM notify_doc WHERE kind = ? AND key = ?", (kind, key)).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def _put_doc(
        self,
        kind: str,
        key: str,
        body: dict[str, Any],
        *,
        expected_version: int,
        due: str | None = None,
        alarm: str | None = None,
        receipt: str | None = None,
    ) -> None:
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        with self._db.write() as c:
            row = c.execute("SELECT version FROM notify_doc WHERE kind = ? AND key = ?", (kind, key)).fetchone()
            if (int(row[0]) if row else 0) != expected_version:
                raise ConflictError(f"{kind} {key!r}: version condition failed")
            c.execute(
                "INSERT INTO notify_doc (kind, key, version, due, alarm, receipt, body) VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(kind, key) DO UPDATE SET version = excluded.version, due = excluded.due, "
                "alarm = excluded.alarm, receipt = excluded.receipt, body = excluded.body",
                (kind, key, int(body.get("version", 0)), due, alarm, receipt, text),
            )

    def _query_due(self, upto: str, limit: int) -> list[dict[str, Any]]:
        with self._db.read() as c:
            rows = c.execute(
                "SELECT body FROM notify_doc WHERE due IS NOT NULL AND due <= ? ORDER BY due, key LIMIT ?",
                (upto, limit),
            ).fetchall()
        return [dict(json.loads(r[0])) for r in rows]

    def _query_receipts(self, limit: int) -> list[dict[str, Any]]:
        with self._db.read() as c:
            rows = c.execute(
                "SELECT body FROM notify_doc WHERE receipt IS NOT NULL ORDER BY receipt, key LIMIT ?", (limit,)
            ).fetchall()
        return [dict(json.loads(r[0])) for r in rows]

    def _query_alarm(self, alarm_id: str) -> list[dict[str, Any]]:
        with self._db.read() as c:
            rows = c.execute("SELECT body FROM notify_doc WHERE alarm = ?", (alarm_id,)).fetchall()
        return [dict(json.loads(r[0])) for r in rows]

    def _query_recent(self, since: str, before: str, limit: int) -> list[dict[str, Any]]:
        # schema/130_outbox_recent.sql indexes this expression; it equals base.outbox.recent_value
        with self._db.read() as c:
            rows = c.execute(
                "SELECT body FROM notify_doc WHERE kind = 'msg' AND json_extract(body, '$.created_at') || '#' || key "
                ">= ? AND json_extract(body, '$.created_at') || '#' || key < ? "
                "ORDER BY json_extract(body, '$.created_at') || '#' || key DESC LIMIT ?",
                (since, before, limit),
            ).fetchall()
        return [dict(json.loads(r[0])) for r in rows]
