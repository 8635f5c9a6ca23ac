"""Token buckets for the limits against bad peers: new connections per source, garbage bytes, auth failures.

Time is passed in (monotonic seconds) so the limits are deterministic under test.
"""

from __future__ import annotations


class TokenBucket:
    """`capacity` tokens, refilled at `rate` per second; `take` fails when not enough are left."""

    __slots__ = ("capacity", "rate", "tokens", "stamp")

    def __init__(self, capacity: float, rate: float, now: float) -> None:
        self.capacity = float(capacity)
        self.rate = float(rate)
        self.tokens = float(capacity)
        self.stamp = now

    def _refill(self, now: float) -> None:
        if now > self.stamp:
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now

    def take(self, now: float, amount: float = 1.0) -> bool:
        """Take `amount` tokens if available; the bucket never goes negative."""
        self._refill(now)
        if self.tokens >= amount:
            self.tokens -= amount
            return True
        return False

    def drain(self, now: float, amount: float) -> bool:
        """Spend `amount` even if it overdraws; return False once the balance is negative (budget exhausted)."""
        self._refill(now)
        self.tokens -= amount
        return self.tokens >= 0

    def full(self, now: float) -> bool:
        self._refill(now)
        return self.tokens >= self.capacity


class SourceRateLimiter:
    """New-connection rate per source address, with bounded memory (full buckets are forgotten)."""

    def __init__(self, rate: float, burst: int, *, max_sources: int = 100_000) -> None:
        self.rate = rate
        self.burst = burst
        self.max_sources = max_sources
        self._buckets: dict[str, TokenBucket] = {}

    def allow(self, source: str, now: float) -> bool:
        bucket = self._buckets.get(source)
        if bucket is None:
            if len(self._buckets) >= self.max_sources:
                self.sweep(now)
                if len(self._buckets) >= self.max_sources:
                    # Under a spoofed-source flood we cannot track everyone: refuse rather than grow without bound.
                    return False
            bucket = self._buckets[source] = TokenBucket(self.burst, self.rate, now)
        return bucket.take(now)

    def sweep(self, now: float) -> None:
        """Forget sources whose bucket has refilled completely (they are indistinguishable from new ones)."""
        for source in [s for s, b in self._buckets.items() if b.full(now)]:
            del self._buckets[source]

    def __len__(self) -> int:
        return len(self._buckets)
