"""The channels each kind is sent through, in failover order (SMS: Aliyun first, then Tencent), from settings
(given, or named by the environment: JSON text, a file, a Secrets Manager secret); the receipt sources."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from pydantic import ValidationError

from monitoring.notify.channels.aliyun_sms import AliyunSms
from monitoring.notify.channels.settings import ChannelSettings
from monitoring.notify.channels.tencent_sms import TencentSms
from monitoring.notify.channels.wechat_subscribe import WechatSubscribe
from monitoring.notify.channels.wecom_robot import WecomRobot
from monitoring.notify.ports import Channel, ChannelKind, ReceiptSource

log = logging.getLogger("monitoring.notify.channels")


def build_channels(settings: ChannelSettings, extra: Sequence[Channel] = ()) -> dict[ChannelKind, list[Channel]]:
    """Every configured provider under its kind; `extra` (e.g. SNS, wired where boto3 may be imported) appended."""
    channels: dict[ChannelKind, list[Channel]] = {}
    found: list[Channel] = []
    if settings.aliyun_sms is not None:
        found.append(AliyunSms(settings.aliyun_sms))
    if settings.tencent_sms is not None:
        found.append(TencentSms(settings.tencent_sms))
    if settings.wechat is not None:
        found.append(WechatSubscribe(settings.wechat))
    if settings.wecom is not None:
        found.append(WecomRobot(settings.wecom))
    for channel in (*found, *extra):
        channels.setdefault(channel.kind, []).append(channel)
    return channels


def receipt_sources(channels: dict[ChannelKind, list[Channel]]) -> list[ReceiptSource]:
    """The channels that can report delivery (Aliyun's QuerySendDetails, Tencent's PullSmsSendStatus)."""
    return [c for cs in channels.values() for c in cs if isinstance(c, AliyunSms | TencentSms)]


ENV_JSON = "NOTIFY_CHANNELS_JSON"  # the settings as JSON text (the local runner; tests)
ENV_FILE = "NOTIFY_CHANNELS_FILE"  # a JSON file of settings (python -m local.provider_stubs writes one)
ENV_SECRET = "NOTIFY_CHANNELS_SECRET"  # a Secrets Manager id / ARN or "ssm:<name>" whose value is the JSON (AWS)


def settings_from_env(
    env: Mapping[str, str], *, read_secret: Callable[[str], str] | None = None
) -> ChannelSettings | None:
    """The channel settings named by the environment, None when none are; a ValidationError when malformed."""
    if env.get(ENV_JSON):
        return ChannelSettings.model_validate_json(env[ENV_JSON])
    if env.get(ENV_FILE):
        return ChannelSettings.model_validate_json(Path(env[ENV_FILE]).read_text(encoding="utf-8"))
    if env.get(ENV_SECRET):
        if read_secret is None:
            raise ValueError(f"{ENV_SECRET} is set but this process cannot read secrets")
        return ChannelSettings.model_validate_json(read_secret(env[ENV_SECRET]))
    return None


class ChannelSettingsUnusable(Exception):
    """The named settings could not be read or are malformed; the message names the cause, never a value."""


def _masked(exc: Exception) -> str:
    """The cause without the input: pydantic's messages may quote a secret, botocore's the secret's ARN only."""
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'JSON'}: {e['type']}" for e in exc.errors()[:5])
    code = getattr(exc, "response", {}).get("Error", {}).get("Code") if hasattr(exc, "response") else None
    return f"{type(exc).__name__}{f' {code}' if code else ''}"


def channels_from_env(
    env: Mapping[str, str],
    *,
    read_secret: Callable[[str], str] | None = None,
    extra: Sequence[Channel] = (),
    wechat_templates: Mapping[str, str] | None = None,
) -> dict[ChannelKind, list[Channel]]:
    """The channels of the settings the environment names (none configured: only `extra`, and a warning);
    `wechat_templates` replaces the WeChat section's map. Unreadable or malformed settings raise
    ChannelSettingsUnusable (masked) so the caller can send nothing rather than crash."""
    try:
        settings = settings_from_env(env, read_secret=read_secret)
    except Exception as exc:  # a missing / forbidden secret, bad JSON, a bad field: all mean "cannot send yet"
        raise ChannelSettingsUnusable(_masked(exc)) from None
    if settings is None:
        log.warning(
            "no notification channel settings (%s, %s or %s): messages stay queued", ENV_JSON, ENV_FILE, ENV_SECRET
        )
        settings = ChannelSettings()
    if wechat_templates is not None and settings.wechat is not None:
        settings = settings.model_copy(
            update={"wechat": settings.wechat.model_copy(update={"templates": dict(wechat_templates)})}
        )
    return build_channels(settings, extra)
