"""In-memory primitives of the random inspections (part of `memory_store()`)."""

from __future__ import annotations

import threading

from monitoring.storage.base.random_checks import RandomChecksRepositoryBase, version_conflict


class MemoryRandomChecksRepository(RandomChecksRepositoryBase):
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._docs: dict[tuple[str, str], tuple[str, str, int]] = {}  # (kind, key) -> (group, body, version)

    def _put_doc(self, kind: str, key: str, group: str, body: str, version: int, expected: int) -> None:
        with self._lock:
            found = self._docs.get((kind, key))
            if (found[2] if found else 0) != expected:
                raise version_conflict(kind, key)
            self._docs[(kind, key)] = (group, body, version)

    def _get_doc(self, kind: str, key: str) -> str | None:
        found = self._docs.get((kind, key))
        return None if found is None else found[1]

    def _list_docs(self, kind: str, group: str) -> list[str]:
        with self._lock:
            return [body for (k, _), (g, body, _v) in self._docs.items() if k == kind and g == group]
