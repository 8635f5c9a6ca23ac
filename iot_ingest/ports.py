"""The listener's ports: what it needs from the rest of the platform, as typing Protocols.

The listener defines these seams and never imports their implementations; its entry point (`__main__.py`) or a
composition root (`local/`) wires concrete adapters in. In-memory implementations live in `iot_ingest.memory` and
`iot_ingest.sinks.memory`; the durable frame sinks are `iot_ingest.sinks.jsonl` and `iot_ingest.sinks.kinesis`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from hj212.contract import AuthStatus, CommandStatus

__all__ = [
    "AuthStatus",
    "Command",
    "CommandQueue",
    "CommandStatus",
    "CommandUpdate",
    "Event",
    "EventSink",
    "FrameRecord",
    "FrameSink",
    "NotServedHere",
    "SessionLeases",
    "SinkError",
    "TerminalDirectory",
]

FrameRecord = dict[str, Any]
"""One frame as it leaves the listener: the JSON object of docs/contracts.md §2 (`hj212.contract.record_doc`)."""


class SinkError(Exception):
    """A sink could not make a batch durable; nothing in the batch may be acknowledged."""


@runtime_checkable
class FrameSink(Protocol):
    """Durable hand-off of frame records (Kinesis, a JSON-lines file, the embedded store)."""

    async def put(self, records: Sequence[FrameRecord]) -> None:
        """Make every record durable, or raise (any exception means: none of them may be acknowledged)."""

    async def close(self) -> None:
        """Flush and release resources; called once during shutdown."""


class NotServedHere(Exception):
    """`TerminalDirectory.check`: a registered terminal this listener does not serve (a host of a province's tier
    answering for another county's). Its frames are neither archived nor acknowledged here: the terminal keeps them
    and backfills them once it is pointed at its own host."""


class TerminalDirectory(Protocol):
    """The terminal registry as the listener sees it."""

    async def check(self, mn: str, pw: str | None) -> AuthStatus:
        """Check a terminal's MN and PW; may raise NotServedHere."""

    async def uses_modbus_crc(self, mn: str) -> bool:
        """True when this terminal is known to send CRC-16/MODBUS instead of HJ 212's CRC."""


@dataclass(frozen=True, slots=True)
class Command:
    """A downlink request for one terminal, as submitted by the API (HJ 212-2017 表9 request commands)."""

    id: str
    mn: str
    cn: str  # e.g. "1012" set time, "1062" set real-time interval, "2051" pull minute history
    cp: Mapping[str, str] = field(default_factory=dict)  # data area, e.g. {"BeginTime": ..., "EndTime": ...}
    expires_at: datetime | None = None  # aware UTC; None: never expires while pending
    over_time_s: float | None = None  # HJ 212 表1 T; None: the listener's default (10 s)
    re_count: int | None = None  # HJ 212 表1 N; None: the listener's default (3)
    qn: str | None = None  # the request's QN if the store assigned one at submission; None: the listener mints one


@dataclass(frozen=True, slots=True)
class CommandUpdate:
    """A status write-back for one command.

    `previous` is the status this update moves from (a store can apply it as a compare-and-set). A resend is an
    update from `sent` to `sent` with a higher `attempts`.
    """

    command_id: str
    status: CommandStatus
    previous: CommandStatus | None = None
    qn: str | None = None
    attempts: int = 0
    detail: str = ""
    result: Mapping[str, Any] = field(default_factory=dict)  # returned data: {"frames": n, "cp": [...]}
    qn_rtn: str | None = None  # from 9011, when this update was caused by one
    exe_rtn: str | None = None  # from 9012, when this update was caused by one


class CommandQueue(Protocol):
    """Pending downlink commands and their status write-back (the command store)."""

    async def pending(self, owner: str, mns: Collection[str]) -> list[Command]:
        """Pending, unexpired commands for terminals this listener holds (`mns`), oldest first.

        `owner` lets a shared store answer from an owner index instead of one query per MN.
        """

    async def update(self, update: CommandUpdate) -> None:
        """Record a status change (and any returned data) for a command."""

    async def expire(self, now: datetime) -> list[str]:
        """Mark pending commands whose `expires_at` has passed as expired; return their ids."""


class SessionLeases(Protocol):
    """Session ownership MN → listener, with a lease, so commands reach the task holding the terminal."""

    async def claim(self, mn: str, owner: str, lease_s: float) -> str | None:
        """Take the lease for `mn` unconditionally (the newest connection wins); return the previous owner."""

    async def renew(self, mns: Collection[str], owner: str, lease_s: float) -> set[str]:
        """Extend leases this owner holds; return the MNs whose lease another owner has taken since."""

    async def release(self, mn: str, owner: str) -> None:
        """Drop the lease if this owner still holds it."""


@dataclass(frozen=True, slots=True)
class Event:
    """A platform event (connect, disconnect, auth_failure, duplicate_mn, clock_skew, unregistered_seen,
    unregistered_throttled)."""

    type: str
    at: datetime  # aware UTC
    listener: str
    mn: str | None = None
    peer: str | None = None
    session: str | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)


class EventSink(Protocol):
    """Where platform events go. Best effort: a failing event sink never delays or blocks frames."""

    async def emit(self, event: Event) -> None:
        """Record one event."""
