"""Alarms, their episodes on data time, the workflow states of the notice, and the audit trail."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from monitoring.errors import InvalidInputError


class AlarmState(StrEnum):
    """Workflow state (the notice's closed loop: 报警 → 响应 → 派发 → 核查 → 办结)."""

    PENDING = "pending"  # 待响应
    RESPONDED = "responded"  # 企业已响应
    DISPATCHED = "dispatched"  # 已派发执法分局
    VERIFIED = "verified"  # 已核查
    CLOSED = "closed"  # 已办结
    RETRACTED = "retracted"  # 已撤销: late data showed the condition never held


STATE_NAMES = {
    AlarmState.PENDING: "待响应",
    AlarmState.RESPONDED: "企业已响应",
    AlarmState.DISPATCHED: "已派发执法分局",
    AlarmState.VERIFIED: "已核查",
    AlarmState.CLOSED: "已办结",
    AlarmState.RETRACTED: "已撤销",
}
FINAL_STATES = frozenset({AlarmState.CLOSED, AlarmState.RETRACTED})


class Cause(StrEnum):
    """The enterprise's stated cause (响应原因)."""

    MAINTENANCE = "maintenance"  # 计划检修
    EQUIPMENT_FAULT = "equipment_fault"  # 设备故障
    POWER_CUT = "power_cut"  # 停电
    FALSE_ALARM = "false_alarm"  # 误报
    OTHER = "other"  # 其他


CAUSE_NAMES = {
    Cause.MAINTENANCE: "计划检修",
    Cause.EQUIPMENT_FAULT: "设备故障",
    Cause.POWER_CUT: "停电",
    Cause.FALSE_ALARM: "误报",
    Cause.OTHER: "其他",
}


class ActorRole(StrEnum):
    ENTERPRISE = "enterprise"
    PROVIDER = "provider"  # 运维公司
    BRANCH = "branch"  # 执法分局
    BUREAU = "bureau"  # 应急科 / 大气科 / monitoring centre
    SYSTEM = "system"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts, and from where (IP, channel), for the audit trail."""

    id: str
    role: ActorRole
    source: str = ""  # "ip:203.0.113.7 via miniprogram", "scheduler", ...
    enterprise_id: str | None = None  # for enterprise and provider accounts
    branch: str | None = None  # for branch accounts


SYSTEM = Actor("system", ActorRole.SYSTEM, "rules-engine")


@dataclass(frozen=True, slots=True)
class Episode:
    """One stretch of the rule's condition on data time."""

    start: datetime
    end: datetime | None  # None: the condition still holds
    evidence: Mapping[str, Any]
    quality: Mapping[str, Any]
    retracted: bool = False
    suppressions: tuple[str, ...] = ()  # stoppage / fault reports touching this episode

    @property
    def duration(self) -> timedelta | None:
        return None if self.end is None else self.end - self.start


@dataclass(frozen=True, slots=True)
class Location:
    """Where a person stood when answering (the phone's fix, WGS-84), as evidence of an on-site answer."""

    lat: float
    lon: float
    accuracy_m: float | None = None

    def __post_init__(self) -> None:
        ok = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (self.lat, self.lon))
        if not ok or not (-90 <= self.lat <= 90 and -180 <= self.lon <= 180):
            raise InvalidInputError("位置无效：纬度须在 -90 至 90 之间，经度须在 -180 至 180 之间")
        if self.accuracy_m is not None and not 0 <= self.accuracy_m <= 100_000:
            raise InvalidInputError("位置精度无效")


@dataclass(frozen=True, slots=True)
class Response:
    cause: Cause
    text: str
    photos: tuple[str, ...]
    by: str
    at: datetime
    location: Location | None = None


@dataclass(frozen=True, slots=True)
class Verification:
    result: str
    photos: tuple[str, ...]
    by: str
    at: datetime
    location: Location | None = None


@dataclass(frozen=True, slots=True)
class Reminder:
    at: datetime
    audience: str  # enterprise | branch | emergency_section
    reason: str  # response_overdue | investigation_overdue


@dataclass(frozen=True, slots=True)
class Alarm:
    id: str
    rule: str
    subject: str
    enterprise_id: str
    severity: str
    state: AlarmState
    episodes: tuple[Episode, ...]
    created_at: datetime  # processing time: when the platform raised it (SLA clocks start here)
    updated_at: datetime
    point_ids: tuple[str, ...] = ()
    response: Response | None = None
    dispatched_to: str | None = None
    dispatched_at: datetime | None = None
    verification: Verification | None = None
    closed_at: datetime | None = None
    close_note: str = ""
    escalated_at: datetime | None = None
    reminders: tuple[Reminder, ...] = ()
    version: int = 0
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def live_episodes(self) -> tuple[Episode, ...]:
        return tuple(e for e in self.episodes if not e.retracted)

    @property
    def active(self) -> bool:
        """The condition still holds (an episode without an end)."""
        return any(e.end is None for e in self.live_episodes)

    @property
    def open(self) -> bool:
        return self.state not in FINAL_STATES

    @property
    def data_start(self) -> datetime:
        live = self.live_episodes or self.episodes
        return min(e.start for e in live)

    @property
    def cleared_at(self) -> datetime | None:
        """When the condition last ended (automatic clear); None while active."""
        live = self.live_episodes
        if not live or self.active:
            return None
        return max(e.end for e in live if e.end is not None)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One audited transition or change: who, when, what, from where."""

    alarm_id: str
    at: datetime
    actor: str
    role: str
    source: str
    action: str
    from_state: str | None
    to_state: str | None
    detail: Mapping[str, Any] = field(default_factory=dict)
