"""Flow control of one connection: why reading is paused, and resuming only once no reason is left.

Each limit that stops reading names itself (`Pause`); lifting one while another holds keeps reading paused.
"""

from __future__ import annotations

import asyncio
import enum


class Pause(enum.IntFlag):
    """Why a connection is not being read."""

    DIRECTORY = enum.auto()  # frames queued behind a slow terminal-directory lookup
    UNACKED = enum.auto()  # too many frames waiting for the sink (max_unacked)
    AUTH_THROTTLE = enum.auto()  # wrong passwords over auth_failed_rate: wait for a token
    DRAIN = enum.auto()  # the listener is shutting down: bytes read now would not be taken on


class ReadFlow:
    """Pauses and resumes reading a transport by reason; uvicorn's FlowControl, with the reasons kept."""

    __slots__ = ("_transport", "reasons", "paused", "_released")

    def __init__(self, transport: asyncio.Transport) -> None:
        self._transport = transport
        self.reasons = Pause(0)
        self.paused = False  # any reason pending (a plain bool: checked on every acknowledgement)
        self._released = False  # finishing: reading stays on to empty the socket, whatever comes up

    def pause(self, reason: Pause) -> None:
        if self._released:
            return
        self.reasons |= reason
        if not self.paused:
            self.paused = True
            if not self._transport.is_closing():
                self._transport.pause_reading()

    def resume(self, reason: Pause) -> None:
        """Lift one reason; reading resumes only when it was the last one."""
        if not self.reasons & reason:
            return
        self.reasons &= ~reason
        if not self.reasons:
            self.paused = False
            if not self._transport.is_closing():
                self._transport.resume_reading()

    def release(self) -> None:
        """Read from now on, whatever reasons were pending or come up (the last step of draining)."""
        self._released = True
        self.reasons, self.paused = Pause(0), False
        if not self._transport.is_closing():
            self._transport.resume_reading()
