"""Event records: terminal SOE (millisecond time) and platform events. Identity: `event_id`, derived by default
from (mn, kind, occurred_at, point_id) so the same SOE delivered twice is stored once."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType

from monitoring._time import require_utc, to_micros
from monitoring.errors import InvalidInputError


class EventSource(StrEnum):
    TERMINAL = "terminal"
    PLATFORM = "platform"


class EventKind(StrEnum):
    # terminal SOE (附件3 二.2: ≥16 kept, ms resolution, power loss reported on backup power)
    POWER_LOSS = "power_loss"
    POWER_RESTORE = "power_restore"
    OVER_LIMIT = "over_limit"
    PARAM_CHANGE = "param_change"
    # platform-observed
    CONNECT = "connect"
    DISCONNECT = "disconnect"
    CLOCK_SKEW = "clock_skew"
    AUTH_FAILURE = "auth_failure"
    DUPLICATE_MN = "duplicate_mn"
    UNREGISTERED_SEEN = "unregistered_seen"
    UNREGISTERED_THROTTLED = "unregistered_throttled"  # the listener's budget for unregistered frames is spent
    # a registered terminal connected to a host of a province's tier that does not serve its county (local runner)
    OTHER_COUNTY = "other_county"

    @property
    def source(self) -> EventSource:
        return EventSource.TERMINAL if self in _TERMINAL_KINDS else EventSource.PLATFORM

    @property
    def label(self) -> str:
        return _LABELS[self]


_TERMINAL_KINDS = frozenset(
    {EventKind.POWER_LOSS, EventKind.POWER_RESTORE, EventKind.OVER_LIMIT, EventKind.PARAM_CHANGE}
)
_LABELS = {
    EventKind.POWER_LOSS: "掉电",
    EventKind.POWER_RESTORE: "上电",
    EventKind.OVER_LIMIT: "越限",
    EventKind.PARAM_CHANGE: "参数变更",
    EventKind.CONNECT: "终端上线",
    EventKind.DISCONNECT: "终端离线",
    EventKind.CLOCK_SKEW: "终端时钟偏差",
    EventKind.AUTH_FAILURE: "密码校验失败",
    EventKind.DUPLICATE_MN: "MN重复登录",
    EventKind.UNREGISTERED_SEEN: "未登记终端接入",
    EventKind.UNREGISTERED_THROTTLED: "未登记终端数据超限",
    EventKind.OTHER_COUNTY: "终端接入了非本县主机",
}


def event_id_for(mn: str, kind: EventKind, occurred_at: datetime, point_id: str | None) -> str:
    """Deterministic id so redelivered events are idempotent."""
    key = f"{mn}|{kind.value}|{to_micros(occurred_at)}|{point_id or ''}"
    return hashlib.sha256(key.encode()).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class Event:
    """Something that happened to a terminal or point at a given instant."""

    mn: str
    kind: EventKind
    occurred_at: datetime  # UTC, millisecond resolution for SOE
    point_id: str | None = None
    received_at: datetime | None = None
    detail: Mapping[str, str] = field(default_factory=dict)  # e.g. {"peer": "...", "skew_s": "312"}
    event_id: str = ""

    def __post_init__(self) -> None:
        if not self.mn:
            raise InvalidInputError("event.mn is empty")
        object.__setattr__(self, "kind", EventKind(self.kind))
        object.__setattr__(self, "occurred_at", require_utc(self.occurred_at, "event.occurred_at"))
        if self.received_at is not None:
            object.__setattr__(self, "received_at", require_utc(self.received_at, "event.received_at"))
        if len(self.detail) > 64:
            raise InvalidInputError("event.detail has too many entries")
        object.__setattr__(self, "detail", MappingProxyType({str(k): str(v) for k, v in self.detail.items()}))
        if not self.event_id:
            object.__setattr__(self, "event_id", event_id_for(self.mn, self.kind, self.occurred_at, self.point_id))

    @property
    def source(self) -> EventSource:
        return self.kind.source
