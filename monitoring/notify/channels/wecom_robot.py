"""WeCom (企业微信) group robot: markdown to `cgi-bin/webhook/send?key=`, the key looked up by the robot's name in
settings (it is a secret: never stored in the outbox, never logged). 45009 (20 a minute per robot) retries."""

from __future__ import annotations

import logging

from monitoring.notify.channels.http_json import call
from monitoring.notify.channels.outcomes import detail, network_failure
from monitoring.notify.channels.settings import WecomSettings
from monitoring.notify.ports import ChannelKind, OutgoingMessage, SendResult, SendStatus

log = logging.getLogger("monitoring.notify.wecom")
PROVIDER = "wecom"
MAX_BYTES = 4096  # markdown content
RETRYABLE = frozenset({-1, 45009})


def clip(text: str, limit: int = MAX_BYTES) -> str:
    """`text` within `limit` UTF-8 bytes, on a character boundary, "…" marking a cut."""
    raw = text.encode("utf-8")
    if len(raw) <= limit:
        return text
    return raw[: limit - 3].decode("utf-8", errors="ignore") + "…"


class WecomRobot:
    """`Channel` for ChannelKind.WECOM_ROBOT; the message's address is the robot's configured name."""

    def __init__(self, settings: WecomSettings) -> None:
        self.settings = settings

    @property
    def provider(self) -> str:
        return PROVIDER

    @property
    def kind(self) -> ChannelKind:
        return ChannelKind.WECOM_ROBOT

    def send(self, message: OutgoingMessage) -> SendResult:
        key = self.settings.robots.get(message.address)
        if key is None:
            log.error("wecom: no robot named %r in the settings", message.address)
            return SendResult(SendStatus.PROVIDER_REJECTED, PROVIDER, code="robot_not_configured")
        payload = {"msgtype": "markdown", "markdown": {"content": clip(message.text)}}
        url = f"{self.settings.base_url}/cgi-bin/webhook/send?key={key.get_secret_value()}"
        try:
            answer = call(url, payload=payload, timeout_s=self.settings.timeout_s)
        except OSError as exc:
            return network_failure(PROVIDER, exc)
        if answer.status >= 500:
            return SendResult(SendStatus.RETRYABLE, PROVIDER, code=f"http_{answer.status}")
        code = answer.errcode()
        body = answer.body if isinstance(answer.body, dict) else {}
        if code == 0:
            return SendResult(SendStatus.ACCEPTED, PROVIDER, provider_id=f"wecom:{message.key}")
        errmsg = detail(body.get("errmsg", ""))
        if code in RETRYABLE or code is None:
            wait = 60.0 if code == 45009 else None
            return SendResult(SendStatus.RETRYABLE, PROVIDER, code=str(code), detail=errmsg, retry_after_s=wait)
        log.error("wecom robot %r refused the message: %s %s", message.address, code, errmsg)
        if code == 93000:  # the key is wrong: configuration
            return SendResult(SendStatus.PROVIDER_REJECTED, PROVIDER, code=str(code), detail=errmsg)
        return SendResult(SendStatus.PERMANENT, PROVIDER, code=str(code), detail=errmsg)
