"""The listener task's put notes in the rule state, every 10 s and closed at shutdown (monitoring/rules/put_notes.py).

More: docs/iot_ingest.md, "Module notes".
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid

from iot_ingest.adapters.store import run_blocking
from iot_ingest.put_log import PutLog
from monitoring.rules.ports import RuleStateRepository
from monitoring.rules.put_notes import NOTE_EVERY, PREFIX, note_doc

log = logging.getLogger(__name__)
DRAIN_WAIT = 5.0  # seconds stop() waits for puts still running in their threads before its last note


class PutNoteWriter:
    """Writes `put:<task>` from `log`: once before the listener takes connections (so a record it puts is never
    unnoted), then every `every` seconds, and closed when it stops."""

    def __init__(
        self,
        state: RuleStateRepository,
        log: PutLog,
        *,
        task: str = "",
        every: float = NOTE_EVERY.total_seconds(),
        stream_groups: int | None = None,
    ) -> None:
        self.state = state
        self.log = log
        self.key = PREFIX + (task or uuid.uuid4().hex[:12])
        self.every = every
        self.stream_groups = stream_groups  # the sink's partition-key groups, written in every note
        self._stop = asyncio.Event()
        self._loop: asyncio.Task[None] | None = None

    def write(self, *, closed: bool = False) -> None:
        noted_at, floor, newest = self.log.snapshot()
        self.state.put(self.key, note_doc(noted_at, floor, newest, closed=closed, stream_groups=self.stream_groups))

    async def start(self) -> None:
        """The first note (a failure here stops the start-up: rules would not know this task), then the loop."""
        await run_blocking(self.write)
        self._loop = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while not self._stop.is_set():
            try:
                await asyncio.wait_for(self._stop.wait(), self.every)
            except TimeoutError:
                pass
            if self._stop.is_set():
                return
            try:
                await run_blocking(self.write)
            except Exception as exc:  # a missed note holds the rules at the last one's floor: safe
                log.warning("put note not written", extra={"fields": {"error": repr(exc)}})

    async def stop(self, *, wait: float = DRAIN_WAIT) -> None:
        """After the sink is closed: the closed note (nothing more comes from this task). A put may still run in its
        thread (the sink's drain timed out while Kinesis throttled): it is waited for up to `wait` seconds; if it
        still runs, the note stays open (its floor holds the rules until the note is swept) and a late put's group
        is not missed."""
        self._stop.set()
        if self._loop is not None:
            await self._loop
        deadline = time.monotonic() + wait
        while self.log.in_flight() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        closed = not self.log.in_flight()
        if not closed:
            log.warning("puts still in flight at shutdown: put note left open", extra={"fields": {"wait_s": wait}})
        try:
            await run_blocking(lambda: self.write(closed=closed))
        except Exception as exc:  # the open note then holds the rules until it is swept (≈ 10 minutes)
            log.warning("last put note not written", extra={"fields": {"error": repr(exc)}})
