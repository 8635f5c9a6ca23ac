"""The terminal directory's answers for one connection, per (MN, PW) pair, and the frames waiting for one.

Each pair is looked up once. A connection holds its own pair in two slots (no dict for the common case); further
pairs (a data logger relaying other instruments) go to a dict, up to MAX_IDENTITIES pairs in all.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from datetime import datetime
from typing import TYPE_CHECKING

import hj212
from iot_ingest.flow import Pause
from iot_ingest.ports import AuthStatus, NotServedHere

if TYPE_CHECKING:
    from iot_ingest.protocol import IngestProtocol

log = logging.getLogger(__name__)
MAX_IDENTITIES = 16  # distinct MN/PW pairs one connection may use (a data logger relaying a few instruments)
# An `unregistered` answer is asked again after this long: an installer may bind the terminal meanwhile, and its
# open connection should then authenticate without reconnecting (the directory's own cache is as short).
UNREGISTERED_RECHECK_S = 60.0

Identity = tuple[str, str | None]  # (MN, PW)
Answer = tuple[AuthStatus, bool]  # (status, uses CRC-16/MODBUS)


class AuthCache:
    """Directory answers of one connection; frames of an unknown pair wait, in arrival order, for its lookup."""

    __slots__ = ("_conn", "_key", "_answer", "_asked_at", "_more", "backlog", "task")

    def __init__(self, conn: IngestProtocol) -> None:
        self._conn = conn
        self._key: Identity | None = None
        self._answer: Answer | None = None
        self._asked_at = 0.0  # monotonic time of the own pair's answer
        self._more: dict[Identity, Answer] | None = None
        self.backlog: deque[tuple[hj212.Frame, datetime, float]] | None = None  # only while a lookup runs
        self.task: asyncio.Task[None] | None = None

    def get(self, key: Identity) -> Answer | None:
        if key == self._key:
            return self._answer
        return self._more.get(key) if self._more is not None else None

    def put(self, key: Identity, answer: Answer, now: float = 0.0) -> None:
        if self._key is None or key == self._key:
            self._key, self._answer, self._asked_at = key, answer, now
        else:
            if self._more is None:
                self._more = {}
            self._more[key] = answer

    def __len__(self) -> int:
        return (self._key is not None) + len(self._more or ())

    @property
    def full(self) -> bool:
        """A new pair would cost another registry lookup: a peer cycling through pairs is cut off here."""
        return len(self) >= MAX_IDENTITIES

    def answer(self, frame: hj212.Frame, received_at: datetime, now: float) -> Answer | None:
        """The answer for the frame's pair, or None: the frame is queued and processed once its lookup is done."""
        assert frame.mn is not None
        key = (frame.mn, frame.pw)
        if not self.backlog:
            answer = self._answer if key == self._key else self.get(key)  # the session's own pair: no call
            if answer is not None and key == self._key and answer[0] is AuthStatus.UNREGISTERED:
                if now - self._asked_at >= UNREGISTERED_RECHECK_S:
                    self._answer = answer = None  # bound since? ask the directory again
            if answer is not None:
                return answer
        if self.backlog is None:
            self.backlog = deque()
        self.backlog.append((frame, received_at, now))
        conn = self._conn
        if len(self.backlog) >= conn.state.settings.max_unacked:
            conn.flow.pause(Pause.DIRECTORY)  # the directory is slow: stop reading rather than queue without bound
        if self.task is None:
            self.task = conn.create_task(self._resolve())
        return None

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()

    async def _resolve(self) -> None:
        conn = self._conn
        s = conn.state
        try:
            while self.backlog:
                frame, received_at, t0 = self.backlog[0]
                assert frame.mn is not None
                key = (frame.mn, frame.pw)
                answer = self.get(key)
                if answer is None:
                    if self.full:
                        # A peer cycling through MN/PW pairs would make us query the registry for each one.
                        self.backlog.clear()
                        conn.close("too_many_identities")
                        return
                    try:
                        async with asyncio.timeout(s.settings.directory_timeout):
                            status = await s.directory.check(frame.mn, frame.pw)
                            modbus = await s.directory.uses_modbus_crc(frame.mn)
                    except NotServedHere:
                        if self._not_served(frame):
                            return
                        continue
                    except Exception as exc:  # registry unavailable or slow: drop unacknowledged, the terminal resends
                        s.metrics.inc("errors", "directory_failed", len(self.backlog))
                        log.error("terminal directory failed", extra={"fields": {"mn": frame.mn, "error": repr(exc)}})
                        self.backlog.clear()
                        return
                    answer = (status, modbus)
                    self.put(key, answer, t0)
                self.backlog.popleft()
                if not conn.closing or s.draining:
                    conn.process(frame, answer, received_at, t0)
        finally:
            self.task = None
            if not self.backlog:
                self.backlog = None  # an empty deque still holds a 64-slot block: ~600 bytes per idle session
                conn.flow.resume(Pause.DIRECTORY)

    def _not_served(self, frame: hj212.Frame) -> bool:
        """Drop, unacknowledged and unarchived, a frame of a terminal another listener serves (the terminal keeps it
        and backfills it there). If it is this connection's own terminal, close the connection with every frame
        queued behind it (True): nothing it sends can be taken here, and a closed link is what every terminal
        understands as "keep your data and retry"; reconnecting costs it a connection token of its address
        (SourceAbuse) and the directory a dictionary look-up, no registry read. A relayed instrument's frame alone is
        dropped, so the logger's own frames are still taken."""
        conn = self._conn
        metrics = conn.state.metrics
        assert self.backlog is not None
        if frame.mn == conn.mn:
            metrics.inc("frames_not_served", "", len(self.backlog))
            self.backlog.clear()
            conn.close("not_served")
            return True
        self.backlog.popleft()
        metrics.inc("frames_not_served")
        return False
