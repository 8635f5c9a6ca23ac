"""Rule windows kept across ticks: each tick reads only what is new (a short tail), not the whole window again.

More: docs/rules.md, "Module notes".
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

from monitoring.evaluation.models import Sample
from monitoring.readings.models import Reading

Window = tuple[datetime, datetime, list[Sample]]  # a cached range [start, end) and every sample in it
Fetch = Callable[[Sequence[str], datetime, datetime], Mapping[str, list[Sample]]]
_FIELDS = {"p": "p", "ia": "ia", "ib": "ib", "ic": "ic", "ua": "ua", "ub": "ub", "uc": "uc", "ep_fwd": "energy"}


def to_sample(r: Reading) -> Sample:
    """The rule engine's view of a reading; the worst flag of the quantities it uses becomes its flag."""
    vals = {dst: r.values[src] for src, dst in _FIELDS.items() if src in r.values}
    flags = [r.flags[q] for q in _FIELDS if q in r.flags and r.flags[q] != "N"]
    return Sample(r.data_time, flag=flags[0] if flags else "N", received_at=r.received_at, **vals)


class CachedSampleReader:
    """A SampleReader over `fetch` (the backend's uncached read of [start, end) for many points).

    Stored readings never change (the first write of a (point, kind, data time) wins), so a cached range stays
    true except for readings that arrive later with older data times. Each call therefore re-reads the last
    `tail` of the cached range (and the part of the window before it, if the window starts earlier), re-reads a
    point fully every `refresh_every` calls (staggered by point), and forgets the points named by `invalidate`
    (the engine passes the points with backfill marks).
    """

    def __init__(self, fetch: Fetch, *, tail: timedelta = timedelta(minutes=5), refresh_every: int = 15) -> None:
        self._fetch = fetch
        self._tail = tail
        self._refresh_every = max(refresh_every, 1)
        self._cache: dict[str, Window] = {}
        self._calls: dict[str, int] = {}

    def invalidate(self, point_ids: Sequence[str]) -> None:
        for pid in point_ids:
            self._cache.pop(pid, None)

    def export(self, point_ids: Sequence[str]) -> dict[str, Window]:
        """The cached range of each of `point_ids` that has one: (start, end, every sample in [start, end))."""
        return {pid: self._cache[pid] for pid in point_ids if pid in self._cache}

    def restore(self, windows: Mapping[str, Window]) -> None:
        """Take these ranges as cached (another container's, from a snapshot); each must be whole."""
        for pid, (start, end, samples) in windows.items():
            self._cache[pid] = (start, end, list(samples))

    def samples(self, point_ids: Sequence[str], start: datetime, end: datetime) -> Mapping[str, list[Sample]]:
        """Readings per point in [start, end), sorted by data time."""
        full: list[str] = []
        tails: dict[tuple[datetime, datetime], list[str]] = {}  # (head read up to, tail read from) -> points
        for pid in point_ids:
            n = self._calls[pid] = self._calls.get(pid, 0) + 1
            hit = self._cache.get(pid)
            stagger = (n + zlib.crc32(pid.encode())) % self._refresh_every == 0
            if hit is not None and hit[1] <= end and not stagger:
                # A window reaching further back than the cached one (a catch-up) reads only the part before it.
                head_to, since = max(hit[0], start), max(hit[1] - self._tail, start)
                if head_to <= since:
                    tails.setdefault((head_to, since), []).append(pid)
                    continue
            full.append(pid)
        if full:
            fresh = self._fetch(full, start, end)
            for pid in full:
                self._cache[pid] = (start, end, list(fresh.get(pid, [])))
        for (head_to, since), pids in tails.items():
            before = self._fetch(pids, start, head_to) if start < head_to else {}
            got = self._fetch(pids, since, end)
            for pid in pids:
                kept = [s for s in self._cache[pid][2] if head_to <= s.at < since]
                self._cache[pid] = (start, end, list(before.get(pid, [])) + kept + list(got.get(pid, [])))
        return {pid: self._cache[pid][2] for pid in point_ids if self._cache[pid][2]}
