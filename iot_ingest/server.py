"""The listener's life cycle: start the TCP server, the hand-off, downlink and health; sweep timers; drain on SIGTERM.

More: docs/iot_ingest.md, "Module notes".
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import Callable
from datetime import datetime

from iot_ingest.config import Settings
from iot_ingest.downlink import Downlink
from iot_ingest.handoff import Handoff
from iot_ingest.health import HealthServer
from iot_ingest.metrics import Metrics
from iot_ingest.ports import CommandQueue, EventSink, FrameSink, SessionLeases, TerminalDirectory
from iot_ingest.protocol import IngestProtocol
from iot_ingest.state import ServerState, utc_now

log = logging.getLogger(__name__)
SWEEP_INTERVAL = 0.5
FINISH_GRACE = 1.0  # seconds peers get to read the last replies after our FIN


class Server:
    """One listener: terminals on `settings.port`, health on `settings.health_port`."""

    def __init__(
        self,
        settings: Settings,
        *,
        sink: FrameSink,
        directory: TerminalDirectory,
        commands: CommandQueue,
        leases: SessionLeases,
        events: EventSink,
        metrics: Metrics | None = None,
        wall: Callable[[], datetime] = utc_now,
        sweep_interval: float = SWEEP_INTERVAL,
    ) -> None:
        self.settings = settings
        self.sink = sink
        self.metrics = metrics or Metrics()
        self.handoff = Handoff(
            sink,
            self.metrics,
            batch_max=settings.batch_max,
            linger=settings.batch_linger,
            timeout=settings.sink_timeout,
            concurrency=settings.sink_concurrency,
            max_pending=settings.max_pending,
        )
        self.state = ServerState(
            settings, handoff=self.handoff, directory=directory, events=events, metrics=self.metrics, wall=wall
        )
        self.downlink = Downlink(self.state, commands, leases)
        self.health = HealthServer(self.state)
        self.sweep_interval = sweep_interval
        self._server: asyncio.Server | None = None
        self._sweeper: asyncio.Task[None] | None = None
        self._stopped = asyncio.Event()
        self._shutting_down = False
        self.port = 0
        self.health_port = 0

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self.handoff.start()
        self.downlink.start()
        self._server = await loop.create_server(
            lambda: IngestProtocol(self.state, loop),
            self.settings.host,
            self.settings.port,
            backlog=4096,
            reuse_address=True,
        )
        self.port = int(self._server.sockets[0].getsockname()[1])
        if self.settings.health_port:
            self.health_port = await self.health.start(self.settings.health_host, self.settings.health_port)
        self._sweeper = asyncio.create_task(self._sweep(), name="sweep")
        log.info(
            "listening",
            extra={"fields": {"host": self.settings.host, "port": self.port, "health_port": self.health_port,
                              "listener": self.state.listener, "sink": self.settings.sink,
                              "loop": type(loop).__module__}},
        )  # fmt: skip

    async def _sweep(self) -> None:
        loop = asyncio.get_running_loop()
        last_sources_sweep = loop.time()
        while True:
            await asyncio.sleep(self.sweep_interval)
            now = loop.time()
            for proto in list(self.state.connections):
                proto.check(now)
            if now - last_sources_sweep > 60:
                self.state.abuse.sweep(now)
                self.state.unregistered.sweep(now)
                last_sources_sweep = now

    def install_signal_handlers(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._on_signal, sig)

    def _on_signal(self, sig: signal.Signals) -> None:
        if self._shutting_down:
            log.warning("second signal: closing without waiting", extra={"fields": {"signal": sig.name}})
            for proto in list(self.state.connections):
                if proto.transport is not None:
                    proto.transport.abort()
            self._stopped.set()
            return
        log.info("signal received: draining", extra={"fields": {"signal": sig.name}})
        asyncio.get_running_loop().create_task(self.shutdown())

    async def serve_forever(self) -> None:
        await self.start()
        self.install_signal_handlers()
        await self._stopped.wait()

    async def shutdown(self) -> None:
        """Drain and stop; safe to call twice."""
        if self._shutting_down:
            await self._stopped.wait()
            return
        self._shutting_down = True
        started = time.monotonic()
        deadline = self.settings.drain_timeout
        state = self.state
        state.draining = True
        if self._server is not None:
            self._server.close()  # stop accepting
        conns = list(state.connections)
        for proto in conns:
            proto.stop_reading()
        # Frames already received but waiting for the directory, then everything handed to the sink.
        auth_tasks = [p.auth.task for p in conns if p.auth is not None and p.auth.task is not None]
        if auth_tasks:
            await asyncio.wait(auth_tasks, timeout=deadline)
        drained = await self.handoff.drain(max(0.0, deadline - (time.monotonic() - started)))
        # Replies are written; half-close and give peers a moment to read them and hang up, then close.
        for proto in conns:
            proto.finish()
        grace = min(FINISH_GRACE, max(0.0, deadline - (time.monotonic() - started)))
        end = time.monotonic() + grace
        while state.connections and time.monotonic() < end:
            await asyncio.sleep(0.02)
        for proto in conns:
            proto.close("drain")  # transport.close() flushes anything still buffered
        if self._sweeper is not None:
            self._sweeper.cancel()
        await self.downlink.stop(timeout=max(0.5, deadline - (time.monotonic() - started)))
        await state.wait_tasks(timeout=1.0)
        await self.handoff.stop()
        await self.health.stop()
        try:
            await self.sink.close()
        except Exception as exc:
            log.error("sink close failed", extra={"fields": {"error": repr(exc)}})
        await asyncio.sleep(0)  # let transports run their close callbacks
        log.info(
            "stopped",
            extra={"fields": {"drained": drained, "seconds": round(time.monotonic() - started, 3),
                              "metrics": self.metrics.snapshot()}},
        )  # fmt: skip
        self._stopped.set()
