"""Downlink command tracking for one session: the HJ 212 request flow as a small state machine.

HJ 212-2017 §6.5 / 附录C: the platform sends a request (Flag A=1) with a fresh QN; the terminal answers 9011
(QnRtn, same QN), then any data frames (the request's CN), then 9012 (ExeRtn). Notification commands are
answered with 9013 instead. 表1: without an answer within OverTime T the request is resent, at most ReCount N
times; without data or a result within T after the answer the execution failed. At most one command is in flight
per terminal (data loggers handle requests one at a time); the rest wait in order. No I/O and no clock here: the
caller passes `now` (monotonic seconds) and a `build(command, qn)` callable, and writes out what it gets back.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hj212 import CN
from iot_ingest.ports import Command, CommandStatus, CommandUpdate

MAX_RESULT_FRAMES = 100  # data frames kept in a command's result (the frames themselves are archived anyway)


@dataclass(slots=True)
class Outstanding:
    """The command in flight."""

    command: Command
    qn: str
    status: CommandStatus
    attempts: int
    deadline: float
    over_time: float
    re_count: int
    internal: bool
    frames: int = 0
    cps: list[dict[str, Any]] = field(default_factory=list)


@dataclass(slots=True)
class Step:
    """What the caller must do: write `send` (if any) to the terminal and record `updates` in the command store."""

    send: bytes | None = None
    updates: list[CommandUpdate] = field(default_factory=list)
    finished: list[tuple[Command, CommandStatus, str]] = field(default_factory=list)  # includes internal commands


class CommandTracker:
    """Queue and in-flight state of downlink commands for one terminal."""

    def __init__(
        self,
        *,
        build: Callable[[Command, str], bytes],
        new_qn: Callable[[], str],
        over_time: float = 10.0,
        re_count: int = 3,
    ) -> None:
        self.build = build
        self.new_qn = new_qn
        self.over_time = over_time
        self.re_count = re_count
        self.queue: deque[tuple[Command, bool]] = deque()
        self.current: Outstanding | None = None
        self._seen: deque[str] = deque(maxlen=64)  # recently finished ids: a stale poll must not resend them

    def knows(self, command_id: str) -> bool:
        return (
            (self.current is not None and self.current.command.id == command_id)
            or any(c.id == command_id for c, _ in self.queue)
            or command_id in self._seen
        )

    def offer(self, command: Command, *, internal: bool = False) -> bool:
        """Queue a command unless it is already queued, in flight or just finished."""
        if self.knows(command.id):
            return False
        self.queue.append((command, internal))
        return True

    @property
    def idle(self) -> bool:
        return self.current is None and not self.queue

    def _update(
        self,
        step: Step,
        out: Outstanding,
        status: CommandStatus,
        detail: str = "",
        *,
        qn_rtn: str | None = None,
        exe_rtn: str | None = None,
    ) -> None:
        previous, out.status = out.status, status
        result: Mapping[str, Any] = {"frames": out.frames, "cp": list(out.cps)} if out.frames else {}
        if not out.internal:
            step.updates.append(
                CommandUpdate(
                    out.command.id,
                    status,
                    previous=previous,
                    qn=out.qn,
                    attempts=out.attempts,
                    detail=detail,
                    result=result,
                    qn_rtn=qn_rtn,
                    exe_rtn=exe_rtn,
                )  # fmt: skip
            )
        if status.final:
            step.finished.append((out.command, status, detail))
            self._seen.append(out.command.id)
            self.current = None

    def poll(self, now: float, wall: datetime) -> Step:
        """Advance timers: resend, time out, expire, or start the next queued command."""
        step = Step()
        out = self.current
        if out is not None and now >= out.deadline:
            if out.status is CommandStatus.SENT and out.attempts <= out.re_count:
                out.attempts += 1
                out.deadline = now + out.over_time
                step.send = self.build(out.command, out.qn)
                self._update(step, out, CommandStatus.SENT, f"resent (attempt {out.attempts})")
            elif out.status is CommandStatus.SENT:
                self._update(step, out, CommandStatus.TIMED_OUT, f"no 9011 after {out.attempts} sends")
            else:
                self._update(step, out, CommandStatus.TIMED_OUT, f"no data or 9012 within {out.over_time:g} s")
        while self.current is None and self.queue and step.send is None:
            command, internal = self.queue.popleft()
            if command.expires_at is not None and command.expires_at <= wall:
                expired = Outstanding(command, "", CommandStatus.PENDING, 0, now, 0, 0, internal)
                self._update(step, expired, CommandStatus.EXPIRED, "expired before delivery")
                continue
            over_time = command.over_time_s if command.over_time_s is not None else self.over_time
            re_count = command.re_count if command.re_count is not None else self.re_count
            qn = command.qn or self.new_qn()  # a store that assigns QNs at submission keeps its own
            out = Outstanding(command, qn, CommandStatus.PENDING, 1, now + over_time, over_time, re_count, internal)
            self.current = out
            step.send = self.build(command, out.qn)
            self._update(step, out, CommandStatus.SENT)
        return step

    def on_frame(self, *, cn: str | None, qn: str | None, scalars: Mapping[str, str], items: Any, now: float) -> Step:
        """Feed a frame from the terminal; answers and data for the command in flight change its state."""
        step = Step()
        out = self.current
        if out is None or cn is None:
            return step
        reply_qn = (
            qn
            if qn and cn not in (CN.REQUEST_REPLY, CN.EXECUTION_RESULT, CN.NOTICE_REPLY)
            else (scalars.get("QN") or qn)
        )
        if cn == CN.REQUEST_REPLY and reply_qn == out.qn and out.status is CommandStatus.SENT:
            rtn = scalars.get("QnRtn", "")
            if rtn == "1":
                out.deadline = now + out.over_time
                self._update(step, out, CommandStatus.ACCEPTED, qn_rtn=rtn)
            else:
                self._update(step, out, CommandStatus.REJECTED, f"QnRtn={rtn or '?'}", qn_rtn=rtn)
        elif cn == CN.EXECUTION_RESULT and reply_qn == out.qn:
            rtn = scalars.get("ExeRtn", "")
            if rtn == "1":
                self._update(step, out, CommandStatus.SUCCEEDED, exe_rtn=rtn)
            else:
                self._update(step, out, CommandStatus.FAILED, f"ExeRtn={rtn or '?'}", exe_rtn=rtn)
        elif cn == CN.NOTICE_REPLY and reply_qn == out.qn:
            self._update(step, out, CommandStatus.SUCCEEDED, "notification answered (9013)")
        elif cn == out.command.cn and out.status in (CommandStatus.SENT, CommandStatus.ACCEPTED):
            # A data frame answering the request (same CN; same or new QN, 附录C): each one restarts the timer.
            out.frames += 1
            if len(out.cps) < MAX_RESULT_FRAMES:
                out.cps.append({**dict(scalars), **{k: dict(v) for k, v in dict(items).items()}})
            out.deadline = now + out.over_time
        return step

    def on_disconnect(self) -> Step:
        """The session ended: a command in flight goes back to pending (it is delivered again on reconnect)."""
        step = Step()
        out = self.current
        if out is not None:
            if not out.internal:
                step.updates.append(
                    CommandUpdate(
                        out.command.id,
                        CommandStatus.PENDING,
                        previous=out.status,
                        qn=out.qn,
                        attempts=out.attempts,
                        detail="terminal disconnected",
                    )  # fmt: skip
                )
            self.current = None
        self.queue.clear()
        return step
