"""When a warm cache reads a kept copy again: once per refresh period of tick time, on a minute staggered by key.

More: docs/rules.md, "Module notes".
"""

from __future__ import annotations

import zlib
from datetime import datetime, timedelta


def minute_of(tick: datetime) -> int:
    """Minutes since the epoch of a tick's time: the clock every turn is counted on (not how many ticks ran here)."""
    return int(tick.timestamp() // 60)


class RefreshTurns:
    """Each key has one turn per `period`: the minutes m with (m + crc32(key)) % period == 0. A copy read at minute
    `since` is due at minute `now` when a turn fell in (since, now]. Counted on the ticks' own time, a key is due
    once a period whatever else the container evaluates (many shards a tick, skipped ticks, another cadence)."""

    def __init__(self, period: timedelta) -> None:
        self.minutes = max(1, int(period.total_seconds() // 60))

    def due(self, key: str, since: int, now: int) -> bool:
        off = zlib.crc32(key.encode())
        return (now + off) // self.minutes > (since + off) // self.minutes
