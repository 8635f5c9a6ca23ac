"""What the stubs accepted, as people watching read it: one console line per message, JSON lines for a record
file, a one-line tally for the demo's summary; addresses and phone numbers masked in all of them."""

from __future__ import annotations

import dataclasses
import json
import os
import threading
from collections import Counter
from pathlib import Path

from local.provider_stubs.base import Received
from local.provider_stubs.fleet import ProviderStubs
from monitoring.notify.masking import mask, mask_phones

PROVIDER_NAMES = {
    "aliyun_sms": "阿里云短信",
    "tencent_sms": "腾讯云短信",
    "wechat": "小程序订阅消息",
    "wecom": "企业微信群",
}


def console_line(r: Received) -> str:
    text = mask_phones(r.text).replace("\n", " ⏎ ")
    return f"[{r.provider}] → {mask(r.address)}: {text}"


def record_line(r: Received) -> str:
    data = dataclasses.asdict(r)
    data["address"] = mask(r.address)
    data["text"] = mask_phones(r.text)
    return json.dumps(data, ensure_ascii=False)


def tally(stubs: ProviderStubs) -> str:
    """ "通知（模拟服务商）: 阿里云短信 3, …; 最新 …" for the demo's console."""
    received = stubs.received()
    if not received:
        return "  通知（模拟服务商）: 尚无"
    counts = Counter(r.provider for r in received)
    parts = ", ".join(f"{PROVIDER_NAMES.get(p, p)} {n}" for p, n in sorted(counts.items()))
    return f"  通知（模拟服务商）: {parts}；最新 {console_line(received[-1])[:120]}"


def write_settings(stubs: ProviderStubs, path: Path) -> None:
    """The channel settings for NOTIFY_CHANNELS_FILE, owner-readable only, replaced whole."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(stubs.settings_json(), encoding="utf-8")
    os.chmod(tmp, 0o600)
    tmp.replace(path)


def record_to(stubs: ProviderStubs, path: Path) -> None:
    """Append each accepted message to `path` as a JSON line."""
    lock = threading.Lock()

    def append(r: Received) -> None:
        with lock, path.open("a", encoding="utf-8") as f:
            f.write(record_line(r) + "\n")

    stubs.listen(append)
