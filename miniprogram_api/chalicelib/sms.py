"""Sending SMS login codes: a small port. `ProviderSmsSender` sends through the notify SMS providers (Aliyun, then
Tencent on failover, template `login_code`); `LogSmsSender` writes the code to the log (local mode without
providers); without a sender the route answers 503."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Protocol

from monitoring.notify.ports import Channel, ChannelKind, OutgoingMessage, SendResult, SendStatus
from monitoring.notify.templates import TemplateBook

log = logging.getLogger("miniprogram_api.sms")


class SmsCodeSender(Protocol):
    def send_login_code(self, phone: str, code: str) -> None:
        """Deliver `code` to `phone`; raise on failure (the person may ask again after the resend interval)."""
        ...


class LogSmsSender:
    """For one machine: the code goes to the console log, where the operator reads it out."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []  # (phone, code), newest last; the demo and the tests read it

    def send_login_code(self, phone: str, code: str) -> None:
        self.sent.append((phone, code))
        del self.sent[:-100]
        log.warning("短信验证码 %s → %s（本地模式：未真正发送短信）", code, mask_phone(phone))


LOGIN_TEMPLATE = "login_code"  # data/notify_templates.json: ${code}, ${minutes}


class SmsSendError(Exception):
    """No provider took the code; `throttled` when the last answers were flow control (ask again later)."""

    def __init__(self, results: Sequence[SendResult]) -> None:
        super().__init__("; ".join(f"{r.provider}: {r.status} {r.code}" for r in results) or "no SMS provider")
        self.results = list(results)

    @property
    def throttled(self) -> bool:
        return bool(self.results) and all(_throttled(r) for r in self.results)

    @property
    def retry_after_s(self) -> int:
        hints = [r.retry_after_s for r in self.results if r.retry_after_s is not None]
        return max(1, int(min(hints))) if hints else 60


def _throttled(r: SendResult) -> bool:
    # Aliyun isv.BUSINESS_LIMIT_CONTROL and Tencent LimitExceeded.* carry a retry hint; Aliyun API flow control not.
    return r.status is SendStatus.RETRYABLE and (r.retry_after_s is not None or r.code.startswith("Throttling"))


class ProviderSmsSender:
    """Renders the `login_code` template and hands it to each SMS channel in failover order until one accepts;
    a permanent refusal (an invalid number) stops at once. Raises SmsSendError when none accepted."""

    def __init__(self, channels: Sequence[Channel], templates: TemplateBook, ttl: timedelta) -> None:
        if not channels:
            raise ValueError("ProviderSmsSender needs at least one SMS channel")
        if any(c.kind is not ChannelKind.SMS for c in channels):
            raise ValueError("ProviderSmsSender takes mainland SMS channels only")
        templates.get(LOGIN_TEMPLATE)  # a missing template is a configuration error: fail at start, not per code
        self.channels = list(channels)
        self.templates = templates
        self.minutes = str(max(1, int(ttl.total_seconds() // 60)))

    def send_login_code(self, phone: str, code: str) -> None:
        rendered = self.templates.render(LOGIN_TEMPLATE, ChannelKind.SMS, {"code": code, "minutes": self.minutes})
        key = f"login-code-{uuid.uuid4().hex}"  # each code is its own message: never deduplicated by a provider
        results: list[SendResult] = []
        for channel in self.channels:
            message = OutgoingMessage(
                key=key, kind=ChannelKind.SMS, address=phone, template=LOGIN_TEMPLATE,
                params=rendered.params, text=rendered.text,
            )  # fmt: skip
            result = channel.send(message)
            if result.accepted:
                log.info("login code to %s sent by %s", mask_phone(phone), result.provider)
                return
            results.append(result)
            if result.status is SendStatus.PERMANENT:
                break
        log.warning("login code to %s not sent: %s", mask_phone(phone), SmsSendError(results))
        raise SmsSendError(results)


def mask_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:] if len(phone) == 11 else "***"
