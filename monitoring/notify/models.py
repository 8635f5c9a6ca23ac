"""Records of the notification package: the event that calls for telling people, a recipient, and the outbox entry
(`Notification`) with its states queued → sending → sent → delivered | failed (or merged, unreachable)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from monitoring._time import require_utc
from monitoring.errors import InvalidInputError
from monitoring.notify.ports import ChannelKind


class Status(StrEnum):
    QUEUED = "queued"  # decided and stored; due at not_before
    SENDING = "sending"  # claimed by a sender until lease_until; an expired lease makes it due again
    SENT = "sent"  # a provider accepted it (provider, provider_id)
    DELIVERED = "delivered"  # the provider's receipt said delivered
    FAILED = "failed"  # permanently refused, or retries exhausted (error, attempts)
    MERGED = "merged"  # went out inside another message to the same address (merged_into)
    UNREACHABLE = "unreachable"  # the recipient has no usable channel: stored so the bureau sees it
    CANCELLED = "cancelled"  # not sent: the alarm was retracted or closed, or the reminder answered, meanwhile


STATUS_NAMES = {
    Status.QUEUED: "待发送",
    Status.SENDING: "发送中",
    Status.SENT: "已发送",
    Status.DELIVERED: "已送达",
    Status.FAILED: "发送失败",
    Status.MERGED: "已合并发送",
    Status.UNREACHABLE: "无可用渠道",
    Status.CANCELLED: "已取消（无需再发）",
}
OPEN_STATUSES = frozenset({Status.QUEUED, Status.SENDING})
CHANNEL_NAMES = {
    ChannelKind.SMS: "短信",
    ChannelKind.WECHAT_SUBSCRIBE: "小程序订阅消息",
    ChannelKind.WECOM_ROBOT: "企业微信群机器人",
    ChannelKind.SNS_SMS: "境外短信",
}


@dataclass(frozen=True, slots=True)
class NotifyEvent:
    """Something people must hear about: an alarm raised, a reminder, an emergency alert, a daily digest.

    `id` is stable for the same happening (the outbox key derives from it), so deciding twice stores nothing twice.
    """

    id: str  # "alarm:<id>:raised", "alarm:<id>:reminder:<reason>:<audience>:<at>", "emergency:<id>:published:<ent>"
    kind: str  # alarm_raised | response_overdue | dispatched | investigation_overdue | emergency_published | ...
    at: datetime
    county_id: str
    severity: str = "medium"
    rule: str = ""
    alarm_id: str | None = None
    enterprise_id: str | None = None
    town_id: str | None = None
    branch_id: str | None = None
    reminder_audience: str | None = None  # for reminders: the escalation job's audience (enterprise | branch | ...)
    values: Mapping[str, str] = field(default_factory=dict)  # template values (enterprise name, rule name, ...)
    account_ids: tuple[str, ...] = ()  # the `service_provider` audience: the enterprise's provider's accounts

    def __post_init__(self) -> None:
        object.__setattr__(self, "at", require_utc(self.at, "at"))


@dataclass(frozen=True, slots=True)
class Recipient:
    """A person or group as the notify package reaches it; `id` is stable ("account:<id>", "contact:<ent>:<n>")."""

    id: str
    name: str
    audience: str
    phone: str = ""
    openid: str = ""
    robot: str = ""  # a WeCom group robot's configured name
    sns_phone: str = ""  # E.164 outside the mainland


def outbox_key(event_id: str, recipient_id: str, kind: ChannelKind) -> str:
    """The idempotency key of (event, recipient, channel): 32 hex characters, usable as a provider's out-id."""
    raw = f"{event_id}\x1f{recipient_id}\x1f{kind.value}".encode()
    return hashlib.sha256(raw).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class Attempt:
    at: datetime
    provider: str
    outcome: str  # a SendStatus value, or "quota" (held back by a per-number limit)
    code: str = ""


@dataclass(frozen=True, slots=True)
class Notification:
    """One outbox entry: one message for one recipient over one channel, stored before anything is sent."""

    key: str
    event_id: str
    event_kind: str
    kind: ChannelKind
    recipient_id: str
    recipient_name: str
    audience: str
    address: str
    template: str
    params: Mapping[str, str]
    text: str
    created_at: datetime
    not_before: datetime
    severity: str = "medium"
    group: str = ""  # messages of one group to one address may be merged into one (the enterprise, usually)
    page: str = ""
    alarm_id: str | None = None
    enterprise_id: str | None = None
    status: Status = Status.QUEUED
    attempts: int = 0
    lease_owner: str = ""
    lease_until: datetime | None = None
    provider: str = ""
    provider_id: str = ""
    error: str = ""
    sent_at: datetime | None = None
    delivered_at: datetime | None = None
    finished_at: datetime | None = None  # when it reached a final status
    merged_into: str = ""
    awaiting_receipt: bool = False  # sent through a provider that reports delivery, whose report is still due
    history: tuple[Attempt, ...] = ()
    version: int = 0

    def __post_init__(self) -> None:
        if not self.key or not self.event_id or not self.recipient_id:
            raise InvalidInputError("notification: key, event_id and recipient_id are required")
        if not isinstance(self.kind, ChannelKind):
            object.__setattr__(self, "kind", ChannelKind(self.kind))
        if not isinstance(self.status, Status):
            object.__setattr__(self, "status", Status(self.status))
        for name in ("created_at", "not_before", "lease_until", "sent_at", "delivered_at", "finished_at"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, require_utc(value, name))
        if self.attempts < 0 or self.version < 0:
            raise InvalidInputError("notification: attempts and version must not be negative")

    @property
    def open(self) -> bool:
        return self.status in OPEN_STATUSES

    def receipt_due(self) -> datetime | None:
        """When its delivery report may be asked for: sent, through a provider that reports, not yet answered."""
        return self.sent_at if self.status is Status.SENT and self.awaiting_receipt else None

    def due_at(self) -> datetime | None:
        """When a sender may take it: queued at not_before, sending when its lease runs out; None when final."""
        if self.status is Status.QUEUED:
            return self.not_before
        if self.status is Status.SENDING:
            return self.lease_until or self.not_before
        return None


__all__ = [
    "CHANNEL_NAMES",
    "OPEN_STATUSES",
    "STATUS_NAMES",
    "Attempt",
    "Notification",
    "NotifyEvent",
    "Recipient",
    "Status",
    "outbox_key",
]
