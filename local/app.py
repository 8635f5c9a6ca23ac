"""Wires and runs the platform: listener → frame queue (this process) → decode worker → store; rules worker.

More: docs/local.md, "Module notes".
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from iot_ingest.adapters.store import StoreEventSink
from iot_ingest.config import load_settings
from iot_ingest.handoff import Handoff
from iot_ingest.memory import MemoryLeases
from iot_ingest.server import Server
from local.archive_worker import ARCHIVE_CUT_FAILED, archive_main
from local.bucket_flusher import BUCKET_FLUSH_FAILED, flush_main
from local.conditions import Condition
from local.config import LocalSettings, archive_shard, county_ids
from local.listener_ports import listener_ports
from local.notify_worker import notify_main
from local.queue import RESERVE_REFUSING, FrameQueue, QueueSink
from local.reading_buffer import BUFFER_FILE, retire, unflushed_left
from local.scheduler import HANDLER_FAILED
from local.workers import (
    CAMPAIGN_JOB,
    DB_FILE,
    DRAIN_TIMEOUT_S,
    ESCALATE_JOB,
    EVALUATE_JOB,
    MAINTENANCE_JOB,
    QUEUE_FILE,
    WORKER_EXITED,
    WORKER_HUNG,
    WORKER_STOPPED,
    WakeUps,
    Worker,
    configure_handlers,
    decode_main,
    open_reading_buffer,
    rules_main,
)

if TYPE_CHECKING:
    from local.api import LocalApi

log = logging.getLogger("local")
STATUS_FILE = "status.json"
# The listener's per-source connection limit (2/s, burst 20) is meant for the Internet side of an NLB; on one
# machine a whole fleet may arrive from one address (a carrier NAT, a local simulator), so it is relaxed here.
# Override with the config file's [iot_ingest] table or IOT_INGEST_CONN_RATE / IOT_INGEST_CONN_BURST.
LISTENER_DEFAULTS = {"conn_rate": 500.0, "conn_burst": 5000}
JOB_NAMES = (EVALUATE_JOB, ESCALATE_JOB, MAINTENANCE_JOB, CAMPAIGN_JOB)
# A rule tick may run 10 × hang_after_s (a catch-up after hours down) before it is a hang; with several counties each
# county has that much (local/county_rules.py reports progress between them).
RULE_TICK_ALLOWANCE = 10.0
# Lines the county host's alarms count (infra/constructs/ingest.py HOST_* patterns; tests/infra compare them): the
# conditions are repeated every log_every_s while they hold; each failure is one line (a failing rule job's is
# repeated too, local/scheduler.py).
BACKLOG_ALARM = "operator alarm: decode backlog"
DEAD_FRAMES = "dead frames present"  # decode set records aside (queue.db dead_frames): AWS's DeadLetters alarm
CONDITION_LINES = (BACKLOG_ALARM, RESERVE_REFUSING, DEAD_FRAMES)
FAILURE_LINES = (ARCHIVE_CUT_FAILED, BUCKET_FLUSH_FAILED, HANDLER_FAILED, WORKER_HUNG, WORKER_STOPPED, WORKER_EXITED)
NO_RUNS = {"runs": 0, "skipped": 0, "errors": 0, "last_seconds": 0.0, "last_tick": None, "last_result": None}


class Platform:
    """One running embedded platform."""

    def __init__(self, settings: LocalSettings, ingest_table: dict[str, Any] | None = None) -> None:
        self.settings = settings
        self.ingest_table = ingest_table or {}
        self.data_dir = settings.path
        self.started = time.time()
        self._stop = asyncio.Event()
        self._backlog = Condition(settings.log_every_s)  # the oldest undecoded frame waited past backlog_alarm_s
        self._reserve = Condition(settings.log_every_s)  # the queue's volume is down to its reserve: append refuses
        self._dead = Condition(settings.log_every_s)  # dead_frames holds records: until requeued or discarded
        self.bucket_workers: list[Worker] = []  # the bucket flusher (reading_bucket_minutes), built by _build

    @property
    def backlog_alarm(self) -> bool:
        return self._backlog.holds

    def _build(self) -> None:
        from functions import _wiring

        s = self.settings
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.clock = configure_handlers(s)  # creates the timeline the workers then read
        self.store = _wiring.get_store()
        # With the S3 archive each frame is kept until the archive worker has it too (the listener marks new rows).
        self.queue = FrameQueue(
            self.data_dir / QUEUE_FILE, archive=bool(s.archive_bucket), reserve_bytes=s.queue_reserve_mb * 2**20
        )
        self.decode_workers = [
            Worker(f"decode-{i}", decode_main, s, extra=(i, s.decode_workers)) for i in range(s.decode_workers)
        ]
        wake = WakeUps(self.decode_workers)  # called by the queue's writer after each commit; never waits
        self.rules_worker = Worker("rules", rules_main, s, unit_allowance=RULE_TICK_ALLOWANCE)
        # Notifications (issue 16): decide from alarm changes into the outbox, then send; off with notify_every_s=0.
        self.notify_workers = (
            [Worker("notify", notify_main, s, unit_allowance=RULE_TICK_ALLOWANCE)]
            if s.notify and s.notify_every_s > 0
            else []
        )
        self.archive_workers = [Worker("archive", archive_main, s)] if s.archive_bucket else []
        # Minute readings in per-point buckets (county host): the buffer's file begins here (its complete_since).
        # Switched off with rows still unflushed, the worker runs on until it has written them (they are nowhere
        # else); decode then writes one item per reading again.
        left = unflushed_left(self.data_dir / BUFFER_FILE) if s.store == "dynamodb" else 0
        if left and not s.reading_bucket_minutes:
            log.warning(
                "reading buckets off; flushing the readings the buffer still holds", extra={"fields": {"rows": left}}
            )
        self.bucket_workers = [Worker("buckets", flush_main, s)] if s.reading_bucket_minutes or left else []
        if s.reading_bucket_minutes:
            open_reading_buffer(s, self.clock).close()  # a stale file's horizon starts over here, before the workers
        else:
            retire(self.data_dir / BUFFER_FILE)  # decode writes per-minute items now, behind the buffer's back
        self.workers = [
            *self.decode_workers,
            *self.archive_workers,
            *self.bucket_workers,
            self.rules_worker,
            *self.notify_workers,
        ]
        cli = {k: v for k, v in self.ingest_table.items()}
        cli.update(host=s.host, port=s.port, health_port=s.health_port, log_level=s.log_level)
        cli.setdefault("listener_id", archive_shard(s))  # "local", or the host's name on a province's tier
        for name, value in LISTENER_DEFAULTS.items():
            if name not in cli and f"IOT_INGEST_{name.upper()}" not in os.environ:
                cli[name] = value
        listener = load_settings(cli=cli, config_file=None)
        self.listener_settings = listener.model_copy(update={"sink": f"embedded:{self.data_dir / QUEUE_FILE}"})
        self.events = StoreEventSink(self.store)
        self.api: LocalApi | None = None
        if s.api:  # imported only here: chalice is the `api` extra, which the county host's image does not install
            from local.api import LocalApi

            self.api = LocalApi(
                data_dir=self.data_dir,
                db_path=self.data_dir / DB_FILE,
                host=s.api_host,
                port=s.api_port,
                county_id=s.county_id,
                clock=self.clock,
                trusted_proxies=s.api_trusted_proxies,
                web_dir=s.web_dir,
            )
        # A host of a province's tier (store=dynamodb) registers its counties' terminals only (local/listener_ports.py)
        hosted = county_ids(s) if s.store == "dynamodb" else None
        listener = self.listener_settings
        directory, commands = listener_ports(self.store, self.clock, self.events, listener, counties=hosted)
        self.server = Server(
            self.listener_settings,
            sink=QueueSink(self.queue, wake),
            directory=directory,
            commands=commands,
            leases=MemoryLeases(),
            events=self.events,
            wall=self.clock.now,
        )

    def status(self) -> dict[str, Any]:
        """What the console and the tests read (also written to DATA_DIR/status.json)."""
        metrics = self.server.metrics.snapshot()
        rules = self.rules_worker.status
        return {
            "pid": os.getpid(),
            "port": self.server.port,
            "api_url": self.api.url if self.api else None,
            "web_url": self.api.site_url if self.api else None,
            "wall": time.time(),
            "platform_time": self.clock.now().isoformat(),
            "accel": self.clock.accel,
            "connections": len(self.server.state.connections),
            "frames_in": metrics.get("frames_in", 0),
            "acks": metrics.get("acks", 0),
            "listener_limits": self.server.metrics.limits(),
            "listener": listener_status(self.server.handoff),
            "queue": self.queue.counters()
            | {"depth": self.queue.depth(), "oldest_s": round(self.queue.oldest_age(), 1), "alarm": self.backlog_alarm}
            | {"reserve_mb": self.queue.reserve_bytes // 2**20, "refusing": self._reserve.holds}
            | {"dead_alarm": self._dead.holds},
            "decoded": sum(int(w.status.get("processed", 0)) for w in self.decode_workers),
            "workers": {
                w.name: {"pid": w.pid, "alive": w.alive(), "restarts": w.restarts, "hangs": w.hangs}
                | {k: v for k, v in w.status.items() if k != "jobs"}
                for w in self.workers
            },
            "jobs": rules.get("jobs") or {name: dict(NO_RUNS) for name in JOB_NAMES},
        }

    def _check_backlog(self) -> None:
        """Raise (and clear) the operator alarm on the age of the oldest undecoded frame, its line repeated every
        log_every_s while it lasts: decode retries a store outage for as long as it lasts, so a growing backlog is
        how an outage shows."""
        try:
            age, depth = self.queue.oldest_age(), self.queue.depth()
        except Exception as exc:  # the queue itself is unreadable: the listener's errors say why
            log.warning("backlog not checked", extra={"fields": {"error": repr(exc)}})
            return
        limit = self.settings.backlog_alarm_s
        change = self._backlog.update(age >= limit)
        if change in ("raised", "holds"):
            errors = {w.name: w.status.get("last_error", "") for w in self.decode_workers if w.status.get("failures")}
            log.error(
                BACKLOG_ALARM,
                extra={"fields": {"oldest_s": round(age, 1), "limit_s": limit, "queued": depth, "errors": errors}},
            )
        elif change == "cleared":
            log.warning("decode backlog alarm cleared", extra={"fields": {"oldest_s": round(age, 1), "queued": depth}})

    def _check_reserve(self) -> None:
        """While the queue's volume is down to its reserve (append refuses, terminals resend), say so every
        log_every_s, with what holds the rows: decode behind, or the archive."""
        try:
            room = self.queue.reserve_reached()
        except Exception as exc:  # statvfs or the queue failed: the listener's errors say why
            log.warning("disk reserve not checked", extra={"fields": {"error": repr(exc)}})
            return
        change = self._reserve.update(room is not None)
        if change in ("raised", "holds") and room is not None:
            waiting = {w.name: w.status.get("waiting") for w in self.archive_workers}
            for w in self.bucket_workers:  # the reading buffer shares the volume: its size, what waits for DynamoDB
                waiting |= {"buffer_mb": round(w.status.get("bytes", 0) / 2**20, 1)}
                waiting |= {"buffer_unflushed": w.status.get("unflushed")}
            fields = {"room_mb": round(room / 2**20, 1), "reserve_mb": self.settings.queue_reserve_mb}
            log.error(RESERVE_REFUSING, extra={"fields": fields | {"undecoded": self.queue.depth(), **waiting}})
        elif change == "cleared":
            log.warning("disk reserve restored; queue accepting frames")

    def _check_dead_frames(self) -> None:
        """While decode's dead letters are waiting for an operator, say so every log_every_s (as an SQS dead-letter
        queue's alarm holds while it has messages), with how many and the newest ones' ids and reasons."""
        try:
            count, newest = self.queue.dead_count()
        except Exception as exc:  # the queue itself is unreadable: the listener's errors say why
            log.warning("dead frames not checked", extra={"fields": {"error": repr(exc)}})
            return
        change = self._dead.update(count > 0)
        if change in ("raised", "holds"):
            fields = {"dead": count, "newest": [f"{i} {mn}: {why}" for i, mn, why in newest]}
            log.error(DEAD_FRAMES, extra={"fields": fields | {"see": "python -m local dead-letters list"}})
        elif change == "cleared":
            log.warning("dead frames cleared")

    async def _supervisor(self) -> None:
        """Polls the workers, apart from the reporter: the status reads wait on the frame queue's lock, which a
        stopped decode worker may hold, and it is this poll that ends such a worker."""
        every = min(self.settings.status_every_s, self.settings.stopped_after_s / 2)
        while True:
            await asyncio.sleep(every)
            for worker in self.workers:
                # On the loop's (main) thread: a restarted worker's parent-death signal is tied to the thread
                # that started it, and this one lives as long as the platform.
                worker.poll()

    def _write_status(self) -> None:
        path = self.data_dir / STATUS_FILE
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.status(), default=str), encoding="utf-8")
        tmp.replace(path)

    async def _reporter(self) -> None:
        last_log = time.monotonic()
        while True:
            await asyncio.sleep(self.settings.status_every_s)
            await asyncio.to_thread(self._check_backlog)
            await asyncio.to_thread(self._check_reserve)
            await asyncio.to_thread(self._check_dead_frames)
            try:
                await asyncio.to_thread(self._write_status)
            except Exception as exc:  # a status file is a convenience; never let it stop the platform
                log.warning("status file not written", extra={"fields": {"error": repr(exc)}})
            if time.monotonic() - last_log >= self.settings.log_every_s:
                last_log = time.monotonic()
                st = self.status()
                log.info(
                    "progress",
                    extra={
                        "fields": {
                            "platform_time": st["platform_time"][:19],
                            "connections": st["connections"],
                            "acked": st["acks"],
                            "queued": st["queue"]["depth"],
                            "decoded": st["decoded"],
                            "evaluations": st["jobs"][JOB_NAMES[0]]["runs"],
                            "last_eval_s": st["jobs"][JOB_NAMES[0]]["last_seconds"],
                        }
                    },
                )

    def request_stop(self, sig: signal.Signals | None = None) -> None:
        if self._stop.is_set():
            log.warning("second signal: exiting at once")
            os._exit(130)
        log.info("stopping", extra={"fields": {"signal": sig.name if sig else "-"}})
        self._stop.set()

    async def run(self) -> None:
        self._build()
        loop = asyncio.get_running_loop()
        for worker in [*self.decode_workers, *self.archive_workers, *self.bucket_workers]:
            worker.start()
        left = self.queue.depth()
        if left:
            log.info("resuming frames queued before the last stop", extra={"fields": {"frames": left}})
        await self.server.start()
        if self.api is not None:
            self.api.start()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.request_stop, sig)
        self.rules_worker.start()
        for worker in self.notify_workers:
            worker.start()
        self._write_status()
        reporter = asyncio.create_task(self._reporter(), name="reporter")
        supervisor = asyncio.create_task(self._supervisor(), name="supervisor")
        log.info(
            "platform running",
            extra={
                "fields": {
                    "data_dir": str(self.data_dir),
                    "port": self.server.port,
                    "api": self.api.url if self.api else None,
                    "web": self.api.site_url if self.api else None,
                    "store": self.settings.store,
                    "archive_bucket": self.settings.archive_bucket or None,
                    "platform_time": self.clock.now().isoformat(),
                    "accel": self.clock.accel,
                }
            },
        )
        await self._stop.wait()
        supervisor.cancel()
        await self.shutdown(reporter)

    async def shutdown(self, reporter: asyncio.Task[None]) -> None:
        started = time.monotonic()
        if self.api is not None:
            await asyncio.to_thread(self.api.stop)  # people first: no request starts against a platform going down
        await self.server.shutdown()
        reporter.cancel()
        await asyncio.to_thread(self.rules_worker.stop, 30.0)
        await asyncio.gather(*(asyncio.to_thread(w.stop, 30.0) for w in [*self.notify_workers, *self.bucket_workers]))
        draining = [*self.decode_workers, *self.archive_workers]  # the listener has stopped: both drain the queue
        await asyncio.gather(*(asyncio.to_thread(w.stop, DRAIN_TIMEOUT_S + 10.0) for w in draining))
        self._write_status()  # with the workers' last status (Worker.stop waited for it)
        self.queue.close()
        self.store.close()
        log.info(
            "stopped cleanly",
            extra={"fields": {"seconds": round(time.monotonic() - started, 2), "left_queued": self.status_left()}},
        )

    def status_left(self) -> int | str:
        try:
            return FrameQueue(self.data_dir / QUEUE_FILE).depth()
        except Exception:
            return "?"


def listener_status(handoff: Handoff) -> dict[str, Any]:
    """The listener's hand-off to the frame queue: whether its last commit succeeded and, if not, sqlite's own
    reason (a full disk reads "database or disk is full")."""
    return {"sink_ok": handoff.healthy, "last_error": handoff.last_error, "pending": handoff.pending}


def run(settings: LocalSettings, ingest_table: dict[str, Any] | None = None) -> int:
    platform = Platform(settings, ingest_table)
    try:
        import uvloop

        uvloop.run(platform.run())
    except ImportError:  # pragma: no cover - uvloop is pinned
        asyncio.run(platform.run())
    return 0


def data_paths(data_dir: Path) -> dict[str, Path]:
    return {"db": data_dir / DB_FILE, "queue": data_dir / QUEUE_FILE, "status": data_dir / STATUS_FILE}
