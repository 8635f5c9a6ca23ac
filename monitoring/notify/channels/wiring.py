"""The channels each kind is sent through, in failover order (SMS: Aliyun first, then Tencent), from settings;
and `ReceiptSource`s for the providers that report delivery."""

from __future__ import annotations

from collections.abc import Sequence

from monitoring.notify.channels.aliyun_sms import AliyunSms
from monitoring.notify.channels.settings import ChannelSettings
from monitoring.notify.channels.tencent_sms import TencentSms
from monitoring.notify.channels.wechat_subscribe import WechatSubscribe
from monitoring.notify.channels.wecom_robot import WecomRobot
from monitoring.notify.ports import Channel, ChannelKind, ReceiptSource


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
    """The channels that can report delivery (Aliyun's QuerySendDetails)."""
    return [c for cs in channels.values() for c in cs if isinstance(c, AliyunSms)]
