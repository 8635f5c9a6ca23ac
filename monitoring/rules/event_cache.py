"""Terminal events kept across the ticks of a warm container: a tick queries only the MNs with arrival notes.

More: docs/rules.md, "Module notes".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from monitoring.events.models import Event
from monitoring.rules.refresh_turns import RefreshTurns, minute_of

NOTE_SLACK = timedelta(minutes=1)  # notes are read from a minute before the last read: clocks and minute floors
QUERY_LIMIT = 10_000


class EventsRepository(Protocol):
    """What the cache reads of `monitoring.storage.ports.EventsRepository` (the rules sit below storage)."""

    def events_for_mn(
        self, mn: str, start: datetime, end: datetime, *, limit: int = 10_000, consistent: bool = True
    ) -> list[Event]: ...
    def mns_with_new_events(self, since: datetime) -> set[str] | None: ...


@dataclass(slots=True)
class _Span:
    lo: datetime  # every event of the MN with lo <= occurred_at < hi, as stored when read
    hi: datetime
    events: list[Event]
    read_at: int  # minute_of the tick that first read it (extending it later reads only what is new)


class TerminalEventCache:
    """Per MN, the events of a range read before. `begin_tick` reads the arrival notes since this container's
    previous tick (one Query) and forgets the MNs they name; an MN is also read again once every `refresh` of
    tick time (staggered by MN, refresh_turns.py). After `max_gap` without a tick, or where the store keeps no
    notes, everything is read."""

    def __init__(
        self,
        *,
        refresh: timedelta = timedelta(minutes=60),
        max_gap: timedelta = timedelta(minutes=15),
        ahead: timedelta = timedelta(hours=6),
    ) -> None:
        self._turns = RefreshTurns(refresh)
        self._max_gap = max_gap
        self._ahead = ahead  # a read reaches this far past the window's end, so the sliding end stays inside it
        self._spans: dict[str, _Span] = {}
        self._synced: datetime | None = None  # the latest tick time whose notes were read (or cold start)
        self._minute = 0  # minute_of the tick begun last

    def begin_tick(self, repo: EventsRepository, now: datetime) -> None:
        """A tick at `now` (processing time) starts: forget what may have changed since the previous one."""
        self._minute = minute_of(now)
        synced = self._synced
        if synced is None or not self._spans or now - synced > self._max_gap:
            self._spans.clear()
            self._synced = now
            return
        # Notes written after the previous read carry a minute >= the previous tick's (it ran at or after it).
        changed = repo.mns_with_new_events(synced - NOTE_SLACK)
        if changed is None:
            self._spans.clear()
        else:
            for mn in changed:
                self._spans.pop(mn, None)
        # By the tick's time: another shard's tick at the same minute drops nothing again
        for mn in [m for m, span in self._spans.items() if self._turns.due(m, span.read_at, self._minute)]:
            del self._spans[mn]
        self._synced = max(synced, now)

    def events(self, repo: EventsRepository, mn: str, start: datetime, end: datetime) -> list[Event]:
        """The MN's events with start <= occurred_at < end, oldest first."""
        span = self._spans.get(mn)
        if span is None:
            hi = end + self._ahead
            span = _Span(start, hi, self._read(repo, mn, start, hi), self._minute)
        else:
            if start < span.lo:
                span.events[:0] = self._read(repo, mn, start, span.lo)
                span.lo = start
            if end > span.hi:
                hi = end + self._ahead
                span.events += self._read(repo, mn, span.hi, hi)
                span.hi = hi
        if len(span.events) >= QUERY_LIMIT:  # maybe cut short: serve it, do not keep it
            self._spans.pop(mn, None)
        else:
            self._spans[mn] = span
        return [e for e in span.events if start <= e.occurred_at < end]

    @staticmethod
    def _read(repo: EventsRepository, mn: str, start: datetime, end: datetime) -> list[Event]:
        # Eventually consistent: an event too fresh for this read has a note the next tick reads (NOTE_SLACK).
        return repo.events_for_mn(mn, start, end, limit=QUERY_LIMIT, consistent=False)

    def mns(self) -> Sequence[str]:
        """The MNs whose events are kept (tests)."""
        return sorted(self._spans)
