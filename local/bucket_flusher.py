"""The bucket flusher (reading_bucket_minutes set): every minute, each closed bucket of the reading buffer with rows
not yet flushed is merged into its DynamoDB bucket item (all its buffered rows), then those rows are marked flushed
and pruned `keep` later. A crash between merge and mark redoes the merge, which then writes nothing (idempotent).

More: docs/local.md, "Module notes" (bucket_flusher).
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from multiprocessing.connection import Connection
from typing import Any

from local.config import LocalSettings
from local.reading_buffer import FLUSH_GRACE, BucketStore, DueBucket, ReadingBuffer
from local.workers import Control, _enter, _send, configure_handlers, open_reading_buffer
from monitoring.ingest.isolate import is_transient
from monitoring.storage.dynamodb.compact import reading_from_body
from monitoring.storage.dynamodb.reading_buckets import BucketTooLarge

log = logging.getLogger("local.buckets")
BUCKET_FLUSH_FAILED = "bucket flush failed; retrying"  # the county host alarms on it (local/app.py FAILURE_LINES)
TOO_LARGE = "bucket too large for one item; its readings written one item each"
FLUSH_EVERY_S = 60.0  # platform seconds between passes (each point's bucket closes every `minutes` platform minutes)
# Buckets merged per pass at most: a pass stays well inside the supervisor's hang_after_s (≈ 10 ms a merge) even when
# hours of buckets wait after an outage; the worker starts the next pass at once while `more` is set.
PER_PASS = 500
PASS_WALL_S = 10.0  # paced, a pass takes at most its rate × this many buckets: also well inside hang_after_s (30 s)
# A catch-up's merges a wall second (LocalSettings.reading_flush_per_s), on top of the on-time flow: 1,500 terminals
# (≈ 1,600 points, 5-minute buckets) close ≈ 5 buckets a second, ≈ 1 WRU each; a catch-up at 20 a second more stays
# a fraction of the readings table's provisioned writes (≈ 37 WCU at 1,500, docs/deploy.md) and works off an hour's
# backlog in ≈ 25 minutes.
MAX_PER_S = 20.0
PASS_DEADLINE_S = 1.5 * PASS_WALL_S  # a pass whose merges are slower than its pace stops here (hang_after_s: 30 s)
# The buckets that closed in the last platform minute are written within this share of a pass interval, whatever
# their number: a host of a province's tier (≈ 6,500 points) closes ≈ 22 a second, more than the catch-up pace, and
# a cap on them would leave it further behind every minute. They are the steady load the table is provisioned for.
ON_TIME_SHARE = 0.5
GRACE_S = FLUSH_GRACE.total_seconds()  # platform seconds after a bucket's end before it is written: its frames are in
REFUSED_RETRY = timedelta(minutes=15)  # platform time a bucket refused for its content is skipped before a retry


@dataclass
class FlushReport:
    """One pass: buckets merged, readings sent and new to DynamoDB, rows pruned; the error that ended it, if any."""

    buckets: int = 0
    readings: int = 0
    new: int = 0
    pruned: int = 0
    error: str = ""
    more: bool = False  # more due buckets than one pass takes
    on_time: int = 0  # buckets that closed in the last platform minute and waited at the pass's start
    skipped: int = 0  # buckets refused for their content within REFUSED_RETRY, not tried again in this pass


class BucketFlusher:
    """Writes the buffer's closed buckets to DynamoDB (`merge_bucket`) and marks their rows flushed."""

    def __init__(
        self,
        buffer: ReadingBuffer,
        readings_repo: BucketStore,
        *,
        grace_s: float = GRACE_S,
        per_pass: int = PER_PASS,
        max_per_s: float = MAX_PER_S,
        pass_every_s: float = FLUSH_EVERY_S,
        stop: threading.Event | None = None,
        sleep: Callable[[float], Any] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if not max_per_s > 0 or not pass_every_s > 0:
            raise ValueError(f"max_per_s and pass_every_s must be positive, got {max_per_s}, {pass_every_s}")
        self.buffer, self.repo, self.grace = buffer, readings_repo, timedelta(seconds=grace_s)
        self.per_pass = max(1, min(per_pass, int(max_per_s * PASS_WALL_S)))
        self.max_per_s, self.pass_every_s = max_per_s, pass_every_s  # wall seconds between passes
        self.interval, self.stop, self._monotonic = 1.0 / max_per_s, stop, monotonic
        self._sleep = stop.wait if stop is not None else sleep  # a stop order cuts a wait short
        self._next_at = 0.0  # monotonic time the next merge may start (pacing)
        self._on_rate, self._on_rate_at = 0.0, None  # type: tuple[float, datetime | None]
        self._refused: dict[DueBucket, datetime] = {}  # refused for its content, at (platform time)
        self.before_mark: Callable[[DueBucket], None] | None = None  # tests: a crash between the merge and the mark
        self.totals = FlushReport()
        self.last_error = ""

    @property
    def refused(self) -> int:
        """Buckets refused for their content, skipped until REFUSED_RETRY has passed (the worker's status)."""
        return len(self._refused)

    def _pace(self) -> None:
        """Wait until the next merge may start: at most one every `interval` wall seconds, no burst after a pause."""
        now = self._monotonic()
        if self._next_at > now:
            self._sleep(self._next_at - now)
            now = self._monotonic()
        self._next_at = max(now, self._next_at) + self.interval

    def flush_due(self, now: datetime) -> FlushReport:
        """Merge the buckets that ended `grace` before `now` and have unflushed rows, oldest first, at most
        `per_pass` (`more` says whether others wait); then prune. Paced at `max_per_s` plus what the last platform
        minute's buckets need to be written within ON_TIME_SHARE of `pass_every_s`. Raises on the first outage
        (DynamoDB unavailable, throttled): what is not marked is redone next pass. A bucket refused for its content
        (DynamoDB's item size, a malformed row) is left unflushed and named in `error`; the others go on."""
        report = FlushReport()
        self.buffer.touch(now)  # the file is in use (its horizon holds across a restart)
        self._refused = {b: at for b, at in self._refused.items() if now - at < REFUSED_RETRY}
        closed = now - self.grace
        report.on_time = self.buffer.closing(closed - timedelta(seconds=FLUSH_EVERY_S), closed)
        on_rate = report.on_time / (ON_TIME_SHARE * self.pass_every_s)
        if self._on_rate_at is not None and now - self._on_rate_at < timedelta(seconds=FLUSH_EVERY_S):
            on_rate = max(on_rate, self._on_rate)  # the minute's later passes keep its pace, finishing on time
        else:
            self._on_rate_at = now
        self._on_rate = on_rate
        self.interval = 1.0 / (self.max_per_s + on_rate)
        # a pass grows by PASS_WALL_S of the on-time pace, within 2 × PER_PASS (≈ 10 s of 10 ms merges)
        per_pass = self.per_pass + min(2 * PER_PASS, math.ceil(on_rate * PASS_WALL_S))
        limit = per_pass + len(self._refused)  # refused buckets at the head of due() must not fill the pass
        due = self.buffer.due(now, self.grace, limit=limit)
        todo = [b for b in due if b not in self._refused][:per_pass]
        report.skipped = sum(1 for b in due if b in self._refused)
        report.more = len(due) == limit
        refused: list[str] = []
        began = self._monotonic()
        for bucket in todo:
            if self.stop is not None and self.stop.is_set():
                report.more = False
                break
            if self._monotonic() - began >= PASS_DEADLINE_S:  # merges slower than the pace: the rest next pass
                report.more = True
                break
            self._pace()
            try:
                rows, new = self._flush_one(bucket, now)
            except Exception as exc:
                if is_transient(exc):  # an outage (DynamoDB, or the buffer's own disk): the pass ends, retried
                    raise
                self._refused[bucket] = now
                refused.append(f"{bucket.point_id}/{bucket.kind.value}@{bucket.start.isoformat()}: {exc!r}")
                continue
            self._refused.pop(bucket, None)
            report.buckets += 1
            report.readings += rows
            report.new += new
            self._add(buckets=1, readings=rows, new=new)
        report.pruned = self.buffer.prune(now)
        self._add(pruned=report.pruned)
        if refused:
            report.error = f"{len(refused)} bucket(s) refused, kept unflushed; first {refused[0]}"[:300]
        elif report.skipped:  # still there: the failure line goes on every pass, as while they were tried
            first = next(b for b in due if b in self._refused)
            report.error = (
                f"{report.skipped} bucket(s) refused earlier, kept unflushed (tried again {REFUSED_RETRY} after); "
                f"first {first.point_id}/{first.kind.value}@{first.start.isoformat()}"
            )[:300]
        return report

    def _flush_one(self, bucket: DueBucket, now: datetime) -> tuple[int, int]:
        """Merge one bucket with all its rows, then mark those rows; (rows, readings new to DynamoDB)."""
        rows = self.buffer.bucket_rows(bucket)
        readings = [reading_from_body(body, bucket.point_id, bucket.kind, at) for at, body in rows]
        try:
            new = self.repo.merge_bucket(bucket.point_id, bucket.kind, bucket.start, readings)
        except BucketTooLarge as exc:  # a terminal's huge raw texts: one item each instead, so the rows can go
            new = self.repo.put_bucket_as_items(bucket.point_id, bucket.kind, bucket.start, readings)
            fields = {"bucket": f"{bucket.point_id}/{bucket.kind.value}@{bucket.start.isoformat()}", "rows": len(rows)}
            log.warning(TOO_LARGE, extra={"fields": fields | {"why": str(exc)[:200]}})
        if self.before_mark is not None:
            self.before_mark(bucket)
        self.buffer.mark_flushed(bucket, [at for at, _ in rows], now)
        return len(rows), new

    def flush_logged(self, now: datetime) -> FlushReport:
        """`flush_due`, a failure logged (one BUCKET_FLUSH_FAILED line: the HostWorkerFailures alarm counts it) and
        kept in `last_error`, not raised: the worker retries it on its next pass."""
        try:
            report = self.flush_due(now)
        except Exception as exc:  # DynamoDB unavailable or throttled: the rows stay unflushed, merged next pass
            report = FlushReport(error=repr(exc)[:300])
        self.last_error = report.error
        if report.error:
            log.error(BUCKET_FLUSH_FAILED, extra={"fields": {"error": report.error}})
        return report

    def _add(self, **counts: int) -> None:
        for name, n in counts.items():
            setattr(self.totals, name, getattr(self.totals, name) + n)


def flush_main(settings: LocalSettings, control_conn: Connection, conn: Connection, parent_pid: int) -> None:
    """Process entry: a flush pass every FLUSH_EVERY_S until stopped. A stop flushes nothing early: buckets close
    on time, and their rows wait on disk for the next start."""
    _enter(settings, parent_pid, "buckets")
    control = Control(control_conn)
    clock = configure_handlers(settings)
    from functions import _wiring
    from monitoring.storage.dynamodb.readings import DynamoDBReadingsRepository

    buffer = open_reading_buffer(settings, clock)
    readings = _wiring.get_store().readings
    if not isinstance(readings, DynamoDBReadingsRepository):  # config requires store=dynamodb with buckets
        raise TypeError(f"the bucket flusher needs DynamoDB readings, got {type(readings).__name__}")
    stop = threading.Event()
    every_s = max(0.5, FLUSH_EVERY_S / settings.accel)  # a platform minute (under --accel, sooner in wall time)
    flusher = BucketFlusher(buffer, readings, max_per_s=settings.reading_flush_per_s, pass_every_s=every_s, stop=stop)
    busy: list[float] = []

    def run() -> None:
        while not stop.is_set():
            busy.append(time.monotonic())
            report = flusher.flush_logged(clock.now())
            busy.clear()
            if not report.more:  # a backlog (after an outage) is worked off pass after pass, each one bounded
                stop.wait(every_s)

    thread = threading.Thread(target=run, name="bucket-flush", daemon=True)
    thread.start()

    def status() -> dict[str, Any]:
        t = flusher.totals
        shown: dict[str, Any] = {
            "pid": os.getpid(),
            "busy_s": round(time.monotonic() - busy[0], 3) if busy else 0.0,
            "buckets": t.buckets,
            "flushed": t.readings,
            "new": t.new,
            "pruned": t.pruned,
            "last_error": flusher.last_error,
            "refused": flusher.refused,
        }
        return shown | buffer.counts()

    while not control.wait(settings.status_every_s):
        _send(conn, status())
    stop.set()
    thread.join(30.0)
    _send(conn, status())
    buffer.close()
    log.info("worker stopped", extra={"fields": {"worker": "buckets", "flushed": flusher.totals.readings}})
