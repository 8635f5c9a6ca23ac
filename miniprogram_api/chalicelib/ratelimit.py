"""Per-key token buckets (login attempts per source address): in-process, thread-safe, bounded in memory.

One process's view only: several Lambda containers each keep their own, so AWS adds the WAF rate-based rule.
"""

from __future__ import annotations

import threading
from collections import OrderedDict


class RateLimiter:
    """`rate` tokens per second refill a bucket of `burst`; `take(key, now)` spends one or says how long to wait,
    `wait(key, now)` only says."""

    def __init__(self, rate_per_s: float, burst: int, *, max_keys: int = 10_000) -> None:
        self.rate = rate_per_s
        self.burst = burst
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (tokens, last time)
        self._lock = threading.Lock()

    def take(self, key: str, now: float) -> float:
        """0 when allowed (one token spent), else the seconds until the next token."""
        with self._lock:
            tokens, last = self._buckets.pop(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + max(0.0, now - last) * self.rate)
            if tokens >= 1.0:
                self._remember(key, tokens - 1.0, now)
                return 0.0
            self._remember(key, tokens, now)
            return (1.0 - tokens) / self.rate

    def wait(self, key: str, now: float) -> float:
        """Seconds until `key` has a token (0 = now), spending nothing."""
        with self._lock:
            tokens, last = self._buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + max(0.0, now - last) * self.rate)
            return 0.0 if tokens >= 1.0 else (1.0 - tokens) / self.rate

    def _remember(self, key: str, tokens: float, now: float) -> None:
        self._buckets[key] = (tokens, now)
        while len(self._buckets) > self.max_keys:  # the least recently seen address goes first
            self._buckets.popitem(last=False)
