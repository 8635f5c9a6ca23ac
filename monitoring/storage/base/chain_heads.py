"""Chain heads logic: extend each MN's chain by one delivered object, idempotently; walk and verify a chain.

Per MN per object: one read of the MN's newest segments and one conditional insert of the new segment (a lost
race is retried on the new head, so two objects processed at once never fork a chain).
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence

from monitoring.archive.delivered import ChainSegment, DeliveredObject, by_mn, extend, verify_segment
from monitoring.archive.models import GENESIS_HASH, ChainVerification, RawFrame
from monitoring.errors import ConflictError, InvalidInputError, StorageUnavailableError

_RETRIES = 16
RECENT = 8  # segments looked at for an earlier, interrupted run of the same object
_PAGE = 1_000


def segment_body(segment: ChainSegment) -> str:
    """A segment's stored form (the key columns hold mn and first_seq)."""
    body = {"o": segment.object_key, "p": segment.prev_hash, "h": segment.hash, "l": "".join(segment.links)}
    return json.dumps(body, separators=(",", ":"), sort_keys=True)


def segment_from(mn: str, first_seq: int, body: str) -> ChainSegment:
    doc = json.loads(body)
    links, width = doc["l"], 16
    return ChainSegment(
        mn, doc["o"], first_seq, doc["p"], doc["h"], tuple(links[i : i + width] for i in range(0, len(links), width))
    )


class ChainHeadsRepositoryBase(ABC):
    """Implements `ChainHeadsRepository` over storage primitives."""

    @abstractmethod
    def _recent(self, mn: str, limit: int) -> list[ChainSegment]:
        """The MN's newest segments, newest first."""

    @abstractmethod
    def _insert_segment(self, segment: ChainSegment) -> None:
        """Insert; raise ConflictError if (mn, first_seq) is taken."""

    @abstractmethod
    def _segments(self, mn: str, from_seq: int, limit: int) -> list[ChainSegment]:
        """Segments with first_seq ≥ from_seq, ascending, at most `limit`."""

    @abstractmethod
    def _delivered(self, key: str) -> DeliveredObject | None: ...

    @abstractmethod
    def _put_delivered(self, delivered: DeliveredObject) -> None: ...

    def extend_from_object(self, key: str, digest: str, frames: Sequence[RawFrame]) -> DeliveredObject:
        """Add an object's frames to their MNs' chains (in the object's order); a redelivered object, or one
        whose earlier run was interrupted, adds nothing twice. The object's digest is written last."""
        found = self._delivered(key)
        if found is not None:
            return found
        groups = by_mn(frames)
        for mn, group in groups.items():
            self._extend_one(mn, key, group)
        delivered = DeliveredObject(key, digest, len(frames), len(groups))
        self._put_delivered(delivered)
        return delivered

    def _extend_one(self, mn: str, key: str, frames: Sequence[RawFrame]) -> None:
        for _ in range(_RETRIES):
            recent = self._recent(mn, RECENT)
            if any(s.object_key == key for s in recent):
                return  # an interrupted run of this object already extended this MN
            try:
                self._insert_segment(extend(recent[0] if recent else None, mn, key, frames))
                return
            except ConflictError:
                continue  # another object took this seq; rebuild on the new head
        raise StorageUnavailableError(f"chain {mn}: could not extend after {_RETRIES} attempts")

    def head(self, mn: str) -> ChainSegment | None:
        recent = self._recent(mn, 1)
        return recent[0] if recent else None

    def segments(self, mn: str, *, from_seq: int = 1, limit: int = 1_000) -> list[ChainSegment]:
        if not (1 <= limit <= 10_000):
            raise InvalidInputError("limit must be within 1..10000")
        return self._segments(mn, max(1, from_seq), limit)

    def delivered(self, key: str) -> DeliveredObject | None:
        return self._delivered(key)

    def verify(self, mn: str, frames_of: Callable[[str], Sequence[RawFrame]]) -> ChainVerification:
        """Walk the MN's segments from seq 1, reading each one's records back (`frames_of(object key)`: the
        object's frame records); report the first record that is altered, added, missing or out of place."""
        checked, prev, next_seq = 0, GENESIS_HASH, 1
        while True:
            page = self._segments(mn, next_seq, _PAGE)
            if not page:
                return ChainVerification(mn, True, checked)
            for segment in page:
                if segment.first_seq != next_seq:
                    return ChainVerification(mn, False, checked, next_seq, f"missing segment at seq {next_seq}")
                mine = [f for f in frames_of(segment.object_key) if f.mn == mn]
                result = verify_segment(segment, mine, prev_hash=prev)
                if not result.ok:
                    return ChainVerification(
                        mn, False, checked + result.checked, result.first_broken_seq, result.reason
                    )
                checked, prev, next_seq = checked + len(mine), segment.hash, segment.last_seq + 1
