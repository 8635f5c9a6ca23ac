"""The budget for frames of unregistered MNs: an installer must see a new terminal come online (to bind it to a
point), but an unauthenticated peer cycling through made-up MNs must not fill the store.

More: docs/iot_ingest.md, "Module notes".
"""

from __future__ import annotations

from iot_ingest.limits import KeyedBuckets, TokenBucket

MAX_REPORTED = 10_000  # (scope, key) pairs remembered for rate-limiting reports; forgotten all at once beyond


class UnregisteredBudget:
    """Decide whether one more unregistered frame may be stored; remember when each refusal was last reported."""

    def __init__(
        self,
        *,
        window: float,
        mn_frames: int,
        source_frames: int,
        source_bytes: int,
        total_frames: int,
        total_bytes: int,
        report_every: float = 600.0,
        max_keys: int = 100_000,
    ) -> None:
        self.report_every = report_every
        self._mn = KeyedBuckets(mn_frames, mn_frames / window, max_keys=max_keys)
        self._source_frames = KeyedBuckets(source_frames, source_frames / window, max_keys=max_keys)
        self._source_bytes = KeyedBuckets(source_bytes, source_bytes / window, max_keys=max_keys)
        self._total = (total_frames, total_bytes, window)
        self._total_frames: TokenBucket | None = None  # created at the first frame, on the caller's clock
        self._total_bytes: TokenBucket | None = None
        self._reported: dict[tuple[str, str], float] = {}

    def spend(self, mn: str, source: str, size: int, now: float) -> str | None:
        """Charge one frame of `size` bytes. None: it fits. Otherwise the scope whose budget is spent, checked in
        the order "source", "total", "mn" (the per-MN sample); then nothing is charged. The per-MN bucket is looked
        at last so that a peer cycling through made-up MNs past its source budget adds no entries to that table."""
        if self._total_frames is None or self._total_bytes is None:
            frames, size_budget, window = self._total
            self._total_frames = TokenBucket(frames, frames / window, now)
            self._total_bytes = TokenBucket(size_budget, size_budget / window, now)
        source_frames, source_bytes = self._source_frames.get(source, now), self._source_bytes.get(source, now)
        if not (_room(source_frames, 1, now) and _room(source_bytes, size, now)):
            return "source"
        if not (_room(self._total_frames, 1, now) and _room(self._total_bytes, size, now)):
            return "total"
        sample = self._mn.get(mn, now)
        if not _room(sample, 1, now):
            return "mn"
        for bucket, amount in ((source_frames, 1), (source_bytes, size), (self._total_frames, 1),
                               (self._total_bytes, size), (sample, 1)):  # fmt: skip
            assert bucket is not None  # checked by _room
            bucket.tokens -= amount
        return None

    def report_due(self, scope: str, key: str, now: float) -> bool:
        """True at most once per `report_every` for a (scope, key): one event per exhausted budget, not a flood."""
        last = self._reported.get((scope, key))
        if last is not None and now - last < self.report_every:
            return False
        if len(self._reported) >= MAX_REPORTED:
            self._reported.clear()
        self._reported[(scope, key)] = now
        return True

    def sweep(self, now: float) -> None:
        for table in (self._mn, self._source_frames, self._source_bytes):
            table.sweep(now)


def _room(bucket: TokenBucket | None, amount: float, now: float) -> bool:
    return bucket is not None and bucket.level(now) >= amount
