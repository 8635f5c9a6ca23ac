"""All provider stubs at once, configured from the project's templates (data/notify_templates.json), with the
`ChannelSettings` that point the real clients at them: what the tests and `make demo` start."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any

from local.provider_stubs.aliyun_sms import AliyunSmsStub
from local.provider_stubs.base import Received, StubServer
from local.provider_stubs.tencent_sms import TencentSmsStub
from local.provider_stubs.wechat import WechatStub
from local.provider_stubs.wecom import WecomStub
from monitoring.notify.channels.settings import ChannelSettings
from monitoring.notify.templates import VAR, TemplateBook

# Loopback credentials: the stubs check signatures with them; they open nothing anywhere else.
_AK, _AK_SECRET = "LTAI-stub-key", "stub-secret-aliyun"
_TC_ID, _TC_KEY, _TC_APP = "AKID-stub", "stub-secret-tencent", "1400000001"
_WX_APP, _WX_SECRET = "wx-stub-app", "stub-secret-wechat"


def _aliyun_code(i: int) -> str:
    return f"SMS_9{i:08d}"


def _tencent_id(i: int) -> str:
    return str(2_000_000 + i)


def _numbered(text: str, order: list[str]) -> str:
    """A ${name} template in Tencent's {1} {2} form, numbered in `order`."""
    return VAR.sub(lambda m: "{" + str(order.index(m.group(1)) + 1) + "}", text)


class ProviderStubs:
    """Starts one stub per provider on 127.0.0.1 (free ports). `robots`: WeCom robot names of the routing table."""

    def __init__(
        self,
        templates: TemplateBook | None = None,
        *,
        robots: Iterable[str] = ("bureau",),
        aliyun_limits: tuple[int, int, int] | None = None,
        subscribed: dict[str, Iterable[str]] | None = None,
    ) -> None:
        book = templates or TemplateBook.load()
        names = sorted(book.templates)
        sign = book.sms_sign or "如皋市生态环境局"
        self.robots = {name: f"stub-key-{name}" for name in robots}
        aliyun_texts = {_aliyun_code(i): book.templates[n].sms for i, n in enumerate(names)}
        tencent_texts: dict[str, str] = {}
        tencent_templates: dict[str, dict[str, Any]] = {}
        for i, n in enumerate(names):
            order = list(dict.fromkeys(book.templates[n].sms_vars))
            tencent_texts[_tencent_id(i)] = _numbered(book.templates[n].sms, order)
            tencent_templates[n] = {"id": _tencent_id(i), "params": order}
        wechat_ids = {n: f"stub-tmpl-{re.sub('[^a-z0-9]', '-', n)}" for n in names}
        self.aliyun = AliyunSmsStub(
            access_key_id=_AK,
            access_key_secret=_AK_SECRET,
            sign_name=sign,
            templates=aliyun_texts,
            limits=aliyun_limits,
        )
        self.tencent = TencentSmsStub(
            secret_id=_TC_ID, secret_key=_TC_KEY, sdk_app_id=_TC_APP, sign_name=sign, templates=tencent_texts
        )
        self.wechat = WechatStub(
            app_id=_WX_APP,
            app_secret=_WX_SECRET,
            templates={wechat_ids[n]: book.templates[n].wechat_data.keys() for n in names},
            subscribed=None if subscribed is None else {o: [wechat_ids[t] for t in ts] for o, ts in subscribed.items()},
        )
        self.wecom = WecomStub(keys=self.robots.values())
        settings: dict[str, Any] = {
            "aliyun_sms": {
                "access_key_id": _AK,
                "access_key_secret": _AK_SECRET,
                "sign_name": sign,
                "templates": {n: _aliyun_code(i) for i, n in enumerate(names)},
                "endpoint": self.aliyun.endpoint,
                "protocol": "http",
                "read_timeout_s": 2.0,
            },
            "tencent_sms": {
                "secret_id": _TC_ID,
                "secret_key": _TC_KEY,
                "sdk_app_id": _TC_APP,
                "sign_name": sign,
                "templates": tencent_templates,
                "endpoint": self.tencent.endpoint,
                "protocol": "http",
                "timeout_s": 2,
            },
            "wechat": {
                "app_id": _WX_APP,
                "app_secret": _WX_SECRET,
                "templates": wechat_ids,
                "base_url": self.wechat.base_url,
                "timeout_s": 2.0,
            },
            "wecom": {"robots": self.robots, "base_url": self.wecom.base_url, "timeout_s": 2.0},
        }
        self.settings_data = settings  # with the loopback secrets in clear: for NOTIFY_CHANNELS_JSON / _FILE
        self.settings = ChannelSettings.from_mapping(settings)

    @property
    def all(self) -> tuple[StubServer, ...]:
        return (self.aliyun, self.tencent, self.wechat, self.wecom)

    def settings_json(self) -> str:
        return json.dumps(self.settings_data, ensure_ascii=False)

    def listen(self, listener: Callable[[Received], None]) -> None:
        for stub in self.all:
            stub.listeners.append(listener)

    def received(self) -> list[Received]:
        """What would have been sent, by every provider, oldest first."""
        return sorted((r for s in self.all for r in s.accepted()), key=lambda r: r.at)

    def close(self) -> None:
        for stub in self.all:
            stub.close()

    def __enter__(self) -> ProviderStubs:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
