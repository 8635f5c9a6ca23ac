"""`python -m local.provider_stubs`: run every provider stub on 127.0.0.1 until SIGINT/SIGTERM, write the channel
settings that point at them (NOTIFY_CHANNELS_FILE), and print and record what would have been sent."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import signal
import sys
import threading
from pathlib import Path
from typing import TextIO

from local.provider_stubs.base import Received
from local.provider_stubs.fleet import ProviderStubs
from monitoring.notify.masking import mask, mask_phones


def console_line(r: Received) -> str:
    """One line per message for people watching the demo: provider, masked address, the text."""
    text = mask_phones(r.text).replace("\n", " ⏎ ")
    return f"[{r.provider}] → {mask(r.address)}: {text}"


def record(r: Received) -> str:
    """A JSON line of the record file (addresses masked: the file is shown on consoles and dashboards)."""
    data = dataclasses.asdict(r)
    data["address"] = mask(r.address)
    data["text"] = mask_phones(r.text)
    return json.dumps(data, ensure_ascii=False)


def main(argv: list[str] | None = None, out: TextIO = sys.stdout) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.provider_stubs", description="通知服务商模拟（仅本机）")
    parser.add_argument("--settings-out", required=True, type=Path, help="写入指向模拟服务的渠道配置（JSON）")
    parser.add_argument("--record", type=Path, help="追加记录每条“本应发出”的消息（JSON Lines）")
    parser.add_argument("--robot", action="append", default=[], help="企业微信群机器人名称（可重复）")
    parser.add_argument("--quiet", action="store_true", help="不在控制台逐条打印")
    args = parser.parse_args(argv)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    with ProviderStubs(robots=args.robot or ["bureau"]) as stubs:
        lock = threading.Lock()

        def tell(r: Received) -> None:
            with lock:
                if not args.quiet:
                    print(console_line(r), file=out, flush=True)
                if args.record:
                    with args.record.open("a", encoding="utf-8") as f:
                        f.write(record(r) + "\n")

        stubs.listen(tell)
        args.settings_out.parent.mkdir(parents=True, exist_ok=True)
        tmp = args.settings_out.with_suffix(".tmp")
        tmp.write_text(stubs.settings_json(), encoding="utf-8")
        os.chmod(tmp, 0o600)
        tmp.replace(args.settings_out)  # whoever waits for the file finds it whole
        print(
            f"模拟服务已启动：{', '.join(s.base_url for s in stubs.all)}；配置写入 {args.settings_out}",
            file=out,
            flush=True,
        )
        stop.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
