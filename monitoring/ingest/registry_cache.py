"""A short-lived cache of terminals and their bound points, shared by the batches of one process.

More: docs/decode.md, "Module notes".
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitoring.clock import Clock
from monitoring.registry.models import MonitoringPoint
from monitoring.registry.terminal import Terminal


@dataclass(frozen=True, slots=True)
class _Entry:
    expires: datetime
    terminal: Terminal | None
    points: tuple[MonitoringPoint, ...] | None


class RegistryCache:
    """Terminal and points per MN, each kept for `ttl`; bounded to `max_entries` (least recently used out)."""

    def __init__(self, clock: Clock, *, ttl: timedelta = timedelta(seconds=60), max_entries: int = 50_000) -> None:
        self.clock, self.ttl, self.max_entries = clock, ttl, max_entries
        self._entries: OrderedDict[str, _Entry] = OrderedDict()

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
        expires = current.expires if current is not None else self.clock.now() + self.ttl
        self._put(mn, _Entry(expires, terminal, current.points if current is not None else None))

    def remember_points(self, mn: str, points: list[MonitoringPoint]) -> None:
        current = self._get(mn)
        expires = current.expires if current is not None else self.clock.now() + self.ttl
        self._put(mn, _Entry(expires, current.terminal if current is not None else None, tuple(points)))
