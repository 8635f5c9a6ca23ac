"""Downlink command records and their allowed status transitions.

pending → sent → accepted → succeeded | failed, with rejected (QnRtn ≠ 1), timed_out (no answer after HJ 212's
OverTime × (ReCount + 1)), expired (deadline passed before an outcome) and a retry path sent → pending (the
session dropped before an answer).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

from hj212.contract import CommandStatus as CommandStatus  # defined once for listener and domain
from monitoring._time import require_utc
from monitoring.errors import InvalidInputError
from monitoring.registry.models import check_id, check_mn

MAX_DETAIL = 500
MAX_RESULT_CHARS = 64 * 1024


TRANSITIONS: Mapping[CommandStatus, frozenset[CommandStatus]] = MappingProxyType(
    {
        CommandStatus.PENDING: frozenset({CommandStatus.SENT, CommandStatus.EXPIRED, CommandStatus.FAILED}),
        CommandStatus.SENT: frozenset(
            {
                CommandStatus.PENDING,
                CommandStatus.ACCEPTED,
                CommandStatus.REJECTED,
                CommandStatus.SUCCEEDED,
                CommandStatus.FAILED,
                CommandStatus.TIMED_OUT,
                CommandStatus.EXPIRED,
            }
        ),
        CommandStatus.ACCEPTED: frozenset(
            {CommandStatus.SUCCEEDED, CommandStatus.FAILED, CommandStatus.TIMED_OUT, CommandStatus.EXPIRED}
        ),
        CommandStatus.REJECTED: frozenset(),
        CommandStatus.SUCCEEDED: frozenset(),
        CommandStatus.FAILED: frozenset(),
        CommandStatus.TIMED_OUT: frozenset(),
        CommandStatus.EXPIRED: frozenset(),
    }
)


def can_transition(current: CommandStatus, new: CommandStatus) -> bool:
    """Whether `current → new` is an allowed step."""
    return new in TRANSITIONS[current]


@dataclass(frozen=True, slots=True)
class Command:
    """One downlink request: CN + parameters for the terminal MN, tracked by QN."""

    command_id: str
    mn: str
    cn: str
    qn: str
    created_at: datetime
    expires_at: datetime
    params: Mapping[str, str] = field(default_factory=dict)  # CP scalars to send (e.g. {"SystemTime": ...})
    status: CommandStatus = CommandStatus.PENDING
    attempts: int = 0
    updated_at: datetime | None = None
    requested_by: str = ""
    qn_rtn: str | None = None
    exe_rtn: str | None = None
    detail: str = ""  # why it failed / was rejected, for people
    # returned data, JSON-safe (e.g. {"frames": 3, "cp": [...]})
    result: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_id(self.command_id, "command_id")
        check_mn(self.mn)
        if not (self.cn.isdigit() and len(self.cn) == 4):
            raise InvalidInputError(f"command CN must be 4 digits, got {self.cn!r}")
        if not (self.qn.isdigit() and len(self.qn) == 17):
            raise InvalidInputError(f"command QN must be 17 digits, got {self.qn!r}")
        object.__setattr__(self, "created_at", require_utc(self.created_at, "command.created_at"))
        object.__setattr__(self, "expires_at", require_utc(self.expires_at, "command.expires_at"))
        if self.expires_at <= self.created_at:
            raise InvalidInputError("command expires before it is created")
        if self.updated_at is not None:
            object.__setattr__(self, "updated_at", require_utc(self.updated_at, "command.updated_at"))
        object.__setattr__(self, "status", CommandStatus(self.status))
        if self.attempts < 0:
            raise InvalidInputError("attempts must be ≥ 0")
        object.__setattr__(self, "params", MappingProxyType({str(k): str(v) for k, v in self.params.items()}))
        if len(self.detail) > MAX_DETAIL:
            raise InvalidInputError(f"command detail longer than {MAX_DETAIL} characters")
        object.__setattr__(self, "result", MappingProxyType(json_safe(self.result)))


def json_safe(result: Mapping[str, Any]) -> dict[str, Any]:
    """A deep, JSON-only copy of returned data (so the record owns it), bounded in size."""
    try:
        text = json.dumps(dict(result), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"command result must be JSON data: {exc}") from exc
    if len(text) > MAX_RESULT_CHARS:
        raise InvalidInputError(f"command result larger than {MAX_RESULT_CHARS} characters")
    copy: dict[str, Any] = json.loads(text)
    return copy
