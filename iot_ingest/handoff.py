"""Durable hand-off: frames from every connection are batched into FrameSink.put calls.

More: docs/iot_ingest.md, "Module notes".
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque

from iot_ingest.metrics import Metrics
from iot_ingest.ports import FrameRecord, FrameSink, SinkError

log = logging.getLogger(__name__)


class HandoffFull(Exception):
    """Too many frames are waiting for the sink; this one is refused (not acknowledged)."""


class Handoff:
    """Batches records into a sink with `concurrency` workers; one future per record."""

    def __init__(
        self,
        sink: FrameSink,
        metrics: Metrics,
        *,
        batch_max: int = 500,
        linger: float = 0.002,
        timeout: float = 10.0,
        concurrency: int = 1,
        max_pending: int = 50_000,
        failure_log_every_s: float = 30.0,
    ) -> None:
        self.sink = sink
        self.metrics = metrics
        self.batch_max = batch_max
        self.linger = linger
        self.timeout = timeout
        self.concurrency = concurrency
        self.max_pending = max_pending
        # While the sink keeps failing its line is repeated this often (not per batch): an alarm counting the lines
        # per minute stays in ALARM as long as the failure lasts.
        self.failure_log_every_s = failure_log_every_s
        self._failure_logged = 0.0  # monotonic time of the last "sink failed" line
        self._failing_since = 0.0
        self._queue: deque[tuple[FrameRecord, asyncio.Future[None]]] = deque()
        self._in_flight = 0
        self._wakeup: asyncio.Event | None = None
        self._idle: asyncio.Event | None = None
        self._workers: list[asyncio.Task[None]] = []
        self.healthy = True  # last sink call succeeded
        self.last_error = ""

    @property
    def pending(self) -> int:
        return len(self._queue) + self._in_flight

    def start(self) -> None:
        self._wakeup = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._workers = [asyncio.create_task(self._work(), name=f"handoff-{i}") for i in range(self.concurrency)]

    def submit(self, record: FrameRecord) -> asyncio.Future[None]:
        """Queue a record; the returned future resolves when it is durable. Raise HandoffFull when saturated."""
        if self._wakeup is None or self._idle is None:
            raise RuntimeError("Handoff.start() was not called")
        if self.pending >= self.max_pending:
            raise HandoffFull(f"{self.pending} frames pending")
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append((record, future))
        self._idle.clear()
        self._wakeup.set()
        return future

    async def _work(self) -> None:
        assert self._wakeup is not None and self._idle is not None
        while True:
            if not self._queue:
                if self._in_flight == 0:
                    self._idle.set()
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            if self.linger and len(self._queue) < self.batch_max:
                await asyncio.sleep(self.linger)
            count = min(len(self._queue), self.batch_max)
            batch = [self._queue.popleft() for _ in range(count)]
            if not batch:
                continue
            self._in_flight += len(batch)
            try:
                await self._put(batch)
            finally:
                self._in_flight -= len(batch)

    async def _put(self, batch: list[tuple[FrameRecord, asyncio.Future[None]]]) -> None:
        started = time.perf_counter()
        try:
            await asyncio.wait_for(self.sink.put([record for record, _ in batch]), self.timeout)
        except asyncio.CancelledError:
            for _, future in batch:
                if not future.done():
                    future.set_exception(SinkError("listener stopped before the sink confirmed"))
            raise
        except Exception as exc:  # any sink failure: none of these frames may be acknowledged
            reason = "sink_timeout" if isinstance(exc, TimeoutError) else "sink_failed"
            self.metrics.inc("errors", reason, len(batch))
            self.metrics.inc("sink_failures", reason)
            now = time.monotonic()
            if self.healthy:
                self._failing_since = now
            if self.healthy or now - self._failure_logged >= self.failure_log_every_s:
                self._failure_logged = now
                fields = {"reason": reason, "error": repr(exc), "batch": len(batch)}
                fields["failing_s"] = round(now - self._failing_since, 1)
                log.error("sink failed; frames are not acknowledged until it recovers", extra={"fields": fields})
            self.healthy = False
            self.last_error = repr(exc)
            error = SinkError(f"{reason}: {exc!r}")
            for _, future in batch:
                if not future.done():
                    future.set_exception(error)
            return
        if not self.healthy:
            log.info("sink recovered", extra={"fields": {"after_error": self.last_error}})
        self.healthy = True
        self.metrics.inc("sink_batches")
        self.metrics.inc("frames_durable", "", len(batch))
        self.metrics.inc("sink_seconds_micros", "", int((time.perf_counter() - started) * 1e6))
        for _, future in batch:
            if not future.done():
                future.set_result(None)

    async def drain(self, timeout: float) -> bool:
        """Wait until every submitted record has been put (or failed); False if `timeout` passed first."""
        if self._idle is None:
            return True
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            return False
        return True

    async def stop(self) -> None:
        for task in self._workers:
            task.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        self._workers = []
        for _, future in self._queue:
            if not future.done():
                future.set_exception(SinkError("listener stopped before the sink confirmed"))
        self._queue.clear()
