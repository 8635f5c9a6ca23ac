"""The chain over delivered archive objects in memory: links by seq."""

from __future__ import annotations

import threading

from monitoring.archive.manifest import ChainLink
from monitoring.errors import ConflictError
from monitoring.storage.base.chain_heads import ChainHeadsRepositoryBase


class MemoryChainHeadsRepository(ChainHeadsRepositoryBase):
    def __init__(self) -> None:
        self._links_by_seq: dict[int, ChainLink] = {}
        self._lock = threading.Lock()  # the check and the insert are one step, as a conditional put

    def _insert(self, link: ChainLink) -> None:
        with self._lock:
            if link.seq in self._links_by_seq:
                raise ConflictError(f"chain: seq {link.seq} is taken")
            self._links_by_seq[link.seq] = link

    def _recent(self, limit: int) -> list[ChainLink]:
        with self._lock:
            links = dict(self._links_by_seq)
        return [links[k] for k in sorted(links, reverse=True)[:limit]]

    def _links(self, from_seq: int, limit: int) -> list[ChainLink]:
        with self._lock:
            links = dict(self._links_by_seq)
        return [links[k] for k in sorted(links) if k >= from_seq][:limit]
