"""A circuit breaker per provider: after `threshold` timeouts in a row the sender goes straight to the next provider
for `cooldown_s`, then tries the slow one again (one success closes it). Process memory: a cold start forgets."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from monitoring.notify.ports import SendResult


class CircuitBreakers:
    def __init__(
        self, *, threshold: int = 3, cooldown_s: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.threshold = threshold
        self.cooldown_s = cooldown_s
        self.clock = clock
        self._timeouts: dict[str, int] = {}  # provider → timeouts in a row
        self._open_until: dict[str, float] = {}
        self._lock = threading.Lock()

    def allows(self, provider: str) -> bool:
        """False while the provider's circuit is open (skip it); True otherwise, and once the cooldown has passed."""
        with self._lock:
            return self._open_until.get(provider, 0.0) <= self.clock()

    def record(self, provider: str, result: SendResult) -> None:
        with self._lock:
            if result.code != "timeout":
                self._timeouts[provider] = 0  # the provider answered: it is not hanging
                return
            count = self._timeouts.get(provider, 0) + 1
            if count >= self.threshold:
                self._open_until[provider] = self.clock() + self.cooldown_s
                count = 0
            self._timeouts[provider] = count

    def is_open(self, provider: str) -> bool:
        return not self.allows(provider)
