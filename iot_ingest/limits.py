"""Token buckets for the limits against bad peers: abuse per source address, garbage bytes, auth failures.

Time is passed in (monotonic seconds) so the limits are deterministic under test.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Generic, TypeVar

C = TypeVar("C", bound=Hashable)


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

    def level(self, now: float) -> float:
        self._refill(now)
        return self.tokens

    def give(self, now: float, amount: float) -> None:
        """Return `amount` tokens (a refund), never beyond the capacity."""
        self._refill(now)
        self.tokens = min(self.capacity, self.tokens + amount)

    def full(self, now: float) -> bool:
        self._refill(now)
        return self.tokens >= self.capacity


class KeyedBuckets:
    """Token buckets by key (source address, MN) with bounded memory: full buckets are forgotten."""

    def __init__(self, capacity: float, rate: float, *, max_keys: int = 100_000) -> None:
        self.capacity = capacity
        self.rate = rate
        self.max_keys = max_keys
        self._buckets: dict[str, TokenBucket] = {}

    def get(self, key: str, now: float) -> TokenBucket | None:
        """The key's bucket (a full one if new); None when the table is full of keys still in debt."""
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self.max_keys:
                self.sweep(now)
                if len(self._buckets) >= self.max_keys:
                    # Under a spoofed-source flood we cannot track everyone: refuse rather than grow without bound.
                    return None
            bucket = self._buckets[key] = TokenBucket(self.capacity, self.rate, now)
        return bucket

    def sweep(self, now: float) -> None:
        """Forget keys whose bucket has refilled completely (they are indistinguishable from new ones)."""
        for key in [k for k, b in self._buckets.items() if b.full(now)]:
            del self._buckets[key]

    def __len__(self) -> int:
        return len(self._buckets)


class SourceAbuse:
    """What each source address spends on connections that never authenticate and on failed passwords.

    Every new connection takes a token that is given back when the connection authenticates (its first frame with
    a registered MN and the right PW), so terminals that log in never drain their address's bucket, however often
    they reconnect: one broken terminal behind a carrier NAT cannot lock out its neighbours. A source whose bucket
    is empty is *on probation*: its new connections are still accepted (a neighbour cannot be told apart before
    its first frame) but must send a frame within `probation_timeout`, and its failed passwords are not archived.
    """

    def __init__(self, rate: float, burst: int, *, max_sources: int = 100_000) -> None:
        self._buckets = KeyedBuckets(burst, rate, max_keys=max_sources)

    def connection(self, source: str, now: float) -> bool:
        """Charge a new connection; False: the source is on probation and nothing was charged."""
        bucket = self._buckets.get(source, now)
        return bucket is not None and bucket.take(now)

    def refund(self, source: str, now: float) -> None:
        """The connection charged by `connection` authenticated: give its token back."""
        bucket = self._buckets.get(source, now)
        if bucket is not None:
            bucket.give(now, 1.0)

    def charge(self, source: str, now: float, amount: float = 1.0) -> None:
        """An abusive act (a failed password): spend what is left, down to zero."""
        bucket = self._buckets.get(source, now)
        if bucket is not None:
            bucket.tokens = max(0.0, bucket.level(now) - amount)

    def on_probation(self, source: str, now: float) -> bool:
        bucket = self._buckets.get(source, now)
        return bucket is None or bucket.level(now) < 1.0

    def sweep(self, now: float) -> None:
        self._buckets.sweep(now)

    def __len__(self) -> int:
        return len(self._buckets)


class SilentConnections(Generic[C]):
    """Connections that have not sent a frame yet, per source address, oldest first, at most `cap` per source.

    Kept for connections admitted on probation (those in good standing are bounded by the abuse bucket): it bounds
    what an abusive address holds open without saying anything. The oldest makes room for the newest, so a
    neighbour that connects and sends at once is not the one pushed out.
    """

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self._by_source: dict[str, dict[C, None]] = {}  # insertion-ordered: the first key is the oldest

    def add(self, source: str, conn: C) -> C | None:
        """Track `conn`; return the oldest silent connection of its source when that source is over the cap."""
        conns = self._by_source.setdefault(source, {})
        conns[conn] = None
        if len(conns) <= self.cap:
            return None
        oldest = next(iter(conns))
        del conns[oldest]
        return oldest

    def discard(self, source: str, conn: C) -> None:
        """`conn` sent its first frame or closed."""
        conns = self._by_source.get(source)
        if conns is not None:
            conns.pop(conn, None)
            if not conns:
                del self._by_source[source]

    def count(self, source: str) -> int:
        return len(self._by_source.get(source, ()))
