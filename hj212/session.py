"""The HJ 212 request flow as sans-IO state machines, one per side (HJ 212-2017 §6.4, §6.5, 表1, 附录C).

More: docs/hj212.md, "Module notes".
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from .catalogue import CN
from .contract import CommandStatus
from .errors import UsageError

__all__ = ["ACKNOWLEDGEMENTS", "NOTIFICATIONS", "Answer", "Change", "Reply", "Request", "Upload", "is_reply"]

# Requests the terminal only acknowledges (9013): "stop sending" notifications of 表9.
NOTIFICATIONS = frozenset({CN.STOP_REALTIME_DATA, CN.STOP_FACILITY_STATUS})
# What acknowledges a terminal's upload sent with Flag A=1: 9014, or 9013 when the upload was a notice (1013).
ACKNOWLEDGEMENTS = frozenset({CN.DATA_ACK, CN.NOTICE_REPLY})
_REPLIES = frozenset({CN.REQUEST_REPLY, CN.EXECUTION_RESULT, CN.NOTICE_REPLY})
_LIVE = (CommandStatus.SENT, CommandStatus.ACCEPTED)


def is_reply(cn: str | None) -> bool:
    """True for the answers to a request (9011, 9012, 9013): they carry the request's QN, not their own."""
    return cn in _REPLIES


@dataclass(frozen=True, slots=True)
class Change:
    """What a platform-side event did to the request: its status now, and why."""

    status: CommandStatus
    detail: str = ""
    qn_rtn: str | None = None  # from the 9011 that caused this change
    exe_rtn: str | None = None  # from the 9012 that caused this change
    resend: bool = False  # write the request out again (same bytes, same QN)
    data: bool = False  # a data frame answering the request (the status did not change)


class Request:
    """One downlink request on the platform side, from its first send to a final status."""

    __slots__ = ("cn", "qn", "over_time", "re_count", "status", "attempts", "deadline")

    def __init__(self, cn: str, qn: str, *, over_time: float = 10.0, re_count: int = 3) -> None:
        self.cn = cn
        self.qn = qn
        self.over_time = over_time
        self.re_count = re_count
        self.status = CommandStatus.PENDING
        self.attempts = 0
        self.deadline = math.inf

    def send(self, now: float) -> Change:
        """The request is written for the first time."""
        if self.status is not CommandStatus.PENDING:
            raise UsageError(f"request {self.qn} already sent ({self.status})")
        self.status, self.attempts, self.deadline = CommandStatus.SENT, 1, now + self.over_time
        return Change(CommandStatus.SENT)

    def poll(self, now: float) -> Change | None:
        """OverTime passed without an answer: send again (表1 ReCount) or time out."""
        if self.status not in _LIVE or now < self.deadline:
            return None
        if self.status is CommandStatus.SENT and self.attempts <= self.re_count:
            self.attempts += 1
            self.deadline = now + self.over_time
            return Change(CommandStatus.SENT, f"resent (attempt {self.attempts})", resend=True)
        if self.status is CommandStatus.SENT:
            return self._end(CommandStatus.TIMED_OUT, f"no 9011 after {self.attempts} sends")
        return self._end(CommandStatus.TIMED_OUT, f"no data or 9012 within {self.over_time:g} s")

    def receive(self, cn: str | None, qn: str | None, scalars: Mapping[str, str], now: float) -> Change | None:
        """A frame from the terminal; None when it is not about this request."""
        if self.status not in _LIVE or cn is None:
            return None
        # Replies carry the request's QN; HJ/T 212-2005 replies carry it in the data area.
        reply_qn = (scalars.get("QN") or qn) if is_reply(cn) or not qn else qn
        if cn == CN.REQUEST_REPLY and reply_qn == self.qn and self.status is CommandStatus.SENT:
            rtn = scalars.get("QnRtn", "")
            if rtn == "1":
                self.status, self.deadline = CommandStatus.ACCEPTED, now + self.over_time
                return Change(CommandStatus.ACCEPTED, qn_rtn=rtn)
            return self._end(CommandStatus.REJECTED, f"QnRtn={rtn or '?'}", qn_rtn=rtn)
        if cn == CN.EXECUTION_RESULT and reply_qn == self.qn:
            rtn = scalars.get("ExeRtn", "")
            if rtn == "1":
                return self._end(CommandStatus.SUCCEEDED, exe_rtn=rtn)
            return self._end(CommandStatus.FAILED, f"ExeRtn={rtn or '?'}", exe_rtn=rtn)
        if cn == CN.NOTICE_REPLY and reply_qn == self.qn:
            return self._end(CommandStatus.SUCCEEDED, "notification answered (9013)")
        if cn == self.cn:
            self.deadline = now + self.over_time  # each data frame restarts the timer (附录C)
            return Change(self.status, data=True)
        return None

    def _end(
        self, status: CommandStatus, detail: str = "", *, qn_rtn: str | None = None, exe_rtn: str | None = None
    ) -> Change:
        self.status, self.deadline = status, math.inf
        return Change(status, detail, qn_rtn=qn_rtn, exe_rtn=exe_rtn)


@dataclass(frozen=True, slots=True)
class Reply:
    """A reply frame to write: CN, the request's QN and the data area (system code 91, no Flag A)."""

    cn: str
    qn: str | None
    cp: str


class Answer:
    """The terminal's replies to one request: 9011 accept or refuse, then 9012; a notification gets 9013."""

    __slots__ = ("cn", "qn", "state")

    def __init__(self, cn: str | None, qn: str | None) -> None:
        self.cn = cn
        self.qn = qn
        self.state = "new"  # new → accepted → done; refused and acknowledged requests are done at once

    @property
    def notification(self) -> bool:
        return self.cn in NOTIFICATIONS

    def _step(self, allowed: str, after: str, reply: Reply) -> Reply:
        if self.state != allowed:
            raise UsageError(f"no {reply.cn} for request {self.qn} in state {self.state}")
        self.state = after
        return reply

    def accept(self) -> Reply:
        """9011 QnRtn=1: the request will be executed."""
        return self._step("new", "accepted", Reply(CN.REQUEST_REPLY, self.qn, "QnRtn=1"))

    def refuse(self, qn_rtn: int) -> Reply:
        """9011 with a refusal code of 表6 (2 refused, 3 PW, 4 MN, 5 ST, 6 Flag, 7 QN, 8 CN, ...)."""
        if qn_rtn == 1:
            raise UsageError("QnRtn=1 accepts; use accept()")
        return self._step("new", "done", Reply(CN.REQUEST_REPLY, self.qn, f"QnRtn={qn_rtn}"))

    def acknowledge(self) -> Reply:
        """9013 for a notification."""
        if not self.notification:
            raise UsageError(f"CN {self.cn} is a request, not a notification: accept or refuse it")
        return self._step("new", "done", Reply(CN.NOTICE_REPLY, self.qn, ""))

    def finish(self, exe_rtn: int) -> Reply:
        """9012 with the result of 表7 (1 done, 2 failed, 3 bad condition, 4 timeout, 5 busy, 100 no data)."""
        return self._step("accepted", "done", Reply(CN.EXECUTION_RESULT, self.qn, f"ExeRtn={exe_rtn}"))


class Upload:
    """One frame the terminal sent with Flag A=1, until its 9014 (or 9013) arrives or ReCount is spent."""

    __slots__ = ("qn", "over_time", "re_count", "attempts", "deadline", "acked", "gave_up")

    def __init__(self, qn: str, *, over_time: float, re_count: int) -> None:
        self.qn = qn
        self.over_time = over_time
        self.re_count = re_count
        self.attempts = 0
        self.deadline = math.inf
        self.acked = False
        self.gave_up = False

    def send(self, now: float) -> None:
        """The frame is written for the first time."""
        if self.attempts:
            raise UsageError(f"upload {self.qn} already sent")
        self.attempts, self.deadline = 1, now + self.over_time

    def poll(self, now: float) -> bool:
        """True when the frame must be written again now; after the last attempt `gave_up` is set (§6.4: the
        link is then considered unusable)."""
        if self.acked or self.gave_up or now < self.deadline:
            return False
        if self.attempts <= self.re_count:
            self.attempts += 1
            self.deadline = now + self.over_time
            return True
        self.gave_up, self.deadline = True, math.inf
        return False

    def receive(self, cn: str | None, qn: str | None) -> bool:
        """True when this frame is the acknowledgement of the upload (9014, or 9013 to a notice, same QN)."""
        if self.gave_up or self.acked or qn != self.qn or cn not in ACKNOWLEDGEMENTS:
            return False
        self.acked, self.deadline = True, math.inf
        return True
