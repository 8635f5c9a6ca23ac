"""Ports of the notification package: the provider channel a sender hands one message to, delivery receipts, and
the outbox repository (`Store.outbox`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from monitoring.notify.models import Notification


class ChannelKind(StrEnum):
    """How a person is reached; SMS has two providers (Aliyun first, Tencent on failover)."""

    SMS = "sms"  # address: mainland mobile number, 11 digits ("13812341234")
    WECHAT_SUBSCRIBE = "wechat_subscribe"  # address: the person's mini-program openid
    WECOM_ROBOT = "wecom_robot"  # address: the robot's configured name; the client looks its webhook key up in
    # settings, so the key (a secret: whoever has it can post to the group) is never stored in the outbox
    SNS_SMS = "sns_sms"  # address: E.164 number outside the mainland ("+85291234567")


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """One message to one address over one channel, as rendered by the notify package.

    `key` is the idempotency key of (event, recipient, channel): stable across retries, so a client may pass it on
    as the provider's out-id / session context (Aliyun OutId, Tencent SessionContext) for receipts. `template` is
    the logical template name ("alarm_raised", ...); each provider client maps it to its own template code / id
    from its settings. `params` are the template variables, already within the provider's per-variable length;
    `text` is the full rendered text for channels that send free text (WeCom markdown, SNS). `page` is the
    mini-program page a subscribe message opens ("pages/enterprise/respond/respond?id=...").
    """

    key: str
    kind: ChannelKind
    address: str
    template: str
    params: Mapping[str, str]
    text: str
    page: str = ""
    attempt: int = 1  # 1 on the first try; the sender counts


class SendStatus(StrEnum):
    """What the provider said, in the terms the sender acts on."""

    ACCEPTED = "accepted"  # the provider took it (provider_id set); delivery may follow as a receipt
    RETRYABLE = "retryable"  # transient: throttled, 5xx, timeout, expired token; try later or on another provider
    PROVIDER_REJECTED = "provider_rejected"  # this provider cannot send it (config, balance, template): fail over
    PERMANENT = "permanent"  # no provider can: invalid number, user not subscribed / refused; do not retry


@dataclass(frozen=True, slots=True)
class SendResult:
    status: SendStatus
    provider: str  # "aliyun_sms", "tencent_sms", "wechat", "wecom", "sns"
    provider_id: str = ""  # Aliyun BizId, Tencent SerialNo, SNS MessageId, WeChat msgid
    code: str = ""  # the provider's code ("isv.BUSINESS_LIMIT_CONTROL", "43101", "timeout", "http_503")
    detail: str = ""  # the provider's message, no secrets, phone numbers masked
    retry_after_s: float | None = None  # the provider's hint, if it gave one

    @property
    def accepted(self) -> bool:
        return self.status is SendStatus.ACCEPTED


class Channel(Protocol):
    """One provider's client. `send` never raises for provider answers or network failures: it maps them to a
    SendResult (a timeout is RETRYABLE, code "timeout"); it raises only for programming errors. Bounded in time."""

    @property
    def provider(self) -> str: ...

    @property
    def kind(self) -> ChannelKind: ...

    def send(self, message: OutgoingMessage) -> SendResult: ...


@dataclass(frozen=True, slots=True)
class Receipt:
    """A delivery report: the provider's final word on a message it accepted."""

    provider: str
    provider_id: str
    delivered: bool
    at: datetime
    code: str = ""  # the carrier's / provider's code when not delivered
    address: str = ""
    extra: Mapping[str, str] = field(default_factory=dict)


@runtime_checkable
class ReceiptSource(Protocol):
    """A provider that reports delivery (Aliyun QuerySendDetails, Tencent PullSmsSendStatus)."""

    @property
    def provider(self) -> str: ...

    def receipts(self, accepted: Sequence[tuple[str, str, datetime]]) -> list[Receipt]:
        """Receipts for messages this provider accepted, given as (provider_id, address, accepted_at);
        those without a final word yet are left out. Never raises for provider or network failures."""
        ...


@runtime_checkable
class SendLookup(Protocol):
    """A provider that can say whether it already took a message (Aliyun QuerySendDetails by number and day,
    matched on OutId; Tencent PullSmsSendStatusByPhoneNumber, matched on SessionContext): asked before a message
    whose last attempt's outcome is unknown (a crash mid-send, a timeout) is sent again."""

    @property
    def provider(self) -> str: ...

    def find_sent(self, message: OutgoingMessage, since: datetime) -> SendResult | None:
        """ACCEPTED (provider_id where the provider reports one) if a message with `message.key` as its
        idempotency key reached the provider for `message.address` since `since`; None if none was found or the
        provider could not be asked. Never raises for provider or network failures; bounded in time."""
        ...


class OutboxRepository(Protocol):
    """Notifications, stored before they are sent. Every record is versioned: `replace` succeeds only when the
    stored version equals `notification.version` and returns it with version + 1; otherwise ConflictError."""

    def add(self, notifications: Sequence[Notification]) -> list[bool]:
        """Store each unless its key exists (idempotent: deciding twice stores nothing twice); which were new."""
        ...

    def get(self, key: str) -> Notification:
        """NotFoundError if absent."""
        ...

    def find(self, key: str) -> Notification | None: ...

    def replace(self, notification: Notification) -> Notification: ...

    def due(self, now: datetime, *, limit: int = 100) -> list[Notification]:
        """Queued ones with not_before <= now and sending ones whose lease ran out, the longest waiting first."""
        ...

    def claim(self, now: datetime, *, owner: str, lease_s: float, limit: int = 100) -> list[Notification]:
        """Take due notifications for `owner` until now + lease_s (status sending); a lost race skips the entry,
        so two senders never hold the same notification."""
        ...

    def awaiting_receipts(self, *, limit: int = 200) -> list[Notification]:
        """Sent notifications whose provider's delivery report is still due, the oldest first."""
        ...

    def for_alarm(self, alarm_id: str) -> list[Notification]:
        """Every notification about one alarm, oldest first (the alarm detail's "who was told")."""
        ...

    def recent(
        self,
        since: datetime,
        until: datetime,
        *,
        before: str | None = None,
        limit: int = 50,
        accept: Callable[[Notification], bool] = ...,
    ) -> tuple[list[Notification], str | None]:
        """Notifications decided in [since, until], newest first, kept by `accept`; at most `limit`, with the
        opaque cursor to pass as `before` for the next page (None at the end). The bureau's 通知记录."""
        ...

    def sent_times(self, address: str, since: datetime) -> list[datetime]:
        """When messages to `address` were handed to a provider since `since` (per-number limits)."""
        ...

    def record_sent(self, address: str, at: datetime) -> None:
        """Count one message to `address` at `at` (kept for a day)."""
        ...

    def undeliverable(self) -> dict[str, dict[str, str]]:
        """Recipient id → what their last message's permanent failure was (name, channel, code, at)."""
        ...

    def mark_undeliverable(self, recipient_id: str, info: Mapping[str, str] | None) -> None:
        """Record a recipient's permanent failure, or (None) clear it once a message reached them."""
        ...

    def subscription_grants(self, openid: str) -> dict[str, int]:
        """Subscribe-message template id → messages the person still allows (each accept in
        `wx.requestSubscribeMessage` allows one); templates with none are left out."""
        ...

    def change_subscription_grants(self, openid: str, changes: Mapping[str, int | None]) -> dict[str, int]:
        """Add each delta (+1 accepted, -1 used) to the template's count, kept within 0..GRANT_MAX; None sets it to
        0 (the person turned the template off). Returns the counts after."""
        ...
