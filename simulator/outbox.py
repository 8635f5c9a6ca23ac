"""Store-and-forward buffer of one platform link: packets wait here until that platform acknowledges them.

Urgent packets (SOE, restart) go ahead of the backlog, so a power-loss event leaves on backup power even
behind thousands of buffered records; the rest leave strictly oldest first. When full, the oldest normal
packet is dropped and counted (the notice asks for at least 4,000 records; the default keeps 20,000).
"""

from __future__ import annotations

import asyncio
import weakref
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from simulator.events import Record

MIN_CAPACITY = 4000


@dataclass
class Entry:
    record: Record
    index: int  # 0-based packet index within the record
    qn: str | None = None  # stamped when the packet is buffered (or at first send), kept for every resend

    @property
    def cp(self) -> str:
        return self.record.packets[self.index]

    @property
    def pnum(self) -> int | None:
        return len(self.record.packets) if len(self.record.packets) > 1 else None

    @property
    def pno(self) -> int | None:
        return self.index + 1 if len(self.record.packets) > 1 else None


class Outbox:
    """Two FIFO queues (urgent, normal) with one capacity."""

    def __init__(self, capacity: int = 20000) -> None:
        if capacity < MIN_CAPACITY:
            raise ValueError(f"buffer capacity must be at least {MIN_CAPACITY} records")
        self.capacity = capacity
        self._urgent: deque[Entry] = deque()
        self._normal: deque[Entry] = deque()
        self.dropped = 0
        self._waiter: asyncio.Future[None] | None = None

    def __len__(self) -> int:
        return len(self._urgent) + len(self._normal)

    def put(self, record: Record, qn: Callable[[], str] | None = None) -> None:
        """Queue a record's packets; `qn` stamps each packet as it is buffered, so a packet that waits through an
        outage goes out later with its original QN, as a store-and-forward terminal sends it (二.2)."""
        queue = self._urgent if record.urgent else self._normal
        for i in range(len(record.packets)):
            while len(self) >= self.capacity and self._normal:
                self._normal.popleft()
                self.dropped += 1
            if len(self) >= self.capacity:  # all urgent: drop the oldest urgent one instead
                self._urgent.popleft()
                self.dropped += 1
            queue.append(Entry(record, i, qn() if qn is not None else None))
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def peek(self) -> Entry | None:
        if self._urgent:
            return self._urgent[0]
        return self._normal[0] if self._normal else None

    def done(self, entry: Entry) -> None:
        """Remove an acknowledged entry (it is at the head of its queue unless it was dropped meanwhile)."""
        for queue in (self._urgent, self._normal):
            if queue and queue[0] is entry:
                queue.popleft()
                break

    async def wait(self, timeout: float) -> None:
        """Wait until something is queued, or at most `timeout` (a bare future: no task per wait; the timeout
        comes from a tick shared by every idle buffer of the loop, so it may end the wait sooner)."""
        if len(self):
            return
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[None] = loop.create_future()
        self._waiter = fut
        _ticker(loop, timeout).add(fut)
        try:
            await fut
        finally:
            self._waiter = None

    def snapshot(self) -> list[Entry]:
        """All waiting entries in sending order (for tests and history)."""
        return list(self._urgent) + list(self._normal)


def _settle(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)


class _Ticker:
    """Ends the waits of idle buffers every `period` seconds: one timer for the whole fleet instead of one
    armed (and mostly cancelled) per wait. It stops when nobody waits."""

    def __init__(self, loop: asyncio.AbstractEventLoop, period: float) -> None:
        self._loop, self._period = loop, period
        self._waiting: list[asyncio.Future[None]] = []
        self._handle: asyncio.TimerHandle | None = None

    def add(self, fut: asyncio.Future[None]) -> None:
        self._waiting.append(fut)
        if self._handle is None:
            self._handle = self._loop.call_later(self._period, self._tick)

    def _tick(self) -> None:
        waiting, self._waiting = self._waiting, []
        for fut in waiting:
            _settle(fut)
        self._handle = self._loop.call_later(self._period, self._tick) if waiting else None


_TICKERS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[float, _Ticker]] = weakref.WeakKeyDictionary()


def _ticker(loop: asyncio.AbstractEventLoop, period: float) -> _Ticker:
    per_loop = _TICKERS.get(loop)
    if per_loop is None:
        per_loop = _TICKERS[loop] = {}
    found = per_loop.get(period)
    if found is None:
        found = per_loop[period] = _Ticker(loop, period)
    return found
