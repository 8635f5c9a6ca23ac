"""State shared by every connection of one listener: settings, ports, registry of sessions, clocks, metrics.

Kept apart from the protocol so tests can build one with fake clocks and in-memory ports.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import hj212
from hj212.contract import record_doc
from iot_ingest.config import Settings
from iot_ingest.handoff import Handoff
from iot_ingest.limits import SilentConnections, SourceAbuse
from iot_ingest.metrics import Metrics
from iot_ingest.ports import AuthStatus, Event, EventSink, FrameRecord, TerminalDirectory
from iot_ingest.unregistered import UnregisteredBudget

if TYPE_CHECKING:
    from iot_ingest.downlink import Downlink
    from iot_ingest.protocol import IngestProtocol

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


class ServerState:
    """Everything a connection needs besides its own bytes."""

    def __init__(
        self,
        settings: Settings,
        *,
        handoff: Handoff,
        directory: TerminalDirectory,
        events: EventSink,
        metrics: Metrics,
        wall: Callable[[], datetime] = utc_now,
    ) -> None:
        self.settings = settings
        self.handoff = handoff
        self.directory = directory
        self.events = events
        self.metrics = metrics
        self.wall = wall
        self.listener = settings.listener_name
        self.connections: set[IngestProtocol] = set()
        self.sessions: dict[str, IngestProtocol] = {}  # MN -> the connection holding it (newest wins)
        self.abuse = SourceAbuse(settings.conn_rate, settings.conn_burst)
        self.silent: SilentConnections[IngestProtocol] = SilentConnections(settings.probation_max_silent)
        self.unregistered = UnregisteredBudget(
            window=settings.unregistered_window,
            mn_frames=settings.unregistered_mn_frames,
            source_frames=settings.unregistered_source_frames,
            source_bytes=settings.unregistered_source_bytes,
            total_frames=settings.unregistered_total_frames,
            total_bytes=settings.unregistered_total_bytes,
        )
        self.qn = hj212.QnGenerator()
        # What hj212's fast path learns of the frame layouts, shared by every connection's decoder: a terminal's
        # layout is learnt once per listener, not once per connection (and costs no memory per connection).
        self.layouts = hj212.LayoutCache()
        self.terminal_offset = timedelta(minutes=settings.terminal_utc_offset)
        self.downlink: Downlink | None = None
        self.draining = False
        self._tasks: set[asyncio.Task[Any]] = set()

    def terminal_time(self, now: datetime | None = None) -> datetime:
        """Platform time as terminal wall-clock time (naive, the form HJ 212 carries)."""
        return ((now or self.wall()).astimezone(UTC) + self.terminal_offset).replace(tzinfo=None)

    def next_qn(self) -> str:
        return str(self.qn.next(self.terminal_time()))

    def spawn(self, coro: Coroutine[Any, Any, object], what: str) -> None:
        """Run a best-effort background coroutine, keep a reference, log (never raise) its failure."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)

        def done(t: asyncio.Task[Any]) -> None:
            self._tasks.discard(t)
            if not t.cancelled() and t.exception() is not None:
                self.metrics.inc("errors", f"{what}_failed")
                log.error(f"{what} failed", extra={"fields": {"error": repr(t.exception())}})

        task.add_done_callback(done)

    async def wait_tasks(self, timeout: float) -> None:
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)

    def emit(self, kind: str, *, mn: str | None, peer: str | None, session: str | None, **detail: Any) -> None:
        event = Event(kind, self.wall(), self.listener, mn=mn, peer=peer, session=session, detail=detail)
        self.metrics.inc("events", kind)
        self.spawn(self.events.emit(event), "event_sink")

    def record(
        self, frame: hj212.Frame, *, received_at: datetime, peer: str, session: str, auth: AuthStatus
    ) -> FrameRecord:
        """The frame record of docs/contracts.md §2."""
        return record_doc(
            raw=frame.raw,
            received_at=received_at,
            peer=peer,
            mn=frame.mn,
            cn=frame.cn,
            qn=frame.qn,
            listener=self.listener,
            session=session,
            auth=auth,
            crc="modbus" if "modbus_crc" in frame.quirks else "hj212",
        )
