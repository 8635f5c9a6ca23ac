"""Downlink command tracking for one session: which request is in flight, what waits, what the store must hear.

More: docs/iot_ingest.md, "Module notes".
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hj212.session import Change, Request
from iot_ingest.ports import Command, CommandStatus, CommandUpdate

MAX_RESULT_FRAMES = 100  # data frames kept in a command's result (the frames themselves are archived anyway)


@dataclass(slots=True)
class Outstanding:
    """The command in flight."""

    command: Command
    request: Request
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

    def _record(self, step: Step, out: Outstanding, previous: CommandStatus, change: Change) -> None:
        result: Mapping[str, Any] = {"frames": out.frames, "cp": list(out.cps)} if out.frames else {}
        if not out.internal:
            step.updates.append(
                CommandUpdate(
                    out.command.id,
                    change.status,
                    previous=previous,
                    qn=out.request.qn,
                    attempts=out.request.attempts,
                    detail=change.detail,
                    result=result,
                    qn_rtn=change.qn_rtn,
                    exe_rtn=change.exe_rtn,
                )  # fmt: skip
            )
        if change.status.final:
            step.finished.append((out.command, change.status, change.detail))
            self._seen.append(out.command.id)
            self.current = None

    def poll(self, now: float, wall: datetime) -> Step:
        """Advance timers: resend, time out, expire, or start the next queued command."""
        step = Step()
        out = self.current
        if out is not None:
            previous = out.request.status
            change = out.request.poll(now)
            if change is not None:
                if change.resend:
                    step.send = self.build(out.command, out.request.qn)
                self._record(step, out, previous, change)
        while self.current is None and self.queue and step.send is None:
            command, internal = self.queue.popleft()
            if command.expires_at is not None and command.expires_at <= wall:
                expired = Outstanding(command, Request(command.cn, ""), internal)  # never sent: no QN, 0 attempts
                self._record(step, expired, CommandStatus.PENDING, Change(CommandStatus.EXPIRED,
                                                                          "expired before delivery"))  # fmt: skip
                continue
            over_time = command.over_time_s if command.over_time_s is not None else self.over_time
            re_count = command.re_count if command.re_count is not None else self.re_count
            qn = command.qn or self.new_qn()  # a store that assigns QNs at submission keeps its own
            request = Request(command.cn, qn, over_time=over_time, re_count=re_count)
            out = Outstanding(command, request, internal)
            self.current = out
            step.send = self.build(command, qn)
            self._record(step, out, CommandStatus.PENDING, request.send(now))
        return step

    def on_frame(
        self,
        *,
        cn: str | None,
        qn: str | None,
        scalars: Mapping[str, str],
        items: Mapping[str, Mapping[str, str]],
        now: float,
    ) -> Step:
        """Feed a frame from the terminal; answers and data for the command in flight change its state."""
        step = Step()
        out = self.current
        if out is None:
            return step
        previous = out.request.status
        change = out.request.receive(cn, qn, scalars, now)
        if change is None:
            return step
        if change.data:
            out.frames += 1
            if len(out.cps) < MAX_RESULT_FRAMES:
                out.cps.append({**dict(scalars), **{k: dict(v) for k, v in dict(items).items()}})
            return step
        self._record(step, out, previous, change)
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
                        previous=out.request.status,
                        qn=out.request.qn,
                        attempts=out.request.attempts,
                        detail="terminal disconnected",
                    )  # fmt: skip
                )
            self.current = None
        self.queue.clear()
        return step
