"""The per-MN hash chain over delivered archive objects (AWS: Firehose → S3): a segment per MN per object.

More: docs/dynamodb.md §6, "The chain over S3 deliveries".
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from monitoring.archive.models import GENESIS_HASH, ChainVerification, RawFrame, link_hash
from monitoring.errors import InvalidInputError

LINK_PREFIX = 16  # hex digits of each link kept in its segment: enough to point at the first altered record
MAX_OBJECT_KEY = 1_024  # S3's own limit


@dataclass(frozen=True, slots=True)
class ChainSegment:
    """An MN's records of one delivered object, in delivery order, on the MN's chain: seq first_seq..last_seq,
    continuing from `prev_hash`, ending on `hash`; `links` are the leading hex digits of every record's link."""

    mn: str
    object_key: str
    first_seq: int
    prev_hash: str
    hash: str
    links: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.mn or len(self.mn) > 64 or not self.object_key or len(self.object_key) > MAX_OBJECT_KEY:
            raise InvalidInputError("chain segment: bad MN or object key")
        if self.first_seq < 1 or not self.links:
            raise InvalidInputError("chain segment: first_seq ≥ 1 and at least one record")

    @property
    def last_seq(self) -> int:
        return self.first_seq + len(self.links) - 1


@dataclass(frozen=True, slots=True)
class DeliveredObject:
    """A delivered object as the chain function read it: its SHA-256, its frame records and the MNs they carry."""

    key: str
    digest: str
    records: int
    mns: int


def object_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def by_mn(frames: Iterable[RawFrame]) -> dict[str, list[RawFrame]]:
    """The frames of one object grouped by MN, each group in the object's order (first MN seen first)."""
    out: dict[str, list[RawFrame]] = {}
    for frame in frames:
        out.setdefault(frame.mn, []).append(frame)
    return out


def extend(head: ChainSegment | None, mn: str, object_key: str, frames: Sequence[RawFrame]) -> ChainSegment:
    """The segment that continues `head` (None: the chain's start) with `frames`, in their order."""
    prev = GENESIS_HASH if head is None else head.hash
    first = 1 if head is None else head.last_seq + 1
    start, links = prev, []
    for frame in frames:
        if frame.mn != mn:
            raise InvalidInputError(f"chain segment {mn}: a frame of {frame.mn}")
        prev = link_hash(prev, frame)
        links.append(prev[:LINK_PREFIX])
    return ChainSegment(mn, object_key, first, start, prev, tuple(links))


def verify_segment(segment: ChainSegment, frames: Sequence[RawFrame], *, prev_hash: str) -> ChainVerification:
    """Check an MN's records as read back from the segment's object against the segment, continuing from
    `prev_hash` (the previous segment's hash): `first_broken_seq` is the first record that differs."""
    mn = segment.mn
    if segment.prev_hash != prev_hash:
        return ChainVerification(mn, False, 0, segment.first_seq, "segment does not continue the previous one")
    prev = prev_hash
    for index, frame in enumerate(frames):
        seq = segment.first_seq + index
        if index >= len(segment.links):
            return ChainVerification(mn, False, index, seq, "record not on the chain (added to the object)")
        prev = link_hash(prev, frame) if frame.mn == mn else ""
        if prev[:LINK_PREFIX] != segment.links[index]:
            return ChainVerification(mn, False, index, seq, "content does not match its link")
    if len(frames) < len(segment.links):
        missing = segment.first_seq + len(frames)
        return ChainVerification(mn, False, len(frames), missing, "record missing from the object")
    if prev != segment.hash:
        return ChainVerification(mn, False, len(frames), segment.last_seq, "segment hash does not match")
    return ChainVerification(mn, True, len(frames))
