"""RawFrame (what arrived) and ArchivedFrame (its place on the terminal's hash chain).

Each record's hash covers the previous record's hash plus a canonical encoding of its own content, so
altering, inserting or deleting any record breaks every later link. Anyone holding the records can verify.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass

from hj212.contract import AuthStatus, FrameRecord
from monitoring._time import require_utc, to_micros
from monitoring.errors import InvalidInputError

GENESIS_HASH = "0" * 64
UNKNOWN_MN = "-"  # chain key for bytes that carried no readable MN
MAX_FRAME_BYTES = 16_384
__all__ = [
    "GENESIS_HASH",
    "MAX_FRAME_BYTES",
    "UNKNOWN_MN",
    "ArchivedFrame",
    "AuthStatus",
    "ChainVerification",
    "RawFrame",
    "link_hash",
    "verify_chain",
]


@dataclass(frozen=True, slots=True)
class RawFrame(FrameRecord):
    """The frame record (hj212.contract, contracts.md §2) as the archive keeps it: bytes exactly as received, with
    where and when they came from, checked, with the dedupe key and the canonical form the hash chain covers."""

    @classmethod
    def of(cls, record: FrameRecord) -> RawFrame:
        """The archive's view of a receipt (checked here)."""
        if isinstance(record, cls):
            return record
        r = record
        return cls(r.mn, r.raw, r.received_at, r.peer, r.auth, r.crc, r.cn, r.qn, r.listener, r.session)

    def __post_init__(self) -> None:
        if not self.mn or len(self.mn) > 64:
            raise InvalidInputError(f"archive: bad MN {self.mn!r} (use UNKNOWN_MN for frames without one)")
        if not isinstance(self.raw, bytes) or len(self.raw) > MAX_FRAME_BYTES:
            raise InvalidInputError("archive: raw must be bytes of at most 16 KiB")
        object.__setattr__(self, "received_at", require_utc(self.received_at, "frame.received_at"))
        object.__setattr__(self, "auth", AuthStatus(self.auth))

    @property
    def digest(self) -> str:
        """SHA-256 of the raw bytes (part of the idempotency key)."""
        return hashlib.sha256(self.raw).hexdigest()

    @property
    def dedupe_key(self) -> str:
        """Same bytes received at the same microsecond on the same MN = the same receipt (a redelivery)."""
        return f"{self.mn}|{to_micros(self.received_at)}|{self.digest}"

    def canonical(self) -> bytes:
        """The byte string the chain hashes: stable key order, raw bytes in base64."""
        body = {
            "auth": self.auth.value,
            "cn": self.cn,
            "crc": self.crc,
            "listener": self.listener,
            "mn": self.mn,
            "peer": self.peer,
            "qn": self.qn,
            "raw": base64.b64encode(self.raw).decode("ascii"),
            "received_at_us": to_micros(self.received_at),
            "session": self.session,
        }
        return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def link_hash(prev_hash: str, frame: RawFrame) -> str:
    """hash_n = SHA-256(hash_{n-1} as ASCII hex ‖ 0x0A ‖ canonical(frame_n))."""
    return hashlib.sha256(prev_hash.encode("ascii") + b"\n" + frame.canonical()).hexdigest()


@dataclass(frozen=True, slots=True)
class ArchivedFrame:
    """A frame on its terminal's chain: `seq` counts from 1 per MN."""

    frame: RawFrame
    seq: int
    prev_hash: str
    hash: str


@dataclass(frozen=True, slots=True)
class ChainVerification:
    """Result of walking a chain: ok, how many records were checked, and the first broken link if any."""

    mn: str
    ok: bool
    checked: int
    first_broken_seq: int | None = None
    reason: str = ""


def verify_chain(
    mn: str, records: list[ArchivedFrame], *, prev_hash: str = GENESIS_HASH, first_seq: int = 1
) -> ChainVerification:
    """Check records given in seq order: contiguity, prev links and recomputed hashes.

    By default the records must start the chain (seq 1 on the genesis hash); to check a later page pass the
    hash and seq the page must continue from. `checked` counts the records that passed.
    """
    prev = prev_hash
    for index, record in enumerate(records):
        expected_seq = first_seq + index
        if record.seq != expected_seq:
            return ChainVerification(mn, False, index, expected_seq, f"missing record: expected seq {expected_seq}")
        if record.frame.mn != mn:
            return ChainVerification(mn, False, index, record.seq, "record belongs to another MN")
        if record.prev_hash != prev:
            return ChainVerification(mn, False, index, record.seq, "prev_hash does not match the previous record")
        if link_hash(prev, record.frame) != record.hash:
            return ChainVerification(mn, False, index, record.seq, "content does not match its hash")
        prev = record.hash
    return ChainVerification(mn, True, len(records))
