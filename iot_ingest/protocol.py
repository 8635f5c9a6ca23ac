"""One asyncio.Protocol per terminal connection: bytes in, frames to the hand-off, replies out once durable.

The common path is synchronous (decode → record → Handoff.submit → reply from the durability callback), so an idle
connection holds no task. Bytes go through `FrameReader`, reading is paused by reason in `ReadFlow`, directory
answers are kept in `AuthCache`, clock and commands left to `SessionControl`; the server's sweep calls `check`.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Coroutine
from datetime import datetime
from functools import partial
from typing import Any, cast

import hj212
from hj212 import CN
from hj212.contract import REPLY_CNS
from iot_ingest.auth_cache import Answer, AuthCache
from iot_ingest.control import SessionControl
from iot_ingest.flow import Pause, ReadFlow
from iot_ingest.limits import TokenBucket
from iot_ingest.ports import AuthStatus, Command, FrameRecord
from iot_ingest.reader import FrameReader
from iot_ingest.state import ServerState

log = logging.getLogger(__name__)
# Disconnects for misbehaviour: one more token of the source's abuse bucket when the connection never authenticated.
ABUSIVE_CLOSES = frozenset({"garbage_budget", "buffer_cap", "slow_sender", "too_many_identities"})


class IngestProtocol(asyncio.Protocol):
    """A terminal connection; its session is keyed by the MN of its first frame."""

    __slots__ = (
        "state", "transport", "flow", "reader", "peer", "peer_host", "mn", "session_id", "control", "auth",
        "last_activity", "auth_failures", "unacked", "outbox", "closing", "charged", "authenticated",
        "probation_until", "st", "pw", "version", "registered", "last_auth_event", "_loop",
    )  # fmt: skip
    # Set with the transport (connection_made)
    flow: ReadFlow
    reader: FrameReader

    def __init__(self, state: ServerState, _loop: asyncio.AbstractEventLoop | None = None) -> None:
        self.state = state
        self._loop = _loop or asyncio.get_event_loop()
        self.transport: asyncio.Transport | None = None
        self.peer = self.peer_host = ""
        # Session (set by the first frame)
        self.mn: str | None = None
        self.session_id = ""
        self.st: str | None = None
        self.pw: str | None = None
        self.version: hj212.Version | None = None
        # Per-connection state, created lazily to keep idle connections small
        self.auth: AuthCache | None = None  # directory answers, from the first frame
        self.control: SessionControl | None = None  # clock and downlink commands, from the first frame
        self.auth_failures: TokenBucket | None = None
        self.last_activity = 0.0
        self.unacked = 0
        self.closing = self.registered = False
        self.outbox: list[bytes] | None = None  # bytes queued for the peer in this loop iteration
        # Abuse accounting of the source address (limits.SourceAbuse): `charged` while this connection holds one of
        # its tokens, `authenticated` from its first frame with a registered MN and the right PW.
        self.charged = self.authenticated = False
        self.probation_until = 0.0  # the source was on probation when we connected: a frame is due by then
        self.last_auth_event = -1e18

    # ---- connection life cycle ---------------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports do not subclass asyncio's
        transport = self.transport
        self.flow, self.reader = ReadFlow(transport), FrameReader(self)
        peername = transport.get_extra_info("peername")
        self.peer_host = str(peername[0]) if peername else "?"
        self.peer = f"{peername[0]}:{peername[1]}" if peername else "?"
        s, now = self.state, self._loop.time()
        self.last_activity = now
        s.metrics.inc("connections_opened")
        if s.draining or len(s.connections) >= s.settings.max_connections:
            self._reject("max_connections" if not s.draining else "draining")
            return
        # Not refused when its address is on probation: the neighbours of a broken terminal behind the same carrier
        # NAT look the same until their first frame. Such a connection must send one within probation_timeout.
        self.charged = s.abuse.connection(self.peer_host, now)
        s.connections.add(self)
        s.metrics.connections = len(s.connections)
        if not self.charged:
            s.metrics.inc("probation_connections")
            self.probation_until = now + s.settings.probation_timeout
            evicted = s.silent.add(self.peer_host, self)
            if evicted is not None:
                evicted.close("silent_evicted")
        transport.set_write_buffer_limits(high=s.settings.write_buffer_limit)

    def _reject(self, reason: str) -> None:
        self.closing = True
        self.state.metrics.inc("connections_rejected", reason)
        log.debug("connection refused", extra={"fields": {"peer": self.peer, "reason": reason}})
        assert self.transport is not None
        self.transport.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        s = self.state
        self.closing = True
        if self not in s.connections:
            return
        s.connections.discard(self)
        if self.probation_until and self.mn is None:
            s.silent.discard(self.peer_host, self)
        s.metrics.connections = len(s.connections)
        s.metrics.inc("connections_closed")
        if self.auth is not None and not s.draining:
            self.auth.cancel()
        if self.control is not None:
            self.control.disconnected()
        if self.registered and self.mn is not None:
            if s.sessions.get(self.mn) is self:
                del s.sessions[self.mn]
                if s.downlink is not None:
                    s.downlink.session_ended(self)
            s.emit("disconnect", mn=self.mn, peer=self.peer, session=self.session_id, error=repr(exc) if exc else "")

    def close(self, reason: str) -> None:
        """Disconnect this peer (limits, duplicate MN, drain) and log why."""
        if self.transport is None or self.transport.is_closing():
            return
        self.closing = True
        if reason in ABUSIVE_CLOSES and not self.authenticated:
            self.state.abuse.charge(self.peer_host, self._loop.time())
        if reason != "drain":
            self.state.metrics.inc("disconnects", reason)
            log.info("closing connection", extra={"fields": {"peer": self.peer, "mn": self.mn, "reason": reason}})
        self.transport.close()

    def finish(self) -> None:
        """Drain: our replies are all written; send FIN and discard whatever the peer still sends.

        Reading resumes only to empty the kernel buffer: closing a socket with unread bytes sends RST, and an RST
        can make the peer's kernel drop the acknowledgements it has not read yet.
        """
        self.closing = True
        self.flush()
        if self.transport is not None and not self.transport.is_closing():
            if self.transport.can_write_eof():
                self.transport.write_eof()
            self.flow.release()

    def stop_reading(self) -> None:
        """Drain: take no more bytes on; frames already read finish their hand-off."""
        self.flow.pause(Pause.DRAIN)

    def pause_writing(self) -> None:
        # The peer does not read our replies; past the limit it is a slow reader and is dropped.
        self.close("slow_reader")

    def now(self) -> float:
        return self._loop.time()

    def create_task(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        return self._loop.create_task(coro)

    # ---- outbound bytes ----------------------------------------------------------------------------------------
    def send(self, data: bytes) -> bool:
        """Queue bytes for the peer (False if it is gone). What one loop iteration queues leaves in one write.

        The acks of a whole sink batch resolve in the same iteration, so a terminal that sent 100 frames gets its
        100 replies in one system call instead of 100.
        """
        if self.transport is None or self.transport.is_closing():
            return False
        if self.outbox is None:
            self.outbox = [data]
            self._loop.call_soon(self.flush)
        else:
            self.outbox.append(data)
        return True

    def flush(self) -> None:
        """Write what `send` queued (also called directly before a half-close)."""
        out, self.outbox = self.outbox, None
        if out and self.transport is not None and not self.transport.is_closing():
            self.transport.write(out[0] if len(out) == 1 else b"".join(out))

    def offer(self, command: Command) -> None:
        """Deliver a downlink command to this session (the Downlink poller's entry point)."""
        if self.control is not None:
            self.control.offer(command)

    # ---- inbound bytes -----------------------------------------------------------------------------------------
    def data_received(self, data: bytes) -> None:
        if self.closing or self.state.draining:
            return  # draining: bytes read after we stopped are not taken on (no ack; the terminal resends)
        now = self.last_activity = self._loop.time()
        frames = self.reader.feed(data, now)
        received_at = self.state.wall()
        for frame in frames:
            if self.closing:
                return
            self._frame(frame, received_at, now)

    def eof_received(self) -> bool | None:
        self.reader.eof()
        return None

    def _frame(self, frame: hj212.Frame, received_at: datetime, now: float) -> None:
        s = self.state
        s.metrics.inc("frames_in")
        mn = frame.mn
        if not mn:
            self.reader.refuse(frame, "no_mn", "frame without MN", now)
            return
        auth = self.auth if self.auth is not None else self._start_session(frame)
        answer = auth.answer(frame, received_at, now)
        if answer is not None:  # else it waits for the directory, and AuthCache calls `process`
            self.process(frame, answer, received_at, now)

    def _start_session(self, frame: hj212.Frame) -> AuthCache:
        assert frame.mn is not None
        self.mn, self.session_id = frame.mn, uuid.uuid4().hex[:16]
        self.auth, self.control = AuthCache(self), SessionControl(self)
        if self.probation_until:
            self.state.silent.discard(self.peer_host, self)
        return self.auth

    def _register(self) -> None:
        """The first authenticated (or unregistered) frame: this connection now holds the MN.

        Not before: a peer with a wrong password must not be able to push the real terminal off.
        """
        s = self.state
        assert self.mn is not None
        self.registered = True
        old = s.sessions.get(self.mn)
        s.sessions[self.mn] = self
        if old is not None and old is not self:
            s.emit("duplicate_mn", mn=self.mn, peer=self.peer, session=self.session_id, old_peer=old.peer,
                   old_session=old.session_id, new_peer=self.peer)  # fmt: skip
            old.close("duplicate_mn")
        s.emit("connect", mn=self.mn, peer=self.peer, session=self.session_id)
        if s.downlink is not None:
            s.downlink.session_started(self)

    def process(self, frame: hj212.Frame, answer: Answer, received_at: datetime, t0: float) -> None:
        """A frame with its directory answer: archive and acknowledge it, or refuse it."""
        s = self.state
        auth, modbus = answer
        if "modbus_crc" in frame.quirks and not modbus:
            self.reader.refuse(frame, "crc_mismatch", "CRC-16/MODBUS, not enabled for this MN", t0)
            return
        if auth is AuthStatus.AUTH_FAILED:
            self._auth_failed(frame, received_at, t0)
            return
        if auth is AuthStatus.OK:
            if not self.authenticated:
                self.authenticated = True
                if self.charged:
                    self.charged = False
                    s.abuse.refund(self.peer_host, t0)
        elif not self._unregistered_fits(frame, t0):
            return
        if frame.mn == self.mn:
            if not self.registered:
                self._register()
                if auth is AuthStatus.UNREGISTERED:
                    s.emit("unregistered_seen", mn=self.mn, peer=self.peer, session=self.session_id)
            self.st, self.pw, self.version = frame.st or self.st, frame.pw, frame.version
            control = self.control
            assert control is not None  # made with the session
            if control.tracker is not None:  # commands were sent: the frame may answer one or carry its data
                control.on_command_frame(frame, t0)
            if frame.cn not in REPLY_CNS:
                control.check_clock(frame, received_at, t0)
        record = s.record(frame, received_at=received_at, peer=self.peer, session=self.session_id, auth=auth)
        self._submit(record, frame, t0, ack=True)

    def _unregistered_fits(self, frame: hj212.Frame, now: float) -> bool:
        """Charge an unregistered frame to its budgets (iot_ingest.unregistered); when one is spent the frame is
        neither archived nor acknowledged (the terminal keeps it and resends), and a connection that never
        authenticated is closed."""
        s = self.state
        assert frame.mn is not None
        scope = s.unregistered.spend(frame.mn, self.peer_host, len(frame.raw), now)
        if scope is None:
            s.metrics.inc("unregistered_kept")
            s.metrics.inc("unregistered_bytes", "", len(frame.raw))
            return True
        s.metrics.inc("unregistered_refused", scope)
        if scope == "mn":
            return False  # the installer has its sample of this MN; the terminal resends the rest once bound
        if s.unregistered.report_due(scope, self.peer_host if scope == "source" else "", now):
            s.emit("unregistered_throttled", mn=frame.mn, peer=self.peer, session=self.session_id, scope=scope,
                   source=self.peer_host, window_s=s.settings.unregistered_window)  # fmt: skip
            log.warning("unregistered budget spent", extra={"fields": {"scope": scope, "peer": self.peer,
                                                                       "mn": frame.mn}})  # fmt: skip
        if not self.authenticated:
            self.close("unregistered_budget")
        return False

    def _submit(self, record: FrameRecord, frame: hj212.Frame, t0: float, *, ack: bool) -> None:
        s = self.state
        try:
            future = s.handoff.submit(record)
        except Exception:
            s.metrics.inc("errors", "backpressure")
            return
        self.unacked += 1
        if self.unacked >= s.settings.max_unacked:
            self.flow.pause(Pause.UNACKED)  # reading resumes once half of them are durable
        future.add_done_callback(partial(self._durable, frame, t0, ack))

    def _durable(self, frame: hj212.Frame, t0: float, ack: bool, future: asyncio.Future[None]) -> None:
        s = self.state
        self.unacked -= 1
        if self.flow.paused and self.unacked <= s.settings.max_unacked // 2:
            self.flow.resume(Pause.UNACKED)
        if future.cancelled() or future.exception() is not None or not ack:
            return  # not durable: no reply, the terminal resends (HJ 212-2017 表1)
        reply = hj212.reply_for(frame)
        if reply is None or self.transport is None or self.transport.is_closing():
            return
        self.send(reply)
        s.metrics.inc("acks")
        s.metrics.ack_latency.observe(self._loop.time() - t0)
        if frame.cn == CN.TIME_CALIBRATION and frame.mn == self.mn and self.control is not None:
            # 1013 (现场机时间校准请求): 9013 first, then 1012 with platform time (HJ 212-2017 附录C).
            self.control.set_clock("time_request")

    def _auth_failed(self, frame: hj212.Frame, received_at: datetime, t0: float) -> None:
        s = self.state
        if not self.authenticated:
            if s.abuse.on_probation(self.peer_host, t0):
                # This address has spent its patience: no more archive rows or events for wrong passwords.
                s.metrics.inc("errors", "auth_failed_probation")
                self.close("auth_failed_probation")
                return
            s.abuse.charge(self.peer_host, t0)
        if t0 - self.last_auth_event >= 60.0:
            self.last_auth_event = t0
            s.emit("auth_failure", mn=frame.mn, peer=self.peer, session=self.session_id)
        if self.auth_failures is None:
            self.auth_failures = TokenBucket(s.settings.auth_failed_burst, s.settings.auth_failed_rate, t0)
        if not self.auth_failures.take(t0):
            s.metrics.inc("errors", "auth_failed_throttled")
            if not self.flow.reasons & Pause.AUTH_THROTTLE and s.settings.auth_failed_rate > 0:
                # Rate-limit: stop reading until a token is back (the kernel buffer fills, the peer waits).
                self.flow.pause(Pause.AUTH_THROTTLE)
                self._loop.call_later(1.0 / s.settings.auth_failed_rate, partial(self.flow.resume, Pause.AUTH_THROTTLE))
            return
        s.metrics.inc("frames_auth_failed")
        record = s.record(frame, received_at=received_at, peer=self.peer, session=self.session_id,
                          auth=AuthStatus.AUTH_FAILED)  # fmt: skip
        self._submit(record, frame, t0, ack=False)

    # ---- timers (called by the server's sweep) -----------------------------------------------------------------
    def check(self, now: float) -> None:
        """Idle and slow-sender time-outs, command retries."""
        s = self.state.settings
        if self.closing:
            return
        if now - self.last_activity > s.idle_timeout:
            self.close("idle_timeout")
        elif self.probation_until and self.mn is None and now > self.probation_until:
            self.close("probation_timeout")
        elif self.reader.stalled(now):
            self.close("slow_sender")
        elif self.control is not None:
            self.control.poll(now)
