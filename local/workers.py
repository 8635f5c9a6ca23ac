"""Worker processes of the embedded platform: the decode loop and the rule scheduler, each in its own process.

More: docs/local.md, "Module notes".
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import multiprocessing as mp
import os
import select
import signal
import sys
import threading
import time
from collections.abc import Callable, Mapping
from datetime import timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

from local.config import LocalSettings

if TYPE_CHECKING:
    from local.reading_buffer import ReadingBuffer

log = logging.getLogger("local.workers")
DB_FILE = "gongkuang.db"  # the data directory's store and frame queue (docs/local.md "Data directory")
QUEUE_FILE = "queue.db"
# The supervisor's failure lines: the county host alarms on them (local/app.py FAILURE_LINES)
WORKER_HUNG, WORKER_STOPPED = "worker hung; killing it", "worker stopped; killing it"
WORKER_EXITED = "worker exited; restarting"
EVALUATE_JOB, ESCALATE_JOB = "every-minute-evaluate-rules", "every-five-minutes-escalate"
MAINTENANCE_JOB = "every-fifteen-minutes-maintenance-reminders"
CAMPAIGN_JOB = "every-fifteen-minutes-campaign"
PR_SET_PDEATHSIG = 1
DRAIN_TIMEOUT_S = 30.0
STOPPED_STATES = frozenset("Tt")
DECODE_THREAD_DIED = 3  # a decode worker's exit code when its decode thread ended on its own
CONTEXT = mp.get_context("spawn")  # the parent runs threads and an event loop: never fork it

WorkerMain = Callable[..., None]  # (settings, control, status_conn, parent_pid, *extra)


# What the AWS stages give decode (infra/settings.py StageSettings → infra/stacks/platform.py lambda_environment);
# the county host on DynamoDB uses the same, so its reads and writes are the priced ones (tests/unit/local checks).
AWS_DECODE: dict[str, Any] = {
    "state_refresh_s": 600.0,  # terminal_state_refresh
    "registry_cache_s": 3600.0,  # registry_cache (a registry edit moves the change mark, read every 30 s)
    "registry_mark_check_s": 30.0,  # registry_mark_check
    "minute_reading_days": 35,  # minute_reading_days (the minute readings' TTL)
    "rollup_spread": True,  # decode_rollup_spread
}

# The county host's decode is one warm process: it keeps the terminals' last-frame times in liveness sheets written
# every 5 minutes (monitoring.registry.liveness), not in each terminal's item every 10 (TERMINAL_LIVENESS_S: 0 = off).
HOST_LIVENESS_S = 300.0


def wiring_settings(settings: LocalSettings, env: Mapping[str, str] | None = None) -> Any:
    """The handlers' wiring Settings for these local settings (sqlite: the data directory's store, 60 s caches;
    dynamodb: the stack's tables with the AWS stages' values, where the environment (`env`, default os.environ:
    the stage passes the Lambdas' variables) does not set them; either way caches scaled by accel)."""
    from functions import _wiring
    from local.config import rules_every_minutes

    common: dict[str, Any] = {
        "service": "gongkuang-local",
        "county_id": settings.county_id,
        "rules_every_minutes": rules_every_minutes(settings),
        "archive_items": not settings.archive_bucket,  # with the S3 archive, raw frames live only there (as on AWS)
    }
    if settings.store == "dynamodb":
        # The stage's variables (MINUTE_READING_DAYS, CLOCK_SKEW_ALARM_S, DECODE_ROLLUP, …) as the Lambdas read
        # them; the local settings decide the store, the county, the cadence and the archive.
        from_env = _wiring.settings_from_env(os.environ if env is None else env)
        given = {name: getattr(from_env, name) for name in from_env.model_fields_set}
        aws: dict[str, Any] = {**AWS_DECODE, **{k: v for k, v in given.items() if k in AWS_DECODE}}
        for name in ("state_refresh_s", "registry_cache_s"):
            aws[name] = min(86_400.0, float(aws[name]) * settings.accel)  # the wiring's ceiling
        return from_env.model_copy(
            update={
                "store_backend": "dynamodb",
                "dynamodb_table_prefix": settings.dynamodb_table_prefix,
                "dynamodb_region": settings.dynamodb_region,
                "dynamodb_endpoint": settings.dynamodb_endpoint,
                **aws,
                **common,
                "terminal_liveness_s": from_env.terminal_liveness_s
                if "terminal_liveness_s" in from_env.model_fields_set
                else HOST_LIVENESS_S,
                # the host writes buckets (reading_bucket_minutes): its own readers must read them, whatever the
                # stage says; the stage sets READING_BUCKETS on the county host anyway (buckets written before)
                "reading_buckets": from_env.reading_buckets or bool(settings.reading_bucket_minutes),
            }
        )
    return _wiring.Settings(
        store_backend="sqlite",
        sqlite_path=str(settings.path / DB_FILE),
        # These two bound write and read load, a wall-time concern: under acceleration they scale with it.
        state_refresh_s=60.0 * settings.accel,
        registry_cache_s=60.0 * settings.accel,
        **common,
    )


def configure_handlers(settings: LocalSettings) -> Any:
    """The Lambda handlers' wiring on this data directory (each process does it once); returns the clock."""
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "gongkuang-local")
    from functions import _wiring
    from local.clock import PlatformClock, load_timeline

    clock = PlatformClock(load_timeline(settings.path, accel=settings.accel, sim_start=settings.start()))
    _wiring.configure(wiring_settings(settings), clock=clock)
    return clock


def open_reading_buffer(settings: LocalSettings, clock: Any) -> ReadingBuffer:
    """The data directory's reading buffer: buckets as reading_buckets.py lays them. With reading_bucket_minutes 0
    (switched off) only to flush what is left: nothing is inserted, and the rows keep the buckets they were given."""
    from local.reading_buffer import BUFFER_FILE, ReadingBuffer
    from monitoring.storage.dynamodb.reading_buckets import MAX_BUCKET_MINUTES, bucket_start

    minutes = settings.reading_bucket_minutes or MAX_BUCKET_MINUTES

    def bucket_of(point_id: str, data_time: Any) -> Any:
        return bucket_start(point_id, data_time, minutes)

    # live: buckets on. Off, the file is retired (its horizon starts over when buckets are switched on again)
    live = bool(settings.reading_bucket_minutes)
    return ReadingBuffer(settings.path / BUFFER_FILE, bucket_of, minutes, clock, live=live)


def buffered_store(store: Any, settings: LocalSettings, clock: Any) -> Any:
    """`store` with its readings and the rules' sample reader as BufferedReadings over the data directory's reading
    buffer and DynamoDB's readings (what the county host's decode and rules workers use; bench/aws_host_run.py too)."""
    from dataclasses import replace
    from functools import partial

    from local.reading_buffer import BufferedReadings
    from monitoring.storage.dynamodb.readings import DynamoDBReadingsRepository
    from monitoring.storage.dynamodb.rule_samples import DynamoDBSampleReader

    dynamo = store.readings
    if not isinstance(dynamo, DynamoDBReadingsRepository):  # _validate_aws requires store=dynamodb
        raise TypeError(f"reading buffer needs DynamoDB readings, got {type(dynamo).__name__}")
    buffer = open_reading_buffer(settings, clock)
    buffered = BufferedReadings(buffer, dynamo, clock, future_tolerance=dynamo.future_tolerance)

    def close() -> None:
        buffer.close()
        store.close()

    return replace(store, readings=buffered, sample_reader=partial(DynamoDBSampleReader, buffered), close=close)


def use_reading_buffer(settings: LocalSettings, clock: Any) -> None:
    """Decode's and the rules' readings through the reading buffer (reading_bucket_minutes set; else nothing): the
    store's readings and the rules' sample reader become BufferedReadings over the buffer and DynamoDB's readings."""
    if not settings.reading_bucket_minutes:
        return
    from functions import _wiring

    _wiring.use_store_wrapper(lambda store: buffered_store(store, settings, clock))


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


class Control:
    """A worker's end of its control pipe: a byte is a wake-up, end of file the order to stop (the parent closed its
    end; also when the parent died)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn  # kept open for the process's lifetime; only its descriptor is read
        self.fd = conn.fileno()
        os.set_blocking(self.fd, False)
        self.stopped = False
        # poll, not select: spawn keeps the parent's descriptor numbers, and a runner holding over a thousand
        # terminal sockets hands a restarted worker a pipe past select's FD_SETSIZE (1024)
        self._poll = select.poll()
        self._poll.register(self.fd, select.POLLIN)

    def wait(self, timeout: float) -> bool:
        """Wait up to `timeout` for a wake-up or the stop order; True if either came."""
        if self.stopped:
            return True
        if not self._poll.poll(max(0.0, timeout) * 1000.0):
            return False
        try:
            data = os.read(self.fd, 65536)  # every pending wake-up at once
        except BlockingIOError:
            return False
        if not data:
            self.stopped = True
        return True


def _send(conn: Connection, status: dict[str, Any]) -> None:
    with contextlib.suppress(OSError, ValueError):  # the parent is gone or stopping: nothing to tell
        conn.send(status)


class DecodeThreadDied(RuntimeError):
    """The decode loop's thread ended while the worker was not stopping."""


def report_until_stopped(loop: Any, control: Control, report: Callable[[], None], every_s: float) -> None:
    """The decode worker's main thread until the stop order: relays wake-ups to the decode thread and reports
    status every `every_s`; raises DecodeThreadDied as soon as the decode thread is found not running."""
    next_status = 0.0
    while not control.stopped:
        if not loop.running():
            raise DecodeThreadDied(loop.last_error or "the decode thread ended")
        if control.wait(min(next_status - time.monotonic(), every_s)) and not control.stopped:
            loop.wake.set()  # relayed to the decode thread, inside this process
        if time.monotonic() >= next_status:
            report()
            next_status = time.monotonic() + every_s


def decode_main(
    settings: LocalSettings,
    control_conn: Connection,
    conn: Connection,
    parent_pid: int,
    shard: int = 0,
    shards: int = 1,
) -> None:
    """Process entry: drain the frame queue (this worker's shard of terminals) through the on_frame_batch handler
    until stopped."""
    _enter(settings, parent_pid, f"decode-{shard}")
    control = Control(control_conn)
    use_reading_buffer(settings, configure_handlers(settings))
    from functions import _wiring, on_frame_batch
    from local.pipeline import DecodeLoop
    from local.queue import FrameQueue, QueueDeadLetters

    queue = FrameQueue(settings.path / QUEUE_FILE)
    _wiring.use_dead_letters(QueueDeadLetters(queue))  # poison moves to queue.db's dead_frames

    def liveness_idle(stopping: bool) -> None:
        # the sheets whose moment came while no batch ran (a quiet shard), and at a stop every pending time
        notes = _wiring.get_liveness_notes()
        if notes is not None:
            notes.flush_due(_wiring.get_store().registry, _wiring.get_clock().now(), everything=stopping)

    loop = DecodeLoop(
        queue,
        on_frame_batch.handler,
        batch_size=settings.batch_size,
        max_attempts=settings.max_attempts,
        shard=shard,
        shards=shards,
        on_idle=liveness_idle,
    )
    loop.start()

    def status() -> dict[str, Any]:
        return {
            "pid": os.getpid(),
            "processed": loop.processed,
            "batches": loop.batches,
            "failures": loop.failures,
            "last_error": loop.last_error,
            "busy_s": loop.busy_seconds(),
        }

    try:
        report_until_stopped(loop, control, lambda: _send(conn, status()), settings.status_every_s)
    except DecodeThreadDied as exc:
        # Reporting on would look healthy while nothing decodes: exit, and the supervisor restarts the worker.
        fields = {"worker": f"decode-{shard}", "error": str(exc)}
        log.error("decode thread died; worker exits", extra={"fields": fields})
        queue.close()
        raise SystemExit(DECODE_THREAD_DIED) from None
    drain_until = time.monotonic() + DRAIN_TIMEOUT_S
    while True:  # drain, still reporting: a worker busy draining is not a hung one
        loop.stop(min(settings.status_every_s, max(0.0, drain_until - time.monotonic())))
        _send(conn, status())
        if not loop.running() or time.monotonic() >= drain_until:
            break
    if loop.running():  # a backlog left queued: stop after the batch in hand, the liveness sheets written
        loop.drain_on_stop = False
        loop.stop(settings.status_every_s)
    queue.close()
    from functions import _wiring

    _wiring.get_store().close()
    log.info("worker stopped", extra={"fields": {"worker": f"decode-{shard}", "decoded": loop.processed}})


def rules_main(settings: LocalSettings, control_conn: Connection, conn: Connection, parent_pid: int) -> None:
    """Process entry: call the rule handlers on platform-time boundaries until stopped.

    Evaluation waits for decode: a tick is evaluated only once every frame received before it has been decoded
    (the queue's oldest frame arrived at or after the tick). Otherwise a decode stall would look like silent
    terminals and raise `terminal_offline` on data that is acknowledged and waiting in the queue."""
    _enter(settings, parent_pid, "rules")
    control = Control(control_conn)
    clock = configure_handlers(settings)
    use_reading_buffer(settings, clock)
    from functions import (
        every_fifteen_minutes_campaign,
        every_fifteen_minutes_maintenance_reminders,
        every_five_minutes_escalate,
    )
    from local.config import county_ids
    from local.county_rules import CountyRules
    from local.queue import FrameQueue
    from local.scheduler import Job, Scheduler

    queue = FrameQueue(settings.path / QUEUE_FILE)
    # every county of the host in turn, each with its own warm caches and tick mark (local/county_rules.py), each
    # its own unit of work for the supervisor
    rules = CountyRules(county_ids(settings), single_county=settings.county_id)
    evaluate = Job(
        EVALUATE_JOB,
        timedelta(seconds=settings.evaluate_every_s),
        rules.handler,
        complete_until=queue.oldest_received_at,
    )
    rules.progress = evaluate.progress
    escalate = Job(ESCALATE_JOB, timedelta(seconds=settings.escalate_every_s), every_five_minutes_escalate.handler)
    maintenance = Job(
        MAINTENANCE_JOB,
        timedelta(seconds=settings.maintenance_every_s),
        every_fifteen_minutes_maintenance_reminders.handler,
    )
    # The campaign judges complete days; like evaluation it waits for decode, so a backlog never reads as a gap.
    campaign = Job(
        CAMPAIGN_JOB,
        timedelta(seconds=settings.campaign_every_s),
        every_fifteen_minutes_campaign.handler,
        complete_until=queue.oldest_received_at,
    )
    # scheduled_jobs=false (the county host on AWS): escalation, reminders and the campaign are the stack's Lambdas
    jobs = [evaluate, escalate, maintenance, campaign] if settings.scheduled_jobs else [evaluate]

    def status() -> dict[str, Any]:
        busy = [time.monotonic() - j.running_since for j in jobs if j.running_since is not None]
        return {"pid": os.getpid(), "busy_s": round(max(busy, default=0.0), 3), "jobs": jobs_status(jobs)}

    async def main() -> None:
        scheduler = Scheduler(clock, jobs, after_s=settings.evaluate_after_s, repeat_every_s=settings.log_every_s)
        scheduler.start()
        while not control.wait(0):
            _send(conn, status())
            await asyncio.sleep(settings.status_every_s)
        await scheduler.stop()
        _send(conn, status())

    asyncio.run(main())
    queue.close()
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
            "held": j.held,  # ticks that waited for decode to catch up
            "held_s": round(time.monotonic() - j.held_since, 1) if j.held_since is not None else 0.0,
            "failing": bool(j.failing and j.failing.holds),  # its last tick failed (its line repeats until one works)
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
    """One supervised worker process: started, restarted if it dies or hangs, stopped in order.

    Every call here returns at once or within its own timeout whatever the worker does (dies, hangs, is stopped):
    the listener's event loop calls `wake` after each commit and `poll` on its status ticks."""

    RESTART_BACKOFF_S = (1.0, 2.0, 5.0, 10.0, 30.0)
    STARTUP_S = 60.0  # silence allowed before a new process's first status (imports on a loaded machine)

    def __init__(
        self,
        name: str,
        target: WorkerMain,
        settings: LocalSettings,
        *,
        extra: tuple[Any, ...] = (),
        unit_allowance: float = 1.0,
    ) -> None:
        self.name, self.target, self.settings, self.extra = name, target, settings, extra
        # One unit of work may run unit_allowance × hang_after_s: a decode batch is bounded (1), a rule tick that
        # catches up hours of data after an outage legitimately takes long (more).
        self.unit_allowance = unit_allowance
        self._ctx = CONTEXT
        self.status: dict[str, Any] = {}
        self.restarts = 0
        self.hangs = 0  # times killed: silent or on one unit for hang_after_s, or stopped for stopped_after_s
        self._proc: Any = None
        self._control: Connection | None = None  # our (write) end of its control pipe; None once stopping
        self._control_lock = threading.Lock()  # `wake` (loop thread) against `stop` closing the pipe (a thread)
        self._status_conn: Connection | None = None
        self._reader: threading.Thread | None = None
        self._heard = 0.0  # monotonic time of its last status (or of its start)
        self._busy = 0.0  # seconds its current unit of work had run at that status
        self._reporting = False  # the current process has sent a status
        self._stopping = False
        self._next_start = 0.0
        self._stopped_since: float | None = None  # monotonic time a poll first found it stopped (state T/t)

    def start(self) -> None:
        receive, send = self._ctx.Pipe(duplex=False)
        control_r, control_w = self._ctx.Pipe(duplex=False)
        self._proc = self._ctx.Process(
            target=self.target,
            args=(self.settings, control_r, send, os.getpid(), *self.extra),
            name=f"gongkuang-{self.name}",
            daemon=False,  # it must be able to finish its drain after the parent asked it to stop
        )
        self._proc.start()
        send.close()
        control_r.close()
        os.set_blocking(control_w.fileno(), False)  # a wake-up never waits for the worker
        with self._control_lock:
            old, self._control = self._control, control_w
        if old is not None:
            old.close()
        self._status_conn = receive
        self._heard, self._busy, self._reporting = time.monotonic(), 0.0, False
        self._reader = threading.Thread(
            target=self._read_status, args=(receive,), name=f"status-{self.name}", daemon=True
        )
        self._reader.start()

    def _read_status(self, conn: Connection) -> None:
        """The worker's status messages, in a thread: a worker stopped halfway through one blocks only this."""
        while True:
            try:
                status = conn.recv()
            except (EOFError, OSError):  # the worker exited
                conn.close()
                return
            except Exception as exc:  # a garbled message: stop listening; its silence then reads as a hang
                log.error("worker status unreadable", extra={"fields": {"worker": self.name, "error": repr(exc)}})
                conn.close()
                return
            if conn is self._status_conn:
                self.status, self._heard = status, time.monotonic()
                self._busy, self._reporting = float(status.get("busy_s") or 0.0), True

    def wake(self) -> None:
        """Tell the worker there is work: one byte, never waiting. A full pipe means it has wake-ups pending; a
        dead worker's is broken; either way there is nothing more to do."""
        with self._control_lock:
            if self._control is None:
                return
            with contextlib.suppress(OSError):
                os.write(self._control.fileno(), b"\x01")

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def alive(self) -> bool:
        return self._proc is not None and self._proc.is_alive()

    def hung(self) -> bool:
        """No progress: silent for hang_after_s (a new process: for STARTUP_S at least), or one unit of work (a
        decode batch, a rule tick) running for unit_allowance × hang_after_s."""
        silent, limit = time.monotonic() - self._heard, self.settings.hang_after_s
        if silent >= (limit if self._reporting else max(limit, self.STARTUP_S)):
            return True
        return silent + self._busy >= limit * self.unit_allowance

    def stopped_too_long(self) -> bool:
        """Stopped (SIGSTOP, a debugger) for stopped_after_s, as far as this supervisor's polls saw: a stopped decode
        worker may hold queue.db's write lock, and every acknowledgement waits for it."""
        if self._proc is None or process_state(self._proc.pid) not in STOPPED_STATES:
            self._stopped_since = None
            return False
        now = time.monotonic()
        if self._stopped_since is None:
            self._stopped_since = now
        return now - self._stopped_since >= self.settings.stopped_after_s

    def poll(self) -> None:
        """Kill the worker if it hung or stays stopped; restart it (with back-off) if it died or was killed."""
        if self._proc is None or self._stopping:
            return
        if self._proc.is_alive():
            stopped = self.stopped_too_long()
            if not (stopped or self.hung()):
                return
            self.hangs += 1
            silent = round(time.monotonic() - self._heard, 1)
            fields = {"worker": self.name, "pid": self._proc.pid, "silent_s": silent, "busy_s": round(self._busy, 1)}
            # Its death releases its sqlite locks; WAL discards a transaction it had not committed.
            log.error(WORKER_STOPPED if stopped else WORKER_HUNG, extra={"fields": fields})
            self._stopped_since = None
            self._proc.kill()  # SIGKILL works on a stopped process too; the next poll restarts it, with back-off
            return
        now = time.monotonic()
        if not self._next_start:
            log.error(
                WORKER_EXITED,
                extra={"fields": {"worker": self.name, "exitcode": self._proc.exitcode, "restarts": self.restarts}},
            )
            self._next_start = now + self.RESTART_BACKOFF_S[min(self.restarts, len(self.RESTART_BACKOFF_S) - 1)]
        if now >= self._next_start:
            self._next_start = 0.0
            self.restarts += 1
            self.start()

    def stop(self, timeout: float) -> None:
        """Ask the worker to finish (the decode worker drains the queue) and wait; kill it past `timeout`, or as
        soon as it shows no progress for hang_after_s (a stopped or hung worker cannot hold up the shutdown)."""
        self._stopping = True
        with self._control_lock:
            control, self._control = self._control, None
        if control is not None:
            control.close()  # end of file: the order to stop
        if self._proc is None:
            return
        deadline = time.monotonic() + timeout
        while self._proc.is_alive() and time.monotonic() < deadline:
            self._proc.join(0.2)
            if self.hung() or self.stopped_too_long():
                break
        if self._proc.is_alive():
            log.error("worker did not stop in time; killing it", extra={"fields": {"worker": self.name}})
            self._proc.kill()
            self._proc.join(5)
        if self._reader is not None:
            self._reader.join(2.0)  # its last status, already in the pipe


def process_state(pid: int) -> str:
    """The state letter of /proc/<pid>/stat (R, S, D, T stopped, t traced, Z …); "" where unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:  # gone, or not Linux
        return ""
    fields = stat.rsplit(")", 1)[-1].split()  # after the command name, which may hold spaces and parentheses
    return fields[0] if fields else ""


class WakeUps:
    """What the queue's writer calls after each commit: a byte to every decode worker, never waiting."""

    def __init__(self, workers: list[Worker]) -> None:
        self.workers = workers

    def set(self) -> None:
        for worker in self.workers:
            worker.wake()
