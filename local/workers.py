"""Worker processes of the embedded platform: the decode loop and the rule scheduler, each in its own process.

Why processes: the listener, decode and rule evaluation are all Python; in one process they share one core through
the GIL, and decode starves (measured: 1,700 frames/s acknowledged, ~300/s decoded on 2 cores). As processes they
use every core, and the sqlite store (WAL, busy timeout) already serialises their writes. The seams do not change:
the decode worker calls `functions.on_frame_batch.handler` with Kinesis-shaped events, the rules worker calls the
scheduled handlers with EventBridge events, as in AWS.

Lifetime: the parent (`local.app.Platform`) starts the workers after the clock file exists, so all processes share
one timeline. A worker stops when the parent sets its stop event (the decode worker drains the queue first, bounded)
and dies with the parent if the parent is killed (Linux parent-death signal, plus a watch on the parent pid), so a
`kill -9` of the platform leaves no orphan writing to the data directory. Workers ignore SIGINT: Ctrl-C reaches the
whole terminal's process group, and the parent decides the order of shutdown. Each worker sends its status (a
small dict) to the parent over a pipe every `status_every_s`.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import multiprocessing as mp
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event as MpEvent
from typing import Any

from local.config import LocalSettings

log = logging.getLogger("local.workers")
DB_FILE = "gongkuang.db"  # the data directory's store and frame queue (docs/local.md "Data directory")
QUEUE_FILE = "queue.db"
EVALUATE_JOB, ESCALATE_JOB = "every-minute-evaluate-rules", "every-five-minutes-escalate"
PR_SET_PDEATHSIG = 1
DRAIN_TIMEOUT_S = 30.0
CONTEXT = mp.get_context("spawn")  # the parent runs threads and an event loop: never fork it

WorkerMain = Callable[..., None]  # (settings, stop, wake, conn, parent_pid, *extra)


def configure_handlers(settings: LocalSettings) -> Any:
    """The Lambda handlers' wiring on this data directory (each process does it once); returns the clock."""
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "gongkuang-local")
    from functions import _wiring
    from local.clock import PlatformClock, load_timeline

    clock = PlatformClock(load_timeline(settings.path, accel=settings.accel, sim_start=settings.start()))
    wiring = _wiring.Settings(
        service="gongkuang-local",
        store_backend="sqlite",
        sqlite_path=str(settings.path / DB_FILE),
        county_id=settings.county_id,
        # These two bound write and read load, a wall-time concern: under acceleration they scale with it.
        state_refresh_s=60.0 * settings.accel,
        registry_cache_s=60.0 * settings.accel,
    )
    _wiring.configure(wiring, clock=clock)
    return clock


def _die_with_parent(parent_pid: int) -> None:
    """SIGKILL this process when the parent dies (Linux; strictly: when the parent's thread that started it ends,
    so the parent starts workers from its main thread only); on any system a thread also watches the parent pid."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent_pid:
                os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _enter(settings: LocalSettings, parent_pid: int, name: str) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _die_with_parent(parent_pid)
    from local.logs import configure_logging

    configure_logging(settings.log_level)
    log.info("worker started", extra={"fields": {"worker": name, "pid": os.getpid()}})


def _send(conn: Connection, status: dict[str, Any]) -> None:
    with contextlib.suppress(OSError, ValueError):  # the parent is gone or stopping: nothing to tell
        conn.send(status)


def decode_main(
    settings: LocalSettings,
    stop: MpEvent,
    wake: MpEvent,
    conn: Connection,
    parent_pid: int,
    shard: int = 0,
    shards: int = 1,
) -> None:
    """Process entry: drain the frame queue (this worker's shard of terminals) through the on_frame_batch handler
    until stopped."""
    _enter(settings, parent_pid, f"decode-{shard}")
    configure_handlers(settings)
    from functions import _wiring, on_frame_batch
    from local.pipeline import DecodeLoop
    from local.queue import FrameQueue, QueueDeadLetters

    queue = FrameQueue(settings.path / QUEUE_FILE)
    _wiring.use_dead_letters(QueueDeadLetters(queue))  # poison moves to queue.db's dead_frames
    loop = DecodeLoop(
        queue,
        on_frame_batch.handler,
        batch_size=settings.batch_size,
        max_attempts=settings.max_attempts,
        wake=wake,
        shard=shard,
        shards=shards,
    )
    loop.start()

    def status() -> dict[str, Any]:
        return {
            "pid": os.getpid(),
            "processed": loop.processed,
            "batches": loop.batches,
            "failures": loop.failures,
            "last_error": loop.last_error,
        }

    while not stop.wait(settings.status_every_s):
        _send(conn, status())
    loop.stop(DRAIN_TIMEOUT_S)
    _send(conn, status())
    queue.close()
    from functions import _wiring

    _wiring.get_store().close()
    log.info("worker stopped", extra={"fields": {"worker": f"decode-{shard}", "decoded": loop.processed}})


def rules_main(settings: LocalSettings, stop: MpEvent, wake: MpEvent, conn: Connection, parent_pid: int) -> None:
    """Process entry: call the rule handlers on platform-time boundaries until stopped."""
    _enter(settings, parent_pid, "rules")
    clock = configure_handlers(settings)
    from functions import every_five_minutes_escalate, every_minute_evaluate_rules
    from local.scheduler import Job, Scheduler

    evaluate = Job(EVALUATE_JOB, timedelta(seconds=settings.evaluate_every_s), every_minute_evaluate_rules.handler)
    escalate = Job(ESCALATE_JOB, timedelta(seconds=settings.escalate_every_s), every_five_minutes_escalate.handler)
    jobs = [evaluate, escalate]

    async def main() -> None:
        scheduler = Scheduler(clock, jobs, after_s=settings.evaluate_after_s)
        scheduler.start()
        while not stop.is_set():
            _send(conn, {"pid": os.getpid(), "jobs": jobs_status(jobs)})
            await asyncio.sleep(settings.status_every_s)
        await scheduler.stop()
        _send(conn, {"pid": os.getpid(), "jobs": jobs_status(jobs)})

    asyncio.run(main())
    log.info("worker stopped", extra={"fields": {"worker": "rules", "evaluations": evaluate.runs}})


def jobs_status(jobs: list[Any]) -> dict[str, dict[str, Any]]:
    """The scheduler's jobs as the status file shows them."""
    return {
        j.name: {
            "runs": j.runs,
            "skipped": j.skipped,
            "errors": j.errors,
            "last_seconds": round(j.last_seconds, 3),
            "last_tick": j.last_tick.isoformat() if j.last_tick else None,
            "last_result": _plain(j.last_result),
        }
        for j in jobs
    }


def _plain(value: Any) -> Any:
    """Handler results are JSON-shaped already; anything else is shown as text (the pipe pickles)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return str(value)


class Worker:
    """One supervised worker process: started, restarted if it dies, stopped in order."""

    RESTART_BACKOFF_S = (1.0, 2.0, 5.0, 10.0, 30.0)

    def __init__(
        self,
        name: str,
        target: WorkerMain,
        settings: LocalSettings,
        *,
        wake: MpEvent | None = None,
        extra: tuple[Any, ...] = (),
    ) -> None:
        self.name, self.target, self.settings, self.extra = name, target, settings, extra
        self._ctx = CONTEXT
        self.wake: MpEvent = wake or self._ctx.Event()
        self.status: dict[str, Any] = {}
        self.restarts = 0
        self._proc: Any = None
        self._stop: MpEvent = self._ctx.Event()
        self._conn: Connection | None = None
        self._next_start = 0.0

    def start(self) -> None:
        receive, send = self._ctx.Pipe(duplex=False)
        self._stop = self._ctx.Event()
        self._proc = self._ctx.Process(
            target=self.target,
            args=(self.settings, self._stop, self.wake, send, os.getpid(), *self.extra),
            name=f"gongkuang-{self.name}",
            daemon=False,  # it must be able to finish its drain after the parent asked it to stop
        )
        self._proc.start()
        send.close()
        self._conn = receive

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def alive(self) -> bool:
        return self._proc is not None and self._proc.is_alive()

    def poll(self) -> None:
        """Take the latest status; restart the worker (with back-off) if it died on its own."""
        conn = self._conn
        with contextlib.suppress(EOFError, OSError):
            while conn is not None and conn.poll():
                self.status = conn.recv()
        if self._proc is None or self._proc.is_alive() or self._stop.is_set():
            return
        now = time.monotonic()
        if not self._next_start:
            log.error(
                "worker exited; restarting",
                extra={"fields": {"worker": self.name, "exitcode": self._proc.exitcode, "restarts": self.restarts}},
            )
            self._next_start = now + self.RESTART_BACKOFF_S[min(self.restarts, len(self.RESTART_BACKOFF_S) - 1)]
        if now >= self._next_start:
            self._next_start = 0.0
            self.restarts += 1
            self.start()

    def stop(self, timeout: float) -> None:
        """Ask the worker to finish (the decode worker drains the queue) and wait; kill it past `timeout`."""
        if self._proc is None:
            return
        self._stop.set()
        self.wake.set()
        self._proc.join(timeout)
        if self._proc.is_alive():
            log.error("worker did not stop in time; killing it", extra={"fields": {"worker": self.name}})
            self._proc.kill()
            self._proc.join(5)
        self.poll()
        if self._conn is not None:
            self._conn.close()
