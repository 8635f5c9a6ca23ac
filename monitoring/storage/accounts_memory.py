"""In-memory primitives of the accounts repository: JSON text in a dict under one lock (memory_store())."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from monitoring.storage.base.accounts import ACCOUNT_INDEXES, AccountsRepositoryBase, DocConflict, DocWrite


class MemoryAccountsRepository(AccountsRepositoryBase):
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._docs: dict[tuple[str, str], tuple[int, str | None, str]] = {}  # → (version, index, body)
        self._expiry: dict[tuple[str, str], datetime] = {}

    def _get_doc(self, kind: str, key: str) -> dict[str, Any] | None:
        with self._lock:
            found = self._docs.get((kind, key))
        return None if found is None else dict(json.loads(found[2]))

    def _query_docs(self, kind: str, value: str) -> list[dict[str, Any]]:
        with self._lock:
            texts = [body for (k, _), (_, ix, body) in self._docs.items() if k == kind and ix == value]
        return [dict(json.loads(t)) for t in texts]

    def _write(self, writes: Sequence[DocWrite]) -> None:
        with self._lock:
            for w in writes:  # every condition first: all or nothing
                if w.kind not in ACCOUNT_INDEXES:
                    raise ValueError(f"unknown document kind {w.kind!r}")
                stored = self._docs.get((w.kind, w.key))
                if w.expected_version is not None and (stored[0] if stored else 0) != w.expected_version:
                    raise DocConflict(w.kind, w.key)
            for w in writes:
                key = (w.kind, w.key)
                self._expiry.pop(key, None)
                if w.body is None:
                    self._docs.pop(key, None)
                    continue
                text = json.dumps(w.body, ensure_ascii=False, sort_keys=True)
                self._docs[key] = (int(w.body.get("version", 0)), w.index, text)
                if w.expires_at is not None:
                    self._expiry[key] = w.expires_at

    def _purge_expired(self, now: datetime) -> int:
        with self._lock:
            gone = [key for key, at in self._expiry.items() if at < now]
            for key in gone:
                del self._docs[key], self._expiry[key]
        return len(gone)
