"""The embedded EventBridge: calls the rule handlers on platform-time boundaries (every minute, every five).

More: docs/local.md, "Module notes".
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from local.clock import PlatformClock
from local.conditions import Condition
from local.pipeline import LambdaContextStub

log = logging.getLogger(__name__)
Handler = Callable[[dict[str, Any], Any], Any]
HANDLER_FAILED = "scheduled handler failed"  # the county host alarms on it (local/app.py FAILURE_LINES)
HANDLER_RECOVERED = "scheduled handler recovered"


def scheduled_event(at: datetime, rule: str) -> dict[str, Any]:
    """An EventBridge Scheduled Event for `at` (aware)."""
    return {
        "version": "0",
        "id": f"local-{rule}-{at.strftime('%Y%m%dT%H%M')}",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "000000000000",
        "time": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": "local",
        "resources": [f"arn:aws:events:local:000000000000:rule/{rule}"],
        "detail": {},
    }


def boundary_at_or_before(at: datetime, period: timedelta) -> datetime:
    epoch = at.replace(hour=0, minute=0, second=0, microsecond=0)
    steps = (at - epoch) // period
    return epoch + steps * period


@dataclass
class Job:
    """A handler called on every `period` boundary of platform time."""

    name: str
    period: timedelta
    handler: Handler
    runs: int = 0
    skipped: int = 0
    last_tick: datetime | None = None
    last_seconds: float = 0.0
    last_result: Any = None
    errors: int = 0
    # Data time up to which the job's input is complete (None: all of it); ticks after it wait.
    complete_until: Callable[[], datetime | None] | None = None
    held: int = 0  # ticks that had to wait for complete_until
    held_since: float | None = None  # monotonic start of the current wait
    running_since: float | None = None  # monotonic start of the handler call in progress
    failing: Condition | None = None  # since its last tick failed, until one succeeds (Scheduler sets it)
    last_error: str = ""

    def progress(self) -> None:
        """The handler finished one unit of its work (a county of local/county_rules.py): the call's busy time, which
        the worker's supervisor holds against its allowance, starts again. Safe from the handler's thread."""
        if self.running_since is not None:
            self.running_since = time.monotonic()


class Scheduler:
    """Runs each job on its boundaries of `clock` (accelerated or not) until cancelled."""

    def __init__(
        self,
        clock: PlatformClock,
        jobs: list[Job],
        *,
        delay: timedelta = timedelta(seconds=1),
        after_s: float = 0.0,
        hold_poll_s: float = 0.1,
        repeat_every_s: float = 30.0,
    ) -> None:
        self.clock = clock
        self.after_s = after_s
        self.hold_poll_s = hold_poll_s  # wall seconds between looks at complete_until while a tick is held
        self.jobs = jobs
        self.delay = delay  # EventBridge fires a little after the boundary; so do we (platform time)
        self._tasks: list[asyncio.Task[None]] = []
        self._executor = ThreadPoolExecutor(max_workers=len(jobs), thread_name_prefix="scheduler")
        # A failing job's line is repeated every repeat_every_s until a tick succeeds: its ticks may be 5 minutes
        # apart, and the county host's HostWorkerFailures alarm must not return to OK between two failed ones.
        self.repeat_every_s = repeat_every_s
        for job in jobs:
            job.failing = Condition(repeat_every_s)

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._run(job), name=f"schedule-{job.name}") for job in self.jobs]
        self._tasks.append(asyncio.create_task(self._repeat_failures(), name="schedule-failures"))

    async def _repeat_failures(self) -> None:
        while True:
            await asyncio.sleep(min(self.repeat_every_s, 1.0))
            for job in self.jobs:
                if job.failing is not None and job.failing.holds and job.failing.update(True) == "holds":
                    self._log_failure(job, None)

    @staticmethod
    def _log_failure(job: Job, tick: datetime | None) -> None:
        fields = {"job": job.name, "tick": tick.isoformat() if tick else None, "errors": job.errors}
        log.error(HANDLER_FAILED, extra={"fields": fields | {"error": job.last_error, "repeated": tick is None}})

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            try:
                await task
            except asyncio.CancelledError:
                pass

    async def _run(self, job: Job) -> None:
        await asyncio.sleep(self.after_s)
        next_tick = boundary_at_or_before(self.clock.now(), job.period) + job.period
        while True:
            await asyncio.sleep(self.clock.wall_delay(next_tick + self.delay))
            latest = boundary_at_or_before(self.clock.now() - self.delay, job.period)
            if job.complete_until is not None:
                ready = await self._complete_until(job)
                if ready is not None:
                    latest = min(latest, boundary_at_or_before(ready, job.period))
                if ready is not None and latest < next_tick:  # frames received before the tick are undecoded
                    if job.held_since is None:
                        job.held, job.held_since = job.held + 1, time.monotonic()
                    await asyncio.sleep(self.hold_poll_s)
                    continue
                job.held_since = None
            if latest > next_tick:  # overran: evaluate the newest boundary, the watermark covers the rest
                job.skipped += int((latest - next_tick) / job.period)
                next_tick = latest
            await self.fire(job, next_tick)
            next_tick += job.period

    async def _complete_until(self, job: Job) -> datetime | None:
        """The job's complete_until, off the loop; if it cannot be read, hold: unknown data is not silence."""
        assert job.complete_until is not None
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, job.complete_until)
        except Exception as exc:
            if job.held_since is None:  # once per hold, not on every look
                fields = {"job": job.name, "error": repr(exc)}
                log.error("cannot tell how far decode got; holding", extra={"fields": fields})
            return datetime.min.replace(tzinfo=UTC)

    async def fire(self, job: Job, tick: datetime) -> None:
        started = job.running_since = time.monotonic()
        try:
            loop = asyncio.get_running_loop()
            event = scheduled_event(tick, job.name)
            result = await loop.run_in_executor(self._executor, job.handler, event, LambdaContextStub())
        except Exception as exc:  # a failed tick is retried by the next one (the watermark stays put)
            job.running_since = None
            job.errors += 1
            job.last_error = repr(exc)
            if job.failing is not None:
                job.failing.update(True)  # the repeats count their period from this line
            self._log_failure(job, tick)  # every failed tick, besides the repeats in between
            return
        job.running_since = None
        if job.failing is not None and job.failing.update(False) == "cleared":
            log.warning(HANDLER_RECOVERED, extra={"fields": {"job": job.name, "tick": tick.isoformat()}})
        job.runs += 1
        job.last_tick = tick
        job.last_seconds = time.monotonic() - started
        job.last_result = result
        log.info("%s tick %s: %s (%.2f s)", job.name, tick.isoformat(), result, job.last_seconds)
