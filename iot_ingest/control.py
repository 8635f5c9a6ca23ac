"""Control traffic of one session: clock-skew checks, 1012 time setting, downlink command delivery and tracking.

Composed into IngestProtocol once a session starts. It writes requests built with hj212 in the session's dialect
through the connection, feeds the terminal's answers to the session's CommandTracker, and forwards status changes
to the Downlink writer.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

import hj212
from hj212 import CN
from iot_ingest.commands import CommandTracker, Step
from iot_ingest.ports import Command
from iot_ingest.timesync import measure_skew

if TYPE_CHECKING:
    from iot_ingest.protocol import IngestProtocol

log = logging.getLogger(__name__)
STEADY_SKEW_S = 10.0  # how far a wrong clock's skew may wander between frames (network and send jitter)


class SessionControl:
    """Clock and downlink behaviour of the session held by `conn` (its MN, dialect, peer and writer)."""

    __slots__ = ("_conn", "tracker", "skew_over", "last_skew", "last_clock_fix")

    def __init__(self, conn: IngestProtocol) -> None:
        self._conn = conn
        self.tracker: CommandTracker | None = None  # created with the first command
        self.skew_over = 0  # consecutive frames beyond the skew bound, with a steady skew
        self.last_skew: float | None = None
        self.last_clock_fix = -1e18

    def check_clock(self, frame: hj212.Frame, received_at: datetime, now: float) -> None:
        c = self._conn
        s = c.state
        skew = measure_skew(frame, s.terminal_time(received_at))
        if skew is None:
            return
        if abs(skew) <= s.settings.clock_skew_bound:
            self.skew_over, self.last_skew = 0, None
            return
        # A wrong clock keeps its skew from frame to frame; backfilled records keep their original QNs, which advance
        # faster than the clock (a record interval per frame sent back to back), so their skew jumps: not a clock.
        if self.last_skew is not None and abs(skew - self.last_skew) > STEADY_SKEW_S:
            self.skew_over = 0
        self.last_skew = skew
        self.skew_over += 1
        # Three steady frames in a row: one backfilled frame whose QN kept its original time must not reset a clock.
        if self.skew_over == 3:
            s.emit("clock_skew", mn=c.mn, peer=c.peer, session=c.session_id, skew_seconds=round(skew, 3),
                   bound=s.settings.clock_skew_bound)  # fmt: skip
            if s.settings.clock_correction and now - self.last_clock_fix >= s.settings.clock_correction_interval:
                self.set_clock("clock_skew")

    def set_clock(self, why: str) -> None:
        """Queue a 1012 (设置现场机时间) with platform time, tracked like any downlink request."""
        c = self._conn
        self.last_clock_fix = c.now()
        self.skew_over = 0
        self.offer(Command(id=f"auto-1012-{c.state.next_qn()}", mn=c.mn or "", cn=CN.SET_FIELD_TIME), internal=True)
        log.info("setting terminal clock", extra={"fields": {"mn": c.mn, "why": why}})

    def _build(self, command: Command, qn: str) -> bytes:
        c = self._conn
        cp = dict(command.cp)
        if command.cn == CN.SET_FIELD_TIME and "SystemTime" not in cp:
            cp["SystemTime"] = hj212.format_time(c.state.terminal_time())
        return hj212.build_frame(st=c.st or "32", cn=command.cn, mn=c.mn or "", pw=c.pw or "", qn=qn,
                                 version=c.version or hj212.Version.V2017, ack=True, cp=cp)  # fmt: skip

    def offer(self, command: Command, *, internal: bool = False) -> None:
        """Queue a downlink command for this session and send it if nothing else is in flight."""
        state = self._conn.state
        if self.tracker is None:
            st = state.settings
            self.tracker = CommandTracker(build=self._build, new_qn=state.next_qn, over_time=st.command_over_time,
                                          re_count=st.command_re_count)  # fmt: skip
        if self.tracker.offer(command, internal=internal):
            self._apply(self.tracker.poll(self._conn.now(), state.wall()))

    def on_command_frame(self, frame: hj212.Frame, now: float) -> None:
        """A frame of the session's terminal while commands were sent: an answer, a result or requested data."""
        if self.tracker is not None:
            step = self.tracker.on_frame(cn=frame.cn, qn=frame.qn, scalars=frame.cp.scalars, items=frame.cp.items,
                                         now=now)  # fmt: skip
            self._apply(step)
            if self.tracker.current is None and self.tracker.queue:
                self._apply(self.tracker.poll(now, self._conn.state.wall()))

    def poll(self, now: float) -> None:
        """Retries and time-outs of the command in flight (the server's sweep)."""
        if self.tracker is not None and not self.tracker.idle:
            self._apply(self.tracker.poll(now, self._conn.state.wall()))

    def disconnected(self) -> None:
        if self.tracker is not None:
            self._apply(self.tracker.on_disconnect())

    def _apply(self, step: Step) -> None:
        c = self._conn
        metrics = c.state.metrics
        if step.send is not None and c.send(step.send):
            metrics.inc("commands_sent")
        for command, status, detail in step.finished:
            metrics.inc("commands", status.value)
            log.info("command finished", extra={"fields": {"mn": command.mn, "cn": command.cn, "id": command.id,
                                                           "status": status.value, "detail": detail}})  # fmt: skip
        if step.updates and c.state.downlink is not None:
            c.state.downlink.write_back(step.updates)
