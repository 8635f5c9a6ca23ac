"""Sending SMS login codes: a small port; the real providers (Aliyun, Tencent) come with the notifications issue.

`LogSmsSender` writes the code to the log (local mode and the demo); without a sender the route answers 503.
"""

from __future__ import annotations

import logging
from typing import Protocol

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


def mask_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:] if len(phone) == 11 else "***"
