"""The embedded scheduler holds a job whose input is incomplete (rule ticks wait for decode)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from local.clock import PlatformClock, Timeline
from local.scheduler import Job, Scheduler

MINUTE = timedelta(minutes=1)


async def _until(predicate: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


def test_a_tick_waits_until_everything_received_before_it_is_decoded() -> None:
    # Given platform time at x600 (a platform minute every 0.1 s) and an evaluation job whose input is complete
    # only up to 08:00:30, as when decode stalls with a frame received then still queued
    start = datetime(2026, 11, 30, 8, 0, 10, tzinfo=UTC)
    clock = PlatformClock(Timeline(start, time.time(), 600.0))
    fired: list[datetime] = []
    complete: list[datetime | None] = [start + timedelta(seconds=20)]

    def handler(event: dict[str, Any], context: Any) -> None:
        fired.append(datetime.fromisoformat(event["time"].replace("Z", "+00:00")))

    job = Job("evaluate", MINUTE, handler, complete_until=lambda: complete[0])

    async def scenario() -> None:
        scheduler = Scheduler(clock, [job], hold_poll_s=0.02)
        scheduler.start()
        try:
            # When about five platform minutes pass
            await asyncio.sleep(0.5)
            # Then no tick was evaluated, and the job says it is held
            assert fired == [] and job.held == 1 and job.held_since is not None
            # When decode gets as far as 08:03:30
            complete[0] = datetime(2026, 11, 30, 8, 3, 30, tzinfo=UTC)
            await _until(lambda: fired, 2.0)
            await asyncio.sleep(0.3)
            # Then the newest complete boundary, 08:03, is evaluated (the watermark covers the others) and nothing
            # later
            assert fired == [datetime(2026, 11, 30, 8, 3, tzinfo=UTC)]
            # When the queue is empty (everything received is decoded)
            complete[0] = None
            # Then the ticks run on time again
            await _until(lambda: fired[-1] >= boundary(clock.now()) - MINUTE, 2.0)
            assert job.held_since is None
        finally:
            await scheduler.stop()

    asyncio.run(scenario())


def boundary(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)


def test_a_failing_job_repeats_its_failure_line_until_a_tick_succeeds(caplog: Any) -> None:
    # Given a 5-minute job at x150 (a tick every 2 wall seconds) whose first two ticks fail, and failure lines
    # repeated every 0.2 s
    start = datetime(2026, 11, 30, 8, 4, 59, tzinfo=UTC)
    clock = PlatformClock(Timeline(start, time.time(), 150.0))
    calls: list[float] = []

    def handler(event: dict[str, Any], context: Any) -> str:
        calls.append(time.monotonic())
        if len(calls) <= 2:
            raise RuntimeError("DynamoDB unavailable")
        return "ok"

    job = Job("evaluate", timedelta(minutes=5), handler)

    async def scenario() -> None:
        scheduler = Scheduler(clock, [job], delay=timedelta(0), repeat_every_s=0.2)
        scheduler.start()
        try:
            await _until(lambda: len(calls) >= 3, 8.0)
            await asyncio.sleep(0.6)
        finally:
            await scheduler.stop()

    caplog.set_level("INFO", logger="local.scheduler")
    asyncio.run(scenario())
    failed = [r.created for r in caplog.records if r.getMessage() == "scheduled handler failed"]
    # Then the line was logged at the first failure and at least every 0.2 s (with slack) until the third tick
    # succeeded: the county host's alarm on it never sees a quiet minute while the failure lasts
    first_fail, success = calls[0], calls[2]
    assert failed and len(failed) >= 2 + int((success - first_fail) / 0.2) // 2, failed
    gaps = [b - a for a, b in zip(failed, failed[1:], strict=False)]
    assert max(gaps) < 0.6, gaps
    # And it stopped once a tick succeeded, with one "recovered" line
    wall_success = time.time() - (time.monotonic() - success)
    assert all(t <= wall_success + 0.05 for t in failed), (failed, wall_success)
    assert [r.getMessage() for r in caplog.records].count("scheduled handler recovered") == 1
    assert job.failing is not None and not job.failing.holds and job.errors == 2
