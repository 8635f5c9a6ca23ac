"""In-memory primitives of the outbox: JSON text in a dict under one lock (memory_store())."""

from __future__ import annotations

import json
import threading
from typing import Any

from monitoring.errors import ConflictError
from monitoring.storage.base.outbox import OutboxRepositoryBase, recent_value


class MemoryOutboxRepository(OutboxRepositoryBase):
    def __init__(self) -> None:
        self._lock = threading.Lock()
        # (kind, key) → (version, due, alarm, body text); receipt values apart
        self._docs: dict[tuple[str, str], tuple[int, str | None, str | None, str]] = {}
        self._receipts: dict[str, str] = {}  # key → receipt value

    def _get_doc(self, kind: str, key: str) -> dict[str, Any] | None:
        with self._lock:
            found = self._docs.get((kind, key))
        return None if found is None else dict(json.loads(found[3]))

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
        with self._lock:
            stored = self._docs.get((kind, key))
            if (stored[0] if stored else 0) != expected_version:
                raise ConflictError(f"{kind} {key!r}: version condition failed")
            text = json.dumps(body, ensure_ascii=False, sort_keys=True)
            self._docs[(kind, key)] = (int(body.get("version", 0)), due, alarm, text)
            if kind == "msg" and receipt is not None:
                self._receipts[key] = receipt
            elif kind == "msg":
                self._receipts.pop(key, None)

    def _query_due(self, upto: str, limit: int) -> list[dict[str, Any]]:
        with self._lock:
            rows = sorted(
                (due, key, body)
                for (kind, key), (_, due, _, body) in self._docs.items()
                if kind == "msg" and due and due <= upto
            )
        return [dict(json.loads(body)) for _, _, body in rows[:limit]]

    def _query_receipts(self, limit: int) -> list[dict[str, Any]]:
        with self._lock:
            keys = sorted(self._receipts, key=lambda k: (self._receipts[k], k))[:limit]
            texts = [self._docs[("msg", k)][3] for k in keys]
        return [dict(json.loads(t)) for t in texts]

    def _query_alarm(self, alarm_id: str) -> list[dict[str, Any]]:
        with self._lock:
            texts = [b for (kind, _), (_, _, a, b) in self._docs.items() if kind == "msg" and a == alarm_id]
        return [dict(json.loads(t)) for t in texts]

    def _query_recent(self, since: str, before: str, limit: int) -> list[dict[str, Any]]:
        with self._lock:
            bodies = [json.loads(b) for (kind, _), (_, _, _, b) in self._docs.items() if kind == "msg"]
        found = sorted((b for b in bodies if since <= recent_value(b) < before), key=recent_value, reverse=True)
        return [dict(b) for b in found[:limit]]
