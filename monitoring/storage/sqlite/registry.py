"""Registry documents in sqlite: `registry_doc` holds versioned JSON, `registry_index` the lookups."""

from __future__ import annotations

import json
from collections.abc import Mapping
from contextlib import AbstractContextManager
from typing import Any

from monitoring.errors import ConflictError
from monitoring.storage.base.registry import INDEXES, RegistryRepositoryBase
from monitoring.storage.sqlite.db import Database


class SqliteRegistryRepository(RegistryRepositoryBase):
    def __init__(self, db: Database) -> None:
        self._db = db

    def batch(self) -> AbstractContextManager[object]:
        return self._db.write()

    def _get_doc(self, kind: str, key: str) -> dict[str, Any] | None:
        with self._db.read() as conn:
            row = conn.execute("SELECT body FROM registry_doc WHERE kind = ? AND key = ?", (kind, key)).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def _put_doc(
        self, kind: str, key: str, body: dict[str, Any], index: Mapping[str, str], *, expected_version: int | None
    ) -> None:
        unknown = set(index) - set(INDEXES[kind])
        if unknown:
            raise ValueError(f"{kind}: undeclared index {sorted(unknown)}")
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        version = int(body.get("version", 0))
        with self._db.write() as conn:
            row = conn.execute("SELECT version FROM registry_doc WHERE kind = ? AND key = ?", (kind, key)).fetchone()
            stored = None if row is None else int(row[0])
            if expected_version is not None and (stored or 0) != expected_version:
                raise ConflictError(
                    f"{kind} {key!r}: stored version {stored if stored is not None else 'none'}, "
                    f"expected {expected_version or 'none'}"
                )
            if stored is not None and expected_version == 0:
                raise ConflictError(f"{kind} {key!r} already exists")
            conn.execute(
                "INSERT INTO registry_doc (kind, key, version, body) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (kind, key) DO UPDATE SET version = excluded.version, body = excluded.body",
                (kind, key, version, text),
            )
            conn.execute("DELETE FROM registry_index WHERE kind = ? AND key = ?", (kind, key))
            conn.executemany(
                "INSERT INTO registry_index (kind, name, value, key) VALUES (?, ?, ?, ?)",
                [(kind, name, value, key) for name, value in index.items()],
            )

    def _query_docs(self, kind: str, index: str, value: str) -> list[dict[str, Any]]:
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT d.body FROM registry_index i JOIN registry_doc d ON d.kind = i.kind AND d.key = i.key "
                "WHERE i.kind = ? AND i.name = ? AND i.value = ?",
                (kind, index, value),
            ).fetchall()
        return [dict(json.loads(r[0])) for r in rows]
