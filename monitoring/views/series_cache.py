"""Decoded minute rows of hot points kept between requests: a 24 h window sliding with now re-reads only its tail.

Stored readings never change (the first write wins); only late ones can land inside a cached range, so every
call re-reads the last `tail` and an entry is read afresh after `refresh_s`. Bounded by a total row count (LRU).
"""

from __future__ import annotations

import bisect
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, Protocol, TypeVar


class Timed(Protocol):
    @property
    def at(self) -> datetime: ...


T = TypeVar("T", bound=Timed)


@dataclass(frozen=True, slots=True)
class _Entry(Generic[T]):
    kind: str
    lo: datetime
    hi: datetime
    rows: list[T]  # ascending by `at`, covering [lo, hi)
    loaded: float  # monotonic time of the last full read


class SeriesCache(Generic[T]):
    def __init__(
        self,
        *,
        max_rows: int = 200_000,
        tail: timedelta = timedelta(minutes=5),
        span: timedelta = timedelta(hours=24),
        refresh_s: float = 60.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_rows, self.tail, self.span, self.refresh_s = max_rows, tail, span, refresh_s
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._entries: OrderedDict[Hashable, _Entry[T]] = OrderedDict()
        self._rows = 0

    def rows(
        self,
        key: Hashable,
        start: datetime,
        end: datetime,
        load: Callable[[str | None, datetime, datetime], tuple[str, Sequence[T]]],
    ) -> tuple[str, list[T]]:
        """The rows of [start, end) for `key`; `load(kind or None, lo, hi)` reads what the cache does not hold
        (None: the loader picks the kind, e.g. minute data else realtime) and names the kind it read."""
        now = self._monotonic()
        with self._lock:
            old = self._entries.get(key)
        if old is None or start < old.lo or end < old.lo or now - old.loaded > self.refresh_s:
            kind, fresh = load(None, start, end)
            entry = _Entry(kind, start, end, list(fresh), now)
        elif end <= old.hi - self.tail:
            entry = old  # wholly inside what is held, away from the still-moving tail
        else:
            since = max(old.lo, old.hi - self.tail)
            kind, fresh = load(old.kind, since, end)
            keep = old.rows[: bisect.bisect_left([r.at for r in old.rows], since)]
            lo = max(old.lo, end - self.span)
            rows = keep + list(fresh)
            rows = rows[bisect.bisect_left([r.at for r in rows], lo) :]
            entry = _Entry(old.kind, lo, max(old.hi, end), rows, old.loaded)
        self._keep(key, entry)
        times = [r.at for r in entry.rows]
        return entry.kind, entry.rows[bisect.bisect_left(times, start) : bisect.bisect_left(times, end)]

    def _keep(self, key: Hashable, entry: _Entry[T]) -> None:
        with self._lock:
            current = self._entries.pop(key, None)
            if current is not None:
                self._rows -= len(current.rows)
            self._entries[key] = entry
            self._rows += len(entry.rows)
            while self._rows > self.max_rows and len(self._entries) > 1:
                _, evicted = self._entries.popitem(last=False)
                self._rows -= len(evicted.rows)
