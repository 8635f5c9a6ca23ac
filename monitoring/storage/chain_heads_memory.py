"""The chain over delivered archive objects in memory: segments by MN in seq order, delivered objects by key."""

from __future__ import annotations

import threading

from monitoring.archive.delivered import ChainSegment, DeliveredObject
from monitoring.errors import ConflictError
from monitoring.storage.base.chain_heads import ChainHeadsRepositoryBase


class MemoryChainHeadsRepository(ChainHeadsRepositoryBase):
    def __init__(self) -> None:
        self._segments_by_mn: dict[str, dict[int, ChainSegment]] = {}
        self._objects: dict[str, DeliveredObject] = {}
        self._lock = threading.Lock()  # the check and the insert of a segment are one step, as a conditional put

    def _recent(self, mn: str, limit: int) -> list[ChainSegment]:
        with self._lock:
            segments = dict(self._segments_by_mn.get(mn, {}))
        return [segments[k] for k in sorted(segments, reverse=True)[:limit]]

    def _insert_segment(self, segment: ChainSegment) -> None:
        with self._lock:
            segments = self._segments_by_mn.setdefault(segment.mn, {})
            if segment.first_seq in segments:
                raise ConflictError(f"chain {segment.mn}: seq {segment.first_seq} is taken")
            segments[segment.first_seq] = segment

    def _segments(self, mn: str, from_seq: int, limit: int) -> list[ChainSegment]:
        with self._lock:
            segments = dict(self._segments_by_mn.get(mn, {}))
        return [segments[k] for k in sorted(segments) if k >= from_seq][:limit]

    def _delivered(self, key: str) -> DeliveredObject | None:
        return self._objects.get(key)

    def _put_delivered(self, delivered: DeliveredObject) -> None:
        self._objects.setdefault(delivered.key, delivered)
