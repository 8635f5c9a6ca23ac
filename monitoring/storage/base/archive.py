"""Archive logic: idempotent append onto the per-MN hash chain, range reads and verification.

Append reads the chain head, computes the next link and inserts it conditionally on (mn, seq) being free;
a lost race surfaces as ConflictError from the primitive and is retried on the new head, so two writers can
never fork a chain.
"""

from __future__ import annotations

import random
import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime

from monitoring.archive.models import GENESIS_HASH, ArchivedFrame, ChainVerification, RawFrame, link_hash, verify_chain
from monitoring.errors import ConflictError, InvalidInputError, StorageUnavailableError
from monitoring.storage.base.readings import check_range

_RETRIES = 32
_BACKOFF_CAP_S = 0.05  # a lost race backs off a random while, so contending writers stop colliding in lockstep
_VERIFY_PAGE = 1_000


class ArchiveRepositoryBase(ABC):
    """Implements `ArchiveRepository` over storage primitives."""

    def _batch(self) -> AbstractContextManager[object]:
        """Optional: run the primitives called inside as one atomic, durable unit (sqlite: one transaction)."""
        return nullcontext()

    @abstractmethod
    def _find_by_dedupe_key(self, mn: str, key: str) -> ArchivedFrame | None:
        """The archived record with this RawFrame.dedupe_key, if any."""

    @abstractmethod
    def _head(self, mn: str) -> ArchivedFrame | None:
        """The record with the highest seq for `mn`."""

    @abstractmethod
    def _insert(self, record: ArchivedFrame) -> None:
        """Insert; raise ConflictError if (mn, seq) is taken."""

    @abstractmethod
    def _by_time(self, mn: str, start: datetime, end: datetime, limit: int) -> list[ArchivedFrame]:
        """Records with start ≤ received_at < end, ascending by seq."""

    def _by_time_containing(
        self, mn: str, start: datetime, end: datetime, limit: int, needle: bytes
    ) -> list[ArchivedFrame]:
        """Of the records `_by_time` returns, those whose raw bytes contain `needle`. Adapters that can filter
        where the data lives (sqlite) override this; the result must be the same."""
        return [r for r in self._by_time(mn, start, end, limit) if needle in r.frame.raw]

    @abstractmethod
    def _by_seq(self, mn: str, from_seq: int, limit: int) -> list[ArchivedFrame]:
        """Records with seq ≥ from_seq, ascending by seq, at most `limit`."""

    def append(self, frame: RawFrame) -> ArchivedFrame:
        """Archive a received frame; a redelivery of the same receipt returns the existing record."""
        for attempt in range(_RETRIES):
            if attempt:
                time.sleep(random.uniform(0, min(_BACKOFF_CAP_S, 0.001 * 2**attempt)))
            existing = self._find_by_dedupe_key(frame.mn, frame.dedupe_key)
            if existing is not None:
                return existing
            head = self._head(frame.mn)
            prev_hash, seq = (GENESIS_HASH, 1) if head is None else (head.hash, head.seq + 1)
            record = ArchivedFrame(frame=frame, seq=seq, prev_hash=prev_hash, hash=link_hash(prev_hash, frame))
            try:
                self._insert(record)
            except ConflictError:
                continue  # another writer took this seq; rebuild on the new head
            return record
        raise StorageUnavailableError(f"archive {frame.mn}: could not append after {_RETRIES} attempts")

    def append_many(self, frames: Sequence[RawFrame]) -> list[ArchivedFrame]:
        """Archive a batch in order; durable as a whole when it returns (one commit on sqlite)."""
        with self._batch():
            return [self.append(frame) for frame in frames]

    def head(self, mn: str) -> ArchivedFrame | None:
        return self._head(mn)

    def frames(
        self, mn: str, start: datetime, end: datetime, *, limit: int = 10_000, containing: bytes = b""
    ) -> list[ArchivedFrame]:
        """The first `limit` records with start ≤ received_at < end, ascending by seq; with `containing`, only
        those of them whose raw bytes contain it (split-packet joins look for a DataTime this way)."""
        start, end = check_range(start, end, limit)
        if containing:
            return self._by_time_containing(mn, start, end, limit, bytes(containing))
        return self._by_time(mn, start, end, limit)

    def chain(self, mn: str, *, from_seq: int = 1, limit: int = 1_000) -> list[ArchivedFrame]:
        if not (1 <= limit <= 100_000):
            raise InvalidInputError("limit must be within 1..100000")
        return self._by_seq(mn, max(1, from_seq), limit)

    def verify(self, mn: str) -> ChainVerification:
        """Walk the whole chain page by page from seq 1; report the first broken link."""
        checked, prev = 0, GENESIS_HASH
        while True:
            page = self._by_seq(mn, checked + 1, _VERIFY_PAGE)
            if not page:
                return ChainVerification(mn, True, checked)
            result = verify_chain(mn, page, prev_hash=prev, first_seq=checked + 1)
            if not result.ok:
                return ChainVerification(mn, False, checked + result.checked, result.first_broken_seq, result.reason)
            checked, prev = checked + len(page), page[-1].hash
