"""What a Kinesis sink put, per stream group, for the task's put notes: newest put times and in-flight puts.

More: docs/iot_ingest.md, "Module notes".
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable


class PutLog:
    """Thread-safe (the sink puts from worker threads). Times are the wall clock (`clock`), compared by the rules
    with Kinesis' arrival times: a put's time is taken before the PutRecords call that took its records."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._in_flight: Counter[float] = Counter()  # start time of each put not finished yet
        self._newest: dict[str, float] = {}  # group -> newest put that went in

    def begin(self) -> float:
        """A put starts: until `end`, every record it puts arrives at or after the returned time."""
        started = self.clock()
        with self._lock:
            self._in_flight[started] += 1
        return started

    def went_in(self, at: float, groups: Iterable[str]) -> None:
        """The records of `groups` sent by a PutRecords call started at `at` are in the stream."""
        with self._lock:
            for group in groups:
                if at > self._newest.get(group, -1.0):
                    self._newest[group] = at

    def end(self, started: float) -> None:
        with self._lock:
            self._in_flight[started] -= 1
            if self._in_flight[started] <= 0:
                del self._in_flight[started]

    def in_flight(self) -> int:
        """Puts started and not finished (a PutRecords call still running in its thread)."""
        with self._lock:
            return sum(self._in_flight.values())

    def snapshot(self) -> tuple[float, float, dict[str, float]]:
        """(now, floor, newest put per group): every record put from now on, or still in flight, arrives at or
        after `floor` (the oldest in-flight put's start, else now)."""
        with self._lock:
            now = self.clock()
            return now, min(self._in_flight, default=now), dict(self._newest)
