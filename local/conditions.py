"""A condition the runner logs while it holds: when it begins, again every period, and once when it ends.

The county host's CloudWatch alarms count these lines per minute, so a line each period keeps them in ALARM.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal

Change = Literal["raised", "holds", "cleared", ""]


class Condition:
    """Says when to log a condition: "raised" (it began), "holds" (a period since the last line), "cleared" (it
    ended), "" (nothing to log)."""

    def __init__(self, every_s: float, now: Callable[[], float] = time.monotonic) -> None:
        self.every_s, self._now = every_s, now
        self.holds = False
        self._logged = 0.0

    def update(self, holds: bool) -> Change:
        if not holds:
            was, self.holds = self.holds, False
            return "cleared" if was else ""
        now, began = self._now(), not self.holds
        self.holds = True
        if began or now - self._logged >= self.every_s:
            self._logged = now
            return "raised" if began else "holds"
        return ""
