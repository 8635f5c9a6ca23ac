"""Terminals and their bound points cached across the batches of one process, dropped when the registry's mark moves.

More: docs/decode.md, "Registry cache" and "Module notes".
"""

from __future__ import annotations

import zlib
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitoring.clock import Clock
from monitoring.registry.changes import ChangeMarks, change_bucket
from monitoring.registry.models import MonitoringPoint
from monitoring.registry.terminal import Terminal


@dataclass(frozen=True, slots=True)
class _Entry:
    expires: datetime
    terminal: Terminal | None
    points: tuple[MonitoringPoint, ...] | None


class RegistryCache:
    """Terminal (or "not registered") and points per MN, bounded to `max_entries` (least recently used out).

    `follow(registry)` reads the registry's change mark at most every `check_every` and drops the entries of the
    buckets that moved. An entry lives at most `ttl`, at least 3/4 of it (with a mark: the safety net for a lost
    bump; without one, the only bound). An entry cached within `settle` after its bucket moved expires at the end
    of that time, so a re-read that an eventually consistent index answered from before the edit is read again; at
    the first read that holds for the buckets the mark says moved less than `settle` ago (a cold start in the lag)."""

    def __init__(
        self,
        clock: Clock,
        *,
        ttl: timedelta = timedelta(seconds=60),
        max_entries: int = 50_000,
        check_every: timedelta = timedelta(seconds=30),
        settle: timedelta = timedelta(seconds=60),
    ) -> None:
        self.clock, self.ttl, self.max_entries = clock, ttl, max_entries
        self.check_every, self.settle = check_every, settle
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._mark: Mapping[int, int] | None = None  # as last read
        self._checked: datetime | None = None
        self._moved: dict[int, datetime] = {}  # bucket -> end of its settling time
        self.mark_reads = 0

    def follow(self, registry: ChangeMarks) -> None:
        """Read the change mark if it is due; drop what it says changed since the last read."""
        now = self.clock.now()
        if self._checked is not None and now - self._checked < self.check_every:
            return
        mark = registry.registry_changes()
        self._checked, self.mark_reads = now, self.mark_reads + 1
        if mark is None:
            return  # the store keeps no mark: entries live for `ttl`
        counts = mark.counts
        if self._mark is None:
            moved = {change_bucket(mn) for mn in self._entries}  # nothing to compare with: trust nothing cached
        else:
            moved = {b for b in set(counts) | set(self._mark) if counts.get(b, 0) != self._mark.get(b, 0)}
        self._moved = {b: until for b, until in self._moved.items() if until > now}
        if self._mark is None:
            # A cold start: the index may still answer from before an edit made less than `settle` ago. Only those
            # buckets settle (not every bucket: that would re-read the whole first minute's cache once).
            for bucket, at in mark.moved_at.items():
                if at + self.settle > now:
                    self._moved[bucket] = max(at + self.settle, self._moved.get(bucket, now))
        self._mark = dict(counts)
        if not moved:
            return
        for bucket in moved:
            self._moved[bucket] = now + self.settle
        for mn in [mn for mn in self._entries if change_bucket(mn) in moved]:
            del self._entries[mn]

    def _expiry(self, mn: str) -> datetime:
        now = self.clock.now()
        # 75–100 % of the TTL by MN: entries cached together (a cold start) are not all re-read in the same minute
        expires = now + self.ttl * (1 - (zlib.crc32(mn.encode("utf-8"), 1) % 1024) / 4096)
        settling = self._moved.get(change_bucket(mn)) if self._moved else None
        return expires if settling is None or settling <= now else min(expires, settling)

    def _get(self, mn: str) -> _Entry | None:
        entry = self._entries.get(mn)
        if entry is None or entry.expires <= self.clock.now():
            return None
        self._entries.move_to_end(mn)
        return entry

    def _put(self, mn: str, entry: _Entry) -> None:
        self._entries[mn] = entry
        self._entries.move_to_end(mn)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def terminal(self, mn: str) -> tuple[bool, Terminal | None]:
        """(found in cache, terminal or None for "not registered")."""
        entry = self._get(mn)
        return (False, None) if entry is None else (True, entry.terminal)

    def points(self, mn: str) -> tuple[MonitoringPoint, ...] | None:
        entry = self._get(mn)
        return None if entry is None else entry.points

    def remember_terminal(self, mn: str, terminal: Terminal | None) -> None:
        """Cache a registry answer, or the terminal as decode just wrote it (keeps the state throttle exact)."""
        current = self._get(mn)
        expires = current.expires if current is not None else self._expiry(mn)
        self._put(mn, _Entry(expires, terminal, current.points if current is not None else None))

    def remember_points(self, mn: str, points: list[MonitoringPoint]) -> None:
        current = self._get(mn)
        expires = current.expires if current is not None else self._expiry(mn)
        self._put(mn, _Entry(expires, current.terminal if current is not None else None, tuple(points)))
