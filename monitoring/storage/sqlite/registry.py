"""Registry documents in sqlite: `registry_doc` holds versioned JSON, `registry_index` the lookups."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from typing import Any, cast

from monitoring.errors import ConflictError
from monitoring.registry.models import MonitoringPoint
from monitoring.registry.terminal import Terminal
from monitoring.storage import codec
from monitoring.storage.base.registry import INDEXES, R, RegistryRepositoryBase, decoded_bodies
from monitoring.storage.sqlite.db import Database

# Records decoded from a stored body, by (type, body text): decode reads each terminal and its points once a
# minute, and a point's body rarely changes. Keyed on the exact text, so a changed document is decoded afresh;
# only types whose records are deeply immutable are kept (they are shared between callers).
_MEMO_TYPES: frozenset[type] = frozenset({MonitoringPoint, Terminal})
_MEMO_LIMIT = 4_096


_QUERY = (
    "SELECT d.body FROM registry_index i JOIN registry_doc d ON d.kind = i.kind AND d.key = i.key "
    "WHERE i.kind = ? AND i.name = ? AND i.value = ?"
)


class SqliteRegistryRepository(RegistryRepositoryBase):
    def __init__(self, db: Database) -> None:
        self._db = db
        self._memo: dict[tuple[type, str], Any] = {}

    def _record(self, cls: type[R], text: str) -> R:
        if cls not in _MEMO_TYPES:
            return codec.from_data(cls, json.loads(text))
        key = (cls, text)
        found = self._memo.get(key)
        if found is None:
            found = codec.from_data(cls, json.loads(text))
            if len(self._memo) >= _MEMO_LIMIT:
                self._memo.clear()
            self._memo[key] = found
        return cast(R, found)

    def _find(self, cls: type[R], kind: str, key: str) -> R | None:
        with self._db.read() as conn:
            row = conn.execute("SELECT body FROM registry_doc WHERE kind = ? AND key = ?", (kind, key)).fetchone()
        return None if row is None else self._record(cls, row[0])

    def _query(self, cls: type[R], kind: str, index: str, value: str) -> list[R]:
        with self._db.read() as conn:
            rows = conn.execute(_QUERY, (kind, index, value)).fetchall()
        return [self._record(cls, r[0]) for r in rows]

    def batch(self) -> AbstractContextManager[object]:
        return self._db.write()

    def _get_doc(self, kind: str, key: str) -> dict[str, Any] | None:
        with self._db.read() as conn:
            row = conn.execute("SELECT body FROM registry_doc WHERE kind = ? AND key = ?", (kind, key)).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def _get_docs(self, kind: str, keys: Iterable[str]) -> list[tuple[str, dict[str, Any]]]:
        wanted = list(keys)  # a county's 64 liveness sheets: one query, not 64
        if not wanted:
            return []
        marks = ",".join("?" * len(wanted))
        with self._db.read() as conn:
            rows = conn.execute(
                f"SELECT key, body FROM registry_doc WHERE kind = ? AND key IN ({marks})",  # noqa: S608 - placeholders
                (kind, *wanted),
            ).fetchall()
        return decoded_bodies((str(r[0]), str(r[1])) for r in rows)

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
            rows = conn.execute(_QUERY, (kind, index, value)).fetchall()
        return [dict(json.loads(r[0])) for r in rows]
