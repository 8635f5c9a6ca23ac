"""One asyncio.Protocol per terminal connection: bytes into hj212's StreamDecoder, frames to the hand-off, replies out.

The common path is synchronous (decode → record → Handoff.submit → reply from the durability callback), so an idle
connection holds no task. Only the first frame of a new MN/PW pair waits for the terminal directory; frames
arriving meanwhile queue behind it in order. Timers are checked by the server's sweep (`check`), not per-connection
timer handles, which keeps an idle connection small.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import deque
from datetime import datetime
from functools import partial
from typing import cast

import hj212
from hj212 import CN
from hj212.contract import REPLY_CNS
from iot_ingest.control import SessionControl
from iot_ingest.limits import TokenBucket
from iot_ingest.ports import AuthStatus, FrameRecord
from iot_ingest.state import ServerState

log = logging.getLogger(__name__)
MAX_BAD_LOGS = 20  # bad-bytes warnings logged per connection (all are counted in metrics)
MAX_IDENTITIES = 16  # distinct MN/PW pairs one connection may use (a data logger relaying a few instruments)
# Disconnects for misbehaviour: one more token of the source's abuse bucket when the connection never authenticated.
ABUSIVE_CLOSES = frozenset({"garbage_budget", "buffer_cap", "slow_sender", "too_many_identities"})


class IngestProtocol(SessionControl, asyncio.Protocol):
    """A terminal connection; its session is keyed by the MN of its first frame."""

    __slots__ = (
        "state", "transport", "peer", "peer_host", "decoder", "mn", "session_id", "auth_key", "auth_val",
        "auth_more", "backlog", "auth_task", "last_activity", "partial_since", "garbage", "auth_failures",
        "unacked", "paused", "closing", "charged", "authenticated", "probation_until",
        "st", "pw", "version", "since_frame", "registered", "bad_logged", "last_auth_event", "_loop",
    )  # fmt: skip

    def __init__(self, state: ServerState, _loop: asyncio.AbstractEventLoop | None = None) -> None:
        self.state = state
        self._loop = _loop or asyncio.get_event_loop()
        self.transport: asyncio.Transport | None = None
        self.peer = self.peer_host = ""
        self.decoder: hj212.StreamDecoder | None = None
        # Session (set by the first frame)
        self.mn: str | None = None
        self.session_id = ""
        self.st: str | None = None
        self.pw: str | None = None
        self.version: hj212.Version | None = None
        # Per-connection state, created lazily to keep idle connections small
        # Directory answers per (MN, PW): the session's own pair in two slots (no dict for the common case),
        # any further pairs (a logger relaying other instruments) in `auth_more`.
        self.auth_key: tuple[str, str | None] | None = None
        self.auth_val: tuple[AuthStatus, bool] | None = None
        self.auth_more: dict[tuple[str, str | None], tuple[AuthStatus, bool]] | None = None
        self.backlog: deque[tuple[hj212.Frame, datetime, float]] | None = None
        self.auth_task: asyncio.Task[None] | None = None
        self.garbage: TokenBucket | None = None
        self.auth_failures: TokenBucket | None = None
        self.last_activity = self.partial_since = 0.0
        self.unacked = self.since_frame = self.bad_logged = 0
        self.paused = self.closing = self.registered = False
        # Abuse accounting of the source address (limits.SourceAbuse): `charged` while this connection holds one of
        # its tokens, `authenticated` from its first frame with a registered MN and the right PW.
        self.charged = self.authenticated = False
        self.probation_until = 0.0  # the source was on probation when we connected: a frame is due by then
        self.last_auth_event = -1e18
        self._init_control()

    # ---- connection life cycle ---------------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports do not subclass asyncio's
        transport = self.transport
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
        self.decoder = hj212.StreamDecoder(
            max_frame_length=s.settings.max_frame_length, max_buffer=s.settings.max_buffer, accept_modbus_crc=True
        )

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
        if self.auth_task is not None and not s.draining:
            self.auth_task.cancel()
        if self.tracker is not None:
            self._apply(self.tracker.on_disconnect())
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
            self.transport.resume_reading()

    def pause_writing(self) -> None:
        # The peer does not read our replies; past the limit it is a slow reader and is dropped.
        self.close("slow_reader")

    # ---- inbound bytes -----------------------------------------------------------------------------------------
    def data_received(self, data: bytes) -> None:
        s, now = self.state, self._loop.time()
        if self.closing or self.decoder is None or s.draining:
            return  # draining: bytes read after we stopped are not taken on (no ack; the terminal resends)
        self.last_activity = now
        s.metrics.inc("bytes_in", "", len(data))
        before = self.decoder.buffered
        items = self.decoder.feed(data)
        after = self.decoder.buffered
        if not after:
            self.partial_since = 0.0
        elif not self.partial_since or not before:
            self.partial_since = now  # a frame has started and must complete within slow_sender_timeout
        # Bytes the decoder discarded (garbage, broken frames): everything fed that is neither still buffered
        # nor part of a good frame. Exact, whatever the decoder keeps of a long garbage run in its error value.
        discarded = len(data) + before - after
        received_at = s.wall()
        for item in items:
            if isinstance(item, hj212.Frame):
                discarded -= len(item.raw)
        self.since_frame += len(data)
        for item in items:
            if isinstance(item, hj212.DecodeError):
                self._log_bad(item.reason, item.detail, item.data)
                if item.reason == "oversize" and self.since_frame >= s.settings.max_buffer:
                    self.close("buffer_cap")  # max_buffer bytes without completing a frame
                    return
        if discarded > 0 and not self._spend_garbage(discarded, now):
            return
        for item in items:
            if self.closing:
                return
            if isinstance(item, hj212.Frame):
                self._frame(item, received_at, now)

    def eof_received(self) -> bool | None:
        if self.decoder is not None:
            for err in self.decoder.close():
                self.state.metrics.inc("errors", err.reason)
        return None

    def _log_bad(self, reason: str, detail: str, data: bytes) -> None:
        self.state.metrics.inc("errors", reason)
        self.bad_logged += 1
        if self.bad_logged > MAX_BAD_LOGS:
            return  # counted in the metrics; the log keeps the first few per connection, not a flood
        log.warning(
            "bad bytes from terminal",
            extra={"fields": {"peer": self.peer, "mn": self.mn, "reason": reason, "detail": detail,
                              "data": data[:256].decode("latin-1")}},
        )  # fmt: skip

    def _spend_garbage(self, count: int, now: float) -> bool:
        """Charge discarded bytes to the garbage budget; close the connection (False) once it is exhausted."""
        s = self.state
        s.metrics.inc("garbage_bytes", "", count)
        if self.garbage is None:
            self.garbage = TokenBucket(s.settings.garbage_budget, s.settings.garbage_refill, now)
        if self.garbage.drain(now, count):
            return True
        self.close("garbage_budget")
        return False

    def _reject_frame(self, frame: hj212.Frame, reason: str, detail: str, now: float) -> None:
        self._log_bad(reason, detail, frame.raw)
        self._spend_garbage(len(frame.raw), now)

    def _frame(self, frame: hj212.Frame, received_at: datetime, now: float) -> None:
        s = self.state
        s.metrics.inc("frames_in")
        self.since_frame = 0
        mn = frame.mn
        if not mn:
            self._reject_frame(frame, "no_mn", "frame without MN", now)
            return
        if self.mn is None:
            self._start_session(frame)
        answer = self._known((mn, frame.pw))
        if self.backlog or answer is None:
            if self.backlog is None:
                self.backlog = deque()
            self.backlog.append((frame, received_at, now))
            if len(self.backlog) >= s.settings.max_unacked and not self.paused and self.transport is not None:
                self.paused = True  # the directory is slow: stop reading rather than queue without bound
                self.transport.pause_reading()
            if self.auth_task is None:
                self.auth_task = self._loop.create_task(self._resolve_auth())
            return
        self._process(frame, answer[0], answer[1], received_at, now)

    def _known(self, key: tuple[str, str | None]) -> tuple[AuthStatus, bool] | None:
        if key == self.auth_key:
            return self.auth_val
        return self.auth_more.get(key) if self.auth_more is not None else None

    def _remember(self, key: tuple[str, str | None], answer: tuple[AuthStatus, bool]) -> None:
        if self.auth_key is None or key == self.auth_key:
            self.auth_key, self.auth_val = key, answer
        else:
            if self.auth_more is None:
                self.auth_more = {}
            self.auth_more[key] = answer

    def _start_session(self, frame: hj212.Frame) -> None:
        assert frame.mn is not None
        self.mn, self.session_id = frame.mn, uuid.uuid4().hex[:16]
        if self.probation_until:
            self.state.silent.discard(self.peer_host, self)

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

    async def _resolve_auth(self) -> None:
        s = self.state
        try:
            while self.backlog:
                frame, received_at, t0 = self.backlog[0]
                assert frame.mn is not None
                key = (frame.mn, frame.pw)
                answer = self._known(key)
                if answer is None:
                    if (self.auth_key is not None) + len(self.auth_more or ()) >= MAX_IDENTITIES:
                        # A peer cycling through MN/PW pairs would make us query the registry for each one.
                        self.backlog.clear()
                        self.close("too_many_identities")
                        return
                    try:
                        async with asyncio.timeout(s.settings.directory_timeout):
                            status = await s.directory.check(frame.mn, frame.pw)
                            modbus = await s.directory.uses_modbus_crc(frame.mn)
                    except Exception as exc:  # registry unavailable or slow: drop unacknowledged, the terminal resends
                        s.metrics.inc("errors", "directory_failed", len(self.backlog))
                        log.error("terminal directory failed", extra={"fields": {"mn": frame.mn, "error": repr(exc)}})
                        self.backlog.clear()
                        return
                    answer = (status, modbus)
                    self._remember(key, answer)
                self.backlog.popleft()
                if not self.closing or s.draining:
                    self._process(frame, answer[0], answer[1], received_at, t0)
        finally:
            self.auth_task = None
            if not self.backlog:
                self.backlog = None  # an empty deque still holds a 64-slot block: ~600 bytes per idle session
                if self.paused and self.unacked < s.settings.max_unacked and not self.closing and not s.draining:
                    self.paused = False
                    assert self.transport is not None
                    self.transport.resume_reading()

    def _process(self, frame: hj212.Frame, auth: AuthStatus, modbus: bool, received_at: datetime, t0: float) -> None:
        s = self.state
        if "modbus_crc" in frame.quirks and not modbus:
            self._reject_frame(frame, "crc_mismatch", "CRC-16/MODBUS, not enabled for this MN", t0)
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
            if frame.cn in REPLY_CNS or self.tracker is not None:
                self._on_command_frame(frame, t0)
            if frame.cn not in REPLY_CNS:
                self._check_clock(frame, received_at, t0)
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
        if self.unacked >= s.settings.max_unacked and not self.paused and self.transport is not None:
            self.paused = True
            self.transport.pause_reading()
        future.add_done_callback(partial(self._durable, frame, t0, ack))

    def _durable(self, frame: hj212.Frame, t0: float, ack: bool, future: asyncio.Future[None]) -> None:
        s = self.state
        self.unacked -= 1
        if self.paused and self.unacked <= s.settings.max_unacked // 2 and not self.closing and not s.draining:
            self.paused = False
            assert self.transport is not None
            self.transport.resume_reading()
        if future.cancelled() or future.exception() is not None or not ack:
            return  # not durable: no reply, the terminal resends (HJ 212-2017 表1)
        reply = hj212.reply_for(frame)
        if reply is None or self.transport is None or self.transport.is_closing():
            return
        self.send(reply)
        s.metrics.inc("acks")
        s.metrics.ack_latency.observe(self._loop.time() - t0)
        if frame.cn == CN.TIME_CALIBRATION and frame.mn == self.mn:
            # 1013 (现场机时间校准请求): 9013 first, then 1012 with platform time (HJ 212-2017 附录C).
            self.set_clock("time_request")

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
            if not self.paused and self.transport is not None and s.settings.auth_failed_rate > 0:
                # Rate-limit: stop reading until a token is back (the kernel buffer fills, the peer waits).
                self.paused = True
                self.transport.pause_reading()
                self._loop.call_later(1.0 / s.settings.auth_failed_rate, self._unthrottle)
            return
        s.metrics.inc("frames_auth_failed")
        record = s.record(frame, received_at=received_at, peer=self.peer, session=self.session_id,
                          auth=AuthStatus.AUTH_FAILED)  # fmt: skip
        self._submit(record, frame, t0, ack=False)

    def _unthrottle(self) -> None:
        if self.paused and not self.closing and self.transport is not None:
            self.paused = False
            self.transport.resume_reading()

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
        elif self.partial_since and now - self.partial_since > s.slow_sender_timeout:
            self.close("slow_sender")
        elif self.tracker is not None and not self.tracker.idle:
            self._apply(self.tracker.poll(now, self.state.wall()))
