"""Wires and runs the platform in one process: listener → frame queue → decode loop → store; rule scheduler.

Start order: store and queue first (the decode loop resumes whatever a previous run left queued), then the
listener, then the scheduler. Stop order on SIGTERM/SIGINT: the listener drains (frames already received are made
durable and acknowledged, nothing new is taken on), the scheduler stops, the decode loop empties the queue (bounded;
what is left is decoded on the next start), then the queue and the store close.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

from iot_ingest.config import load_settings
from iot_ingest.memory import MemoryLeases
from iot_ingest.server import Server
from local.clock import PlatformClock, load_timeline
from local.config import LocalSettings
from local.pipeline import DecodeLoop
from local.ports import RegistryDirectory, StoreCommandQueue, StoreEventSink
from local.queue import FrameQueue, QueueSink
from local.scheduler import Job, Scheduler

log = logging.getLogger("local")
DB_FILE = "gongkuang.db"
QUEUE_FILE = "queue.db"
STATUS_FILE = "status.json"
# The listener's per-source connection limit (2/s, burst 20) is meant for the Internet side of an NLB; on one
# machine a whole fleet may arrive from one address (a carrier NAT, a local simulator), so it is relaxed here.
# Override with the config file's [iot_ingest] table or IOT_INGEST_CONN_RATE / IOT_INGEST_CONN_BURST.
LISTENER_DEFAULTS = {"conn_rate": 500.0, "conn_burst": 5000}


def _quiet_handlers() -> None:
    """The Lambda handlers emit EMF metrics and JSON logs for CloudWatch; locally our own log lines say enough."""
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "gongkuang-local")


class Platform:
    """One running embedded platform."""

    def __init__(self, settings: LocalSettings, ingest_table: dict[str, Any] | None = None) -> None:
        self.settings = settings
        self.ingest_table = ingest_table or {}
        self.data_dir = settings.path
        self.started = time.time()
        self._stop = asyncio.Event()

    def _build(self) -> None:
        _quiet_handlers()
        from functions import _wiring, every_five_minutes_escalate, every_minute_evaluate_rules, on_frame_batch

        s = self.settings
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.clock = PlatformClock(load_timeline(self.data_dir, accel=s.accel, sim_start=s.start()))
        wiring = _wiring.Settings(
            service="gongkuang-local",
            store_backend="sqlite",
            sqlite_path=str(self.data_dir / DB_FILE),
            county_id=s.county_id,
            # These two bound write and read load, a wall-time concern: under acceleration they scale with it.
            state_refresh_s=60.0 * s.accel,
            registry_cache_s=60.0 * s.accel,
        )
        _wiring.configure(wiring, clock=self.clock)
        self.store = _wiring.get_store()
        self.queue = FrameQueue(self.data_dir / QUEUE_FILE)
        self.wake = threading.Event()
        self.decoder = DecodeLoop(
            self.queue, on_frame_batch.handler, batch_size=s.batch_size, max_attempts=s.max_attempts, wake=self.wake
        )
        cli = {k: v for k, v in self.ingest_table.items()}
        cli.update(host=s.host, port=s.port, health_port=s.health_port, log_level=s.log_level)
        cli.setdefault("listener_id", "local")
        for name, value in LISTENER_DEFAULTS.items():
            if name not in cli and f"IOT_INGEST_{name.upper()}" not in os.environ:
                cli[name] = value
        listener = load_settings(cli=cli, config_file=None)
        self.listener_settings = dataclasses.replace(listener, sink=f"embedded:{self.data_dir / QUEUE_FILE}")
        self.events = StoreEventSink(self.store)
        self.server = Server(
            self.listener_settings,
            sink=QueueSink(self.queue, self.wake),
            directory=RegistryDirectory(self.store),
            commands=StoreCommandQueue(self.store, self.clock),
            leases=MemoryLeases(),
            events=self.events,
            wall=self.clock.now,
        )
        evaluate = Job("every-minute-evaluate-rules", _period(s.evaluate_every_s), every_minute_evaluate_rules.handler)
        escalate = Job("every-five-minutes-escalate", _period(s.escalate_every_s), every_five_minutes_escalate.handler)
        self.jobs = [evaluate, escalate]
        self.scheduler = Scheduler(self.clock, self.jobs, after_s=s.evaluate_after_s)

    def status(self) -> dict[str, Any]:
        """What the console and the tests read (also written to DATA_DIR/status.json)."""
        metrics = self.server.metrics.snapshot()
        return {
            "pid": os.getpid(),
            "port": self.server.port,
            "wall": time.time(),
            "platform_time": self.clock.now().isoformat(),
            "accel": self.clock.accel,
            "connections": len(self.server.state.connections),
            "frames_in": metrics.get("frames_in", 0),
            "acks": metrics.get("acks", 0),
            "queue": self.queue.counters() | {"depth": self.queue.depth()},
            "decoded": self.decoder.processed,
            "jobs": {
                j.name: {
                    "runs": j.runs,
                    "skipped": j.skipped,
                    "errors": j.errors,
                    "last_seconds": round(j.last_seconds, 3),
                    "last_tick": j.last_tick.isoformat() if j.last_tick else None,
                    "last_result": j.last_result,
                }
                for j in self.jobs
            },
        }

    def _write_status(self) -> None:
        path = self.data_dir / STATUS_FILE
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.status(), default=str), encoding="utf-8")
        tmp.replace(path)

    async def _reporter(self) -> None:
        last_log = time.monotonic()
        while True:
            await asyncio.sleep(self.settings.status_every_s)
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
                            "evaluations": self.jobs[0].runs,
                            "last_eval_s": round(self.jobs[0].last_seconds, 2),
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
        self.decoder.start()
        left = self.queue.depth()
        if left:
            log.info("resuming frames queued before the last stop", extra={"fields": {"frames": left}})
        await self.server.start()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.request_stop, sig)
        self.scheduler.start()
        self._write_status()
        reporter = asyncio.create_task(self._reporter(), name="reporter")
        log.info(
            "platform running",
            extra={
                "fields": {
                    "data_dir": str(self.data_dir),
                    "port": self.server.port,
                    "platform_time": self.clock.now().isoformat(),
                    "accel": self.clock.accel,
                }
            },
        )
        await self._stop.wait()
        await self.shutdown(reporter)

    async def shutdown(self, reporter: asyncio.Task[None]) -> None:
        started = time.monotonic()
        await self.server.shutdown()
        await self.scheduler.stop()
        reporter.cancel()
        await asyncio.to_thread(self.decoder.stop, 30.0)
        self._write_status()
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


def _period(seconds: int) -> Any:
    from datetime import timedelta

    return timedelta(seconds=seconds)


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
