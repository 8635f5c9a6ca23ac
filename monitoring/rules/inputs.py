"""An in-memory RuleInputs: readings and events held in lists (tests, benchmarks, replay of loaded history).

Readings are keyed by (point, data time): a duplicate replaces the earlier one, as the stores do. Every
addition is logged with its arrival time so `late_arrivals` can reopen windows for backfill.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from monitoring.evaluation.models import Sample, TerminalEvent, Topology


class MemoryRuleInputs:
    def __init__(self, topology: Topology) -> None:
        self._topology = topology
        self._times: dict[str, list[datetime]] = {}
        self._samples: dict[str, list[Sample]] = {}
        self._events: list[TerminalEvent] = []
        self._arrivals: list[tuple[datetime, str, datetime]] = []  # (received_at, point, data time)
        self._sorted = True

    def set_topology(self, topology: Topology) -> None:
        self._topology = topology

    def add(self, point_id: str, samples: Iterable[Sample], received_at: datetime | None = None) -> None:
        """Store readings (each sample's own received_at wins over the argument)."""
        times = self._times.setdefault(point_id, [])
        rows = self._samples.setdefault(point_id, [])
        arrivals: list[tuple[datetime, str, datetime]] = []
        for s in samples:
            if not times or s.at > times[-1]:  # the common case: appending in time order
                times.append(s.at)
                rows.append(s)
            else:
                i = bisect.bisect_left(times, s.at)
                if i < len(times) and times[i] == s.at:
                    rows[i] = s
                else:
                    times.insert(i, s.at)
                    rows.insert(i, s)
            arrived = s.received_at or received_at
            if arrived is not None:
                arrivals.append((arrived, point_id, s.at))
        if arrivals:
            self._arrivals.extend(arrivals)
            self._sorted = False

    def add_events(self, events: Iterable[TerminalEvent]) -> None:
        self._events.extend(events)
        self._events.sort(key=lambda e: e.at)

    def begin_tick(self, now: datetime) -> None:
        """Nothing is kept across ticks here."""
        del now

    def topology(self) -> Topology:
        return self._topology

    def samples(self, point_ids: Sequence[str], start: datetime, end: datetime) -> Mapping[str, list[Sample]]:
        out: dict[str, list[Sample]] = {}
        for pid in point_ids:
            times = self._times.get(pid)
            if not times:
                continue
            lo, hi = bisect.bisect_left(times, start), bisect.bisect_left(times, end)
            if lo < hi:
                out[pid] = self._samples[pid][lo:hi]
        return out

    def events(self, mns: Sequence[str], start: datetime, end: datetime) -> list[TerminalEvent]:
        wanted = set(mns)
        return [e for e in self._events if e.mn in wanted and start <= e.at < end]

    def late_arrivals(self, received_since: datetime, data_before: datetime) -> Mapping[str, datetime]:
        out: dict[str, datetime] = {}
        if not self._sorted:
            self._arrivals.sort(key=lambda a: a[0])
            self._sorted = True
        i = bisect.bisect_left(self._arrivals, received_since, key=lambda a: a[0])
        for _, pid, at in self._arrivals[i:]:
            if at < data_before and (pid not in out or at < out[pid]):
                out[pid] = at
        return out
