"""The hourly roll-ups a warm decode process has done, so a point's scheduled roll-up runs once per hour.

More: docs/decode.md, "Aggregates and completeness".
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta


class RollupLedger:
    """(point, hour) pairs rolled up by committed batches of this process. Only a scheduled roll-up (a reading
    in the point's trigger window) consults it; late data always re-rolls its hour. Losing it (a cold start) costs
    one extra roll-up per point still in its window, never a missed one."""

    def __init__(self, *, keep: timedelta = timedelta(hours=3)) -> None:
        self.keep = keep  # trigger windows of older hours are over; only a backfill reaches them (late data)
        self._done: set[tuple[str, datetime]] = set()
        self._pruned_at: datetime | None = None

    def done(self, point_id: str, hour: datetime) -> bool:
        return (point_id, hour) in self._done

    def record(self, rolled: Iterable[tuple[str, datetime]], now: datetime) -> None:
        """Call once the batch that rolled them up is committed (a failed batch is retried whole)."""
        self._done.update(rolled)
        if self._pruned_at is None or now - self._pruned_at >= timedelta(hours=1):  # bounded: O(points × keep)
            self._done = {(p, h) for p, h in self._done if h >= now - self.keep}
            self._pruned_at = now

    def __len__(self) -> int:
        return len(self._done)
