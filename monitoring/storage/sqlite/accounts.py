"""sqlite primitives of the accounts repository (schema/80_accounts.sql, 86_…): an atomic group of conditional
document writes is one BEGIN IMMEDIATE transaction, so uniqueness claims hold across processes too."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from monitoring._time import to_micros
from monitoring.storage.base.accounts import ACCOUNT_INDEXES, AccountsRepositoryBase, DocConflict, DocWrite
from monitoring.storage.sqlite.db import Database


class SqliteAccountsRepository(AccountsRepositoryBase):
    def __init__(self, db: Database) -> None:
        self._db = db

    def _get_doc(self, kind: str, key: str) -> dict[str, Any] | None:
        with self._db.read() as c:
            row = c.execute("SELECT body FROM account_doc WHERE kind = ? AND key = ?", (kind, key)).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def _query_docs(self, kind: str, value: str) -> list[dict[str, Any]]:
        with self._db.read() as c:
            rows = c.execute("SELECT body FROM account_doc WHERE kind = ? AND ix = ?", (kind, value)).fetchall()
        return [dict(json.loads(r[0])) for r in rows]

    def _write(self, writes: Sequence[DocWrite]) -> None:
        with self._db.write() as c:
            for w in writes:  # every condition first, so a failure inside an outer batch leaves nothing behind
                if w.kind not in ACCOUNT_INDEXES:
                    raise ValueError(f"unknown document kind {w.kind!r}")
                row = c.execute(
                    "SELECT version FROM account_doc WHERE kind = ? AND key = ?", (w.kind, w.key)
                ).fetchone()
                if w.expected_version is not None and (int(row[0]) if row else 0) != w.expected_version:
                    raise DocConflict(w.kind, w.key)
            for w in writes:
                if w.body is None:
                    c.execute("DELETE FROM account_doc WHERE kind = ? AND key = ?", (w.kind, w.key))
                    continue
                text = json.dumps(w.body, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
                expires = None if w.expires_at is None else to_micros(w.expires_at)
                c.execute(
                    "INSERT INTO account_doc (kind, key, version, ix, body, expires_at) VALUES (?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT(kind, key) DO UPDATE SET version = excluded.version, ix = excluded.ix, "
                    "body = excluded.body, expires_at = excluded.expires_at",
                    (w.kind, w.key, int(w.body.get("version", 0)), w.index, text, expires),
                )

    def _purge_expired(self, now: datetime) -> int:
        with self._db.write() as c:
            cursor = c.execute("DELETE FROM account_doc WHERE expires_at < ?", (to_micros(now),))
        return int(cursor.rowcount)
