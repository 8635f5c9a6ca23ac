"""Provider clients behind `monitoring.notify.ports.Channel`: Aliyun and Tencent SMS (their SDKs), WeChat
subscribe messages and the WeCom group robot (their HTTP APIs); each maps every answer to a SendResult."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from monitoring.notify.ports import Channel, ChannelKind


def channels_from_env(
    env: Mapping[str, str],
    *,
    read_secret: Callable[[str], str] | None = None,
    extra: Sequence[Channel] = (),
    wechat_templates: Mapping[str, str] | None = None,
) -> dict[ChannelKind, list[Channel]]:
    """See `wiring.channels_from_env`; imported on first use (the provider SDKs are heavy imports)."""
    from monitoring.notify.channels.wiring import channels_from_env as build

    return build(env, read_secret=read_secret, extra=extra, wechat_templates=wechat_templates)
