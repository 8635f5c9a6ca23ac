"""One TCP connection from a terminal to one platform: send, wait for 9014, resend, reconnect, answer.

More: docs/simulator.md, "Module notes".
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import math
import time
import weakref

import hj212
from hj212 import CN
from hj212.session import ACKNOWLEDGEMENTS, Upload
from simulator import commands
from simulator.clock import SimClock
from simulator.counters import AckLog, Counters
from simulator.events import Record
from simulator.outbox import Entry, Outbox
from simulator.terminal import Terminal

log = logging.getLogger(__name__)
VERSIONS = {"2005": hj212.Version.V2005, "2017": hj212.Version.V2017, "2025": hj212.Version.V2025}


class Link:
    """The terminal's connection to platform number `index` (1–3) at host:port."""

    def __init__(
        self,
        term: Terminal,
        clock: SimClock,
        host: str,
        port: int,
        *,
        index: int = 1,
        counters: Counters | None = None,
        ack_log: AckLog | None = None,
        capacity: int = 20000,
        reconnect_s: float = 2.0,
        time_request: bool = False,
        realtime: bool = True,
    ) -> None:
        self.term, self.clock, self.host, self.port, self.index = term, clock, host, port, index
        self.counters = counters or Counters()
        self.ack_log = ack_log or AckLog(None)
        self.outbox = Outbox(capacity)
        self.state = commands.LinkState(realtime=realtime)
        # The terminal builds real-time records only if some platform wants them.
        term.realtime_wanted = realtime or (term.realtime_wanted and bool(term.listeners))
        self.reconnect_s = reconnect_s
        self.time_request = time_request
        self.connected = False
        self._qn = hj212.QnGenerator()
        self._heads: dict[tuple[str, str, str, str, bool, bool], str] = {}  # see _own_frame
        self._writer: asyncio.Transport | None = None
        self._waiting: dict[str, tuple[Upload, asyncio.Future[str]]] = {}  # QN -> the upload waiting for its 9014
        self._tasks: set[asyncio.Task[None]] = set()  # running history pulls (at most one)
        # One unacknowledged upload at a time on this link, whether from the buffer or a history pull.
        self._in_flight = asyncio.Lock()
        self.last_ack_s = 0.0  # wall seconds from the last acknowledged packet's first send to its 9014
        term.listeners.append(self.offer)

    # -- what goes into this link's buffer ----------------------------------------------------
    def offer(self, record: Record) -> None:
        """Queue a record the terminal produced, unless this platform does not want it."""
        if record.kind == "realtime" and not self.state.realtime:
            return
        if record.kind == "status" and not self.state.status:
            return
        before = self.outbox.dropped
        self.outbox.put(record, self._next_qn)
        self.counters.dropped += self.outbox.dropped - before

    # -- frames ---------------------------------------------------------------------------------
    def _frame(self, out: commands.Outgoing, qn: str | None) -> bytes:
        return hj212.build_frame(
            st=out.st,
            cn=out.cn,
            mn=self.term.mn,
            pw=self.term.password,
            qn=qn,
            version=VERSIONS[self.term.settings.version],
            ack=out.ack,
            pnum=out.pnum,
            pno=out.pno,
            cp=out.cp,
        )

    def _own_frame(self, out: commands.Outgoing, qn: str) -> bytes:
        """`_frame` for a frame with our own QN and CP text (uploads, history packets, 1013): the header
        between QN and CP is built once by hj212 per (CN, ST, PW, version, split) and reused."""
        split = out.pnum is not None
        cp = out.cp
        if (
            not isinstance(cp, str)
            or "&&" in cp
            or "\r" in cp
            or "\n" in cp
            or (split and not (out.pno is not None and 1 <= out.pno <= out.pnum <= 9999))  # type: ignore[operator]
        ):
            return self._frame(out, qn)  # the general builder refuses (or encodes) it
        term = self.term
        key = (out.cn, out.st, term.password, term.settings.version, out.ack, split)
        head = self._heads.get(key)
        if head is None:
            if len(self._heads) > 64:
                self._heads.clear()
            one = 1 if split else None
            seg = hj212.build_segment(
                st=out.st, cn=out.cn, mn=term.mn, pw=term.password, qn=None,
                version=VERSIONS[term.settings.version], ack=out.ack, pnum=one, pno=one, cp="",
            )  # fmt: skip
            head = self._heads[key] = seg[: -len("PNUM=1;PNO=1;CP=&&&&" if split else "CP=&&&&")]
        if split:
            return hj212.encode_frame(f"QN={qn};{head}PNUM={out.pnum};PNO={out.pno};CP=&&{cp}&&")
        return hj212.encode_frame(f"QN={qn};{head}CP=&&{cp}&&")

    def _next_qn(self) -> str:
        return self._qn.next(self.term.now(self.clock.now()))

    def _write(self, data: bytes) -> bool:
        if self._writer is None or self._writer.is_closing():
            return False
        self._writer.write(data)
        return True

    async def _send_acked(self, out: commands.Outgoing, qn: str) -> bool:
        """Send, wait OverTime for the 9014 (or 9013) with this QN, resend up to ReCount times."""
        async with self._in_flight:
            return await self._send_acked_now(out, qn)

    async def _send_acked_now(self, out: commands.Outgoing, qn: str) -> bool:
        frame = self._own_frame(out, qn)
        s = self.term.settings
        first_sent = time.monotonic()
        loop = asyncio.get_running_loop()
        upload = Upload(qn, over_time=s.overtime_s, re_count=s.recount)  # hj212's terminal side of §6.4
        upload.send(loop.time())
        while True:
            if not self._write(frame):
                return False
            self.counters.frames_sent += 1
            self.counters.resends += upload.attempts > 1
            fut: asyncio.Future[str] = loop.create_future()
            self._waiting[qn] = (upload, fut)
            _deadlines(loop).add(s.overtime_s, fut)  # fires no earlier than the upload's own deadline
            try:
                answer = await fut
            finally:
                self._waiting.pop(qn, None)
            if answer == "lost":
                return False  # the connection went away (or we are stopping): resend on the next one
            if upload.acked:
                self.last_ack_s = time.monotonic() - first_sent  # as the terminal sees it: resends included
                return True
            if not upload.poll(loop.time()):
                break  # ReCount spent
        self.counters.ack_timeouts += 1
        return False

    # -- the connection loop --------------------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> None:
        """Connect whenever the terminal can talk; pump the buffer; reconnect after failures."""
        poll = max(0.05, min(1.0, self.term.settings.sample_s / self.clock.accel))
        while not stop.is_set():
            if not self.term.can_talk(self.clock.now()):
                await _wait(stop, poll)
                continue
            self.counters.connecting += 1
            try:
                loop = asyncio.get_running_loop()
                connecting = loop.create_connection(lambda: _Reader(self), self.host, self.port)
                writer, reader = await asyncio.wait_for(connecting, 10.0)
            except (OSError, TimeoutError):
                self.counters.connect_failures += 1
                await _wait(stop, self.reconnect_s)
                continue
            finally:
                self.counters.connecting -= 1
            self.counters.connects += 1
            self.counters.online += 1
            self._writer, self.connected = writer, True
            try:
                await self._session(reader, stop, poll)
            finally:
                self.counters.online -= 1
                self.connected, self._writer = False, None
                self.state.busy = False
                for task in list(self._tasks):
                    task.cancel()
                writer.close()
                with contextlib.suppress(OSError, ConnectionError):
                    await reader.closed
            if not stop.is_set():
                await _wait(stop, self.reconnect_s if self.term.can_talk(self.clock.now()) else poll)

    async def _session(self, reader: _Reader, stop: asyncio.Event, poll: float) -> None:
        lost = reader.lost
        # Stopping closes the socket at once, so nothing waits out an OverTime on the way down.
        watch = asyncio.create_task(stop.wait())
        watch.add_done_callback(lambda _: self._writer.close() if self._writer is not None else None)
        try:
            if self.time_request:
                out = commands.Outgoing(CN.TIME_CALIBRATION, "", None, self.term.settings.st, True)
                await self._send_acked(out, self._next_qn())  # the platform answers 9013, then sends 1012
            if not self.state.realtime:
                # Without real-time uploads (whose first packet carries GPS) the platform would never learn where
                # the terminal is: report the position once per connection, as the answer to a 3020 query reads.
                gps, qn = self.term.gps_record(self.clock.now()), self._next_qn()
                if not await self._send_acked(
                    commands.Outgoing(gps.cn, gps.packets[0], qn, self.term.settings.st, True), qn
                ):
                    return
            while not stop.is_set() and not lost.is_set():
                if not self.term.can_talk(self.clock.now()):
                    return  # power gone or network down: the modem drops the connection
                if self._tasks:  # a history pull is answering: the buffer waits until its 9012
                    await asyncio.wait(set(self._tasks), timeout=poll)
                    continue
                entry = self.outbox.peek()
                if entry is None:
                    await self.outbox.wait(poll)
                    continue
                if not await self._send_entry(entry):
                    return
        finally:
            watch.cancel()
            reader.lose()  # whatever still waits for an answer on this connection gets "lost"

    async def _send_entry(self, entry: Entry) -> bool:
        if entry.qn is None:
            entry.qn = self._next_qn()
        rec = entry.record
        out = commands.Outgoing(rec.cn, entry.cp, entry.qn, self.term.settings.st, True, entry.pnum, entry.pno)
        if not await self._send_acked(out, entry.qn):
            return False
        self.outbox.done(entry)
        self.counters.acked += 1
        if self.ack_log.enabled:
            self.ack_log.write(
                mn=self.term.mn,
                cn=rec.cn,
                data_time=rec.data_time,
                pno=entry.pno,
                qn=entry.qn,
                platform=self.index,
                ack_s=self.last_ack_s,
            )
        return True

    def _dispatch(self, frame: hj212.Frame) -> None:
        if frame.cn in ACKNOWLEDGEMENTS:
            waiting = self._waiting.get(frame.qn or "")
            if waiting is not None and waiting[0].receive(frame.cn, frame.qn):
                _settle(waiting[1], frame.cn)
            return
        if frame.cn in (CN.REQUEST_REPLY, CN.EXECUTION_RESULT):
            return  # answers to our own requests: none expected
        req = commands.Request(
            frame.qn,
            frame.st,
            frame.cn,
            frame.pw,
            frame.mn,
            dict(frame.cp.scalars),
            {k: dict(v) for k, v in frame.cp.items.items()},
        )
        self.counters.commands += 1
        plan = commands.handle(self.term, self.state, req, self.clock.now())
        if plan.steps and plan.steps[0].cn == CN.REQUEST_REPLY and plan.steps[0].cp != "QnRtn=1":
            self.counters.refused += 1
        if plan.long:
            self.state.busy = True
            task = asyncio.create_task(self._execute(plan))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        else:
            for out in plan.steps:
                self._reply(out)
            if plan.exe_rtn is not None:
                self._reply(commands.result(plan, plan.exe_rtn))

    def _reply(self, out: commands.Outgoing) -> None:
        if self._write(self._frame(out, out.qn)):
            self.counters.replies_sent += 1

    async def _execute(self, plan: commands.Plan) -> None:
        """A history pull: 9011, then each stored packet acknowledged in turn, then 9012."""
        exe = plan.exe_rtn
        try:
            for out in plan.steps:
                if out.ack:
                    if not await self._send_acked(out, self._next_qn()):
                        exe = 4  # 通讯超时
                        break
                else:
                    self._reply(out)
            if exe is not None:
                self._reply(commands.result(plan, exe))
        finally:
            self.state.busy = False


class _Reader(asyncio.Protocol):
    """What the platform sends on one connection, decoded and dispatched right in the transport's callback:
    no reader task per connection and no task wake-up per 9014. End of stream or a lost connection sets
    `lost` and answers every frame still waiting on this link with "lost"."""

    def __init__(self, link: Link) -> None:
        self.link = link
        self.decoder = hj212.StreamDecoder()
        self.lost = asyncio.Event()
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def data_received(self, data: bytes) -> None:
        if self.lost.is_set():
            return  # the session is over: nothing may reach the link's next connection
        for item in self.decoder.feed(data):
            if isinstance(item, hj212.Frame):
                self.link._dispatch(item)
            else:
                self.link.counters.decode_errors += 1

    def eof_received(self) -> bool | None:
        self.lose()
        return None  # the transport closes itself

    def connection_lost(self, exc: Exception | None) -> None:
        self.lose()
        if not self.closed.done():
            self.closed.set_result(None)

    def lose(self) -> None:
        if self.lost.is_set():
            return  # only once: a late connection_lost must not touch the next connection's frames
        self.lost.set()
        for _, fut in self.link._waiting.values():
            _settle(fut, "lost")


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


def _settle(fut: asyncio.Future[str], value: str) -> None:
    if not fut.done():
        fut.set_result(value)


class _Deadlines:
    """The OverTime of every frame in flight on one event loop, on a single timer.

    One timer per frame (armed, then cancelled by nearly every 9014) costs more than building the frame; here
    a frame only joins a heap. The timer is armed at the earliest deadline; when it fires, answered frames
    at the head are dropped and unanswered ones past their deadline get "timeout" (exactly when their own
    timer would have fired), then it is armed again at the next pending deadline, usually OverTime later.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._heap: list[tuple[float, int, asyncio.Future[str]]] = []
        self._seq = itertools.count()
        self._handle: asyncio.TimerHandle | None = None
        self._when = math.inf

    def add(self, delay: float, fut: asyncio.Future[str]) -> None:
        when = self._loop.time() + delay
        heapq.heappush(self._heap, (when, next(self._seq), fut))
        if when < self._when:
            self._arm(when)

    def _arm(self, when: float) -> None:
        if self._handle is not None:
            self._handle.cancel()
        self._when, self._handle = when, self._loop.call_at(when, self._fire)

    def _fire(self) -> None:
        self._handle, self._when = None, math.inf
        heap, now = self._heap, self._loop.time()
        while heap and (heap[0][2].done() or heap[0][0] <= now):
            _settle(heapq.heappop(heap)[2], "timeout")
        if heap:
            self._arm(heap[0][0])


_DEADLINES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Deadlines] = weakref.WeakKeyDictionary()


def _deadlines(loop: asyncio.AbstractEventLoop) -> _Deadlines:
    found = _DEADLINES.get(loop)
    if found is None:
        found = _DEADLINES[loop] = _Deadlines(loop)
    return found
