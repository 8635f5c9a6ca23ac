"""`python -m local.provider_stubs`: run every provider stub on 127.0.0.1 until SIGINT/SIGTERM, write the channel
settings that point at them (NOTIFY_CHANNELS_FILE), and print and record what would have been sent."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from typing import TextIO

from local.provider_stubs.base import Received
from local.provider_stubs.fleet import ProviderStubs
from local.provider_stubs.records import console_line, record_to, write_settings


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
        if not args.quiet:
            lock = threading.Lock()

            def tell(r: Received) -> None:
                with lock:
                    print(console_line(r), file=out, flush=True)

            stubs.listen(tell)
        if args.record:
            record_to(stubs, args.record)
        write_settings(stubs, args.settings_out)  # last: whoever waits for the file finds the stubs up
        print(
            f"模拟服务已启动：{', '.join(s.base_url for s in stubs.all)}；配置写入 {args.settings_out}",
            file=out,
            flush=True,
        )
        stop.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
