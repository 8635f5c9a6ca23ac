"""Simulated time: a clock whose data time runs `accel` times faster than the wall clock.

Everything the terminals measure and label (DataTime, QN, SOE times) is read from this clock, in terminal
local wall time (naive datetimes, UTC+8 in China). Protocol timeouts (OverTime) stay in real seconds: they
model the network, not the data.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from hj212.china_time import CHINA


def china_now() -> datetime:
    """Now as a terminal in China shows it: naive local time, UTC+8, whole seconds."""
    return datetime.now(CHINA).replace(tzinfo=None, microsecond=0)


class SimClock:
    """Maps the monotonic wall clock onto simulated local time: start + elapsed × accel."""

    def __init__(self, start: datetime, accel: float = 1.0, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        if accel <= 0:
            raise ValueError("accel must be positive")
        self.start = start
        self.accel = accel
        self._monotonic = monotonic
        self._t0 = monotonic()

    def reset(self) -> None:
        """Make simulated time equal `start` now (called when a run begins, after any slow set-up)."""
        self._t0 = self._monotonic()

    def now(self) -> datetime:
        """The current simulated time."""
        return self.start + timedelta(seconds=(self._monotonic() - self._t0) * self.accel)

    def real_delay(self, until: datetime) -> float:
        """Wall seconds until simulated time `until` (0 if already past)."""
        return max(0.0, (until - self.now()).total_seconds() / self.accel)

    async def sleep_until(self, until: datetime) -> None:
        """Sleep (in wall time) until the simulated clock reaches `until`."""
        delay = self.real_delay(until)
        if delay > 0:
            await asyncio.sleep(delay)


class TerminalClock:
    """The terminal's own clock: true time plus an offset that drifts; set by CN 1012."""

    def __init__(self, drift_s_per_hour: float = 0.0, offset_s: float = 0.0) -> None:
        self.drift_s_per_hour = drift_s_per_hour
        self._offset_s = offset_s
        self._since: datetime | None = None  # true time the drift is counted from

    def offset(self, true_now: datetime) -> float:
        """Seconds the terminal clock is ahead of true time at `true_now`."""
        if self._since is None:
            self._since = true_now
        hours = (true_now - self._since).total_seconds() / 3600.0
        return self._offset_s + self.drift_s_per_hour * hours

    def read(self, true_now: datetime) -> datetime:
        """What the terminal's clock shows at true time `true_now`."""
        if not self.drift_s_per_hour and not self._offset_s:  # an exact clock (most terminals): nothing to add
            if self._since is None:
                self._since = true_now
            return true_now
        return true_now + timedelta(seconds=self.offset(true_now))

    def set(self, true_now: datetime, shown: datetime) -> None:
        """Set the clock so it shows `shown` now (CN 1012); drift restarts from here."""
        self._offset_s = (shown - true_now).total_seconds()
        self._since = true_now
