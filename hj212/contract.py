"""The listener↔domain contract (docs/contracts.md §2): the frame record, AuthStatus, CommandStatus, REPLY_CNS.

The TCP listener (`iot_ingest`) and the domain (`monitoring`) may not import each other (DESIGN.md §3); both
import `hj212`. What they exchange is defined here, once, with the standard library only.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, fields
from datetime import datetime
from enum import StrEnum
from typing import Any

from .catalogue import REPLY_CNS

__all__ = ["RECORD_VERSION", "REPLY_CNS", "AuthStatus", "CommandStatus", "FrameRecord", "record_doc"]

RECORD_VERSION = 1


class AuthStatus(StrEnum):
    """Outcome of checking a terminal's MN and PW against the registry (the `auth` field of a frame record)."""

    OK = "ok"
    UNREGISTERED = "unregistered"  # unknown MN: accepted, durable, acknowledged, flagged for an installer to bind
    AUTH_FAILED = "auth_failed"  # known MN, wrong PW: archived, never acknowledged


class CommandStatus(StrEnum):
    """Life cycle of a downlink command (HJ 212-2017 §6.5 request flow; docs/iot_ingest.md "Downlink commands")."""

    PENDING = "pending"  # waiting for the terminal's session (offline, or not yet sent)
    SENT = "sent"  # written to the terminal, waiting for 9011 (QnRtn)
    ACCEPTED = "accepted"  # 9011 QnRtn=1: waiting for data frames and 9012 (ExeRtn)
    REJECTED = "rejected"  # 9011 QnRtn other than 1 (表6: 2 refused, 3 wrong PW, ...)
    SUCCEEDED = "succeeded"  # 9012 ExeRtn=1 (or 9013 for notification commands)
    FAILED = "failed"  # 9012 ExeRtn other than 1
    TIMED_OUT = "timed_out"  # no answer after OverTime × (ReCount + 1)
    EXPIRED = "expired"  # never delivered before its deadline

    @property
    def final(self) -> bool:
        return self in _FINAL


_FINAL = frozenset(
    {
        CommandStatus.REJECTED,
        CommandStatus.SUCCEEDED,
        CommandStatus.FAILED,
        CommandStatus.TIMED_OUT,
        CommandStatus.EXPIRED,
    }
)


def record_doc(
    *,
    raw: bytes,
    received_at: datetime,
    peer: str,
    mn: str | None,
    cn: str | None,
    qn: str | None,
    listener: str,
    session: str,
    auth: AuthStatus,
    crc: str,
) -> dict[str, Any]:
    """The frame record as the JSON object that crosses the stream (None: the frame carried no such field)."""
    return {
        "v": RECORD_VERSION,
        "frame": base64.b64encode(raw).decode("ascii"),
        "received_at": received_at.isoformat(timespec="microseconds"),
        "peer": peer,
        "mn": mn,
        "cn": cn,
        "qn": qn,
        "listener": listener,
        "session": session,
        "auth": auth.value,
        "crc": crc,
    }


@dataclass(frozen=True, slots=True)
class FrameRecord:
    """A frame record read back from the stream; the domain validates the JSON into this, and its archive keeps it
    (`monitoring.archive.models.RawFrame` is this record with the archive's checks and hash-chain form)."""

    mn: str  # the domain's UNKNOWN_MN ("-") when the frame had no readable MN
    raw: bytes  # exactly the bytes received (the record's "frame", in base64)
    received_at: datetime  # aware, UTC
    peer: str
    auth: AuthStatus
    crc: str = "hj212"  # or "modbus"
    cn: str = ""
    qn: str = ""
    listener: str = ""
    session: str = ""

    def to_doc(self) -> dict[str, Any]:
        return record_doc(**{f.name: getattr(self, f.name) for f in fields(self)})
