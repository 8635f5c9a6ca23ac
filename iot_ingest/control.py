"""Per-session control traffic: clock-skew checks, 1012 time setting, downlink command delivery and tracking.

A mixin of IngestProtocol (kept apart to keep each module small). It writes requests built with hj212 in the
session's dialect, feeds the terminal's answers to the session's CommandTracker, and forwards status changes to
the Downlink writer.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

import hj212
from hj212 import CN
from iot_ingest.commands import CommandTracker, Step
from iot_ingest.ports import Command
from iot_ingest.state import ServerState
from iot_ingest.timesync import measure_skew

log = logging.getLogger(__name__)


class SessionControl:
    """Clock and downlink behaviour of a session; the attributes live in IngestProtocol's slots."""

    __slots__ = ("tracker", "skew_over", "last_clock_fix", "outbox")
    state: ServerState
    transport: asyncio.Transport | None
    _loop: asyncio.AbstractEventLoop
    mn: str | None
    peer: str
    session_id: str
    st: str | None
    pw: str | None
    version: hj212.Version | None

    def _init_control(self) -> None:
        self.tracker: CommandTracker | None = None  # created with the first command
        self.skew_over = 0  # consecutive frames beyond the skew bound
        self.last_clock_fix = -1e18
        self.outbox: list[bytes] | None = None  # bytes queued for the peer in this loop iteration

    def send(self, data: bytes) -> None:
        """Queue bytes for the peer. Everything queued in one loop iteration leaves in one write, in order.

        The acks of a whole sink batch resolve in the same iteration, so a terminal that sent 100 frames gets its
        100 replies in one system call instead of 100.
        """
        if self.transport is None or self.transport.is_closing():
            return
        if self.outbox is None:
            self.outbox = [data]
            self._loop.call_soon(self.flush)
        else:
            self.outbox.append(data)

    def flush(self) -> None:
        """Write what `send` queued (also called directly before a half-close)."""
        out, self.outbox = self.outbox, None
        if out and self.transport is not None and not self.transport.is_closing():
            self.transport.write(out[0] if len(out) == 1 else b"".join(out))

    def _check_clock(self, frame: hj212.Frame, received_at: datetime, now: float) -> None:
        s = self.state
        skew = measure_skew(frame, s.terminal_time(received_at))
        if skew is None:
            return
        if abs(skew) <= s.settings.clock_skew_bound:
            self.skew_over = 0
            return
        self.skew_over += 1
        # Three frames in a row: one backfilled frame whose QN kept its original time must not reset a clock.
        if self.skew_over == 3:
            s.emit("clock_skew", mn=self.mn, peer=self.peer, session=self.session_id, skew_seconds=round(skew, 3),
                   bound=s.settings.clock_skew_bound)  # fmt: skip
            if s.settings.clock_correction and now - self.last_clock_fix >= s.settings.clock_correction_interval:
                self.set_clock("clock_skew")

    def set_clock(self, why: str) -> None:
        """Queue a 1012 (设置现场机时间) with platform time, tracked like any downlink request."""
        self.last_clock_fix = self._loop.time()
        self.skew_over = 0
        self.offer(
            Command(id=f"auto-1012-{self.state.next_qn()}", mn=self.mn or "", cn=CN.SET_FIELD_TIME), internal=True
        )
        log.info("setting terminal clock", extra={"fields": {"mn": self.mn, "why": why}})

    def _build(self, command: Command, qn: str) -> bytes:
        cp = dict(command.cp)
        if command.cn == CN.SET_FIELD_TIME and "SystemTime" not in cp:
            cp["SystemTime"] = hj212.format_time(self.state.terminal_time())
        return hj212.build_frame(st=self.st or "32", cn=command.cn, mn=self.mn or "", pw=self.pw or "", qn=qn,
                                 version=self.version or hj212.Version.V2017, ack=True, cp=cp)  # fmt: skip

    def offer(self, command: Command, *, internal: bool = False) -> None:
        """Queue a downlink command for this session and send it if nothing else is in flight."""
        if self.tracker is None:
            st = self.state.settings
            self.tracker = CommandTracker(build=self._build, new_qn=self.state.next_qn, over_time=st.command_over_time,
                                          re_count=st.command_re_count)  # fmt: skip
        if self.tracker.offer(command, internal=internal):
            self._apply(self.tracker.poll(self._loop.time(), self.state.wall()))

    def _on_command_frame(self, frame: hj212.Frame, now: float) -> None:
        if self.tracker is not None:
            step = self.tracker.on_frame(cn=frame.cn, qn=frame.qn, scalars=frame.cp.scalars, items=frame.cp.items,
                                         now=now)  # fmt: skip
            self._apply(step)
            if self.tracker.current is None and self.tracker.queue:
                self._apply(self.tracker.poll(now, self.state.wall()))

    def _apply(self, step: Step) -> None:
        if step.send is not None and self.transport is not None and not self.transport.is_closing():
            self.send(step.send)
            self.state.metrics.inc("commands_sent")
        for command, status, detail in step.finished:
            self.state.metrics.inc("commands", status.value)
            log.info("command finished", extra={"fields": {"mn": command.mn, "cn": command.cn, "id": command.id,
                                                           "status": status.value, "detail": detail}})  # fmt: skip
        if step.updates and self.state.downlink is not None:
            self.state.downlink.write_back(step.updates)
