"""Benchmark: the AWS listener's CPU per login and per frame at the live rate (DynamoDB Local, moto Kinesis).

More: docs/deploy.md, "Scaling to a province" (the listener's task size).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import boto3
import uvloop

import hj212
from bench._listener import cpu_seconds, free_port, metrics, rss_kib, start_listener, stop
from bench.ingest_idle_memory import raise_fd_limit
from hj212.china_time import CHINA
from monitoring.registry.terminal import hash_password
from monitoring.storage.ports import Store
from tests.contract.storage import builders as b
from tests.support import dynamodb_local
from tests.support.dynamodb_tables import fresh_backend
from tests.support.moto_server import moto_server

REGION = "cn-north-1"
STREAM = "frames"
PW = "123456"
CODES = ("Ua", "Ub", "Uc", "Ia", "Ib", "Ic", "P", "Q", "PF", "EP")


def bench_mn(i: int) -> str:
    return f"0200{i:020d}"


def frame(mn: str, gen: hj212.QnGenerator) -> bytes:
    """A minute upload of two channels' per-phase quantities (≈ 600 bytes), stamped with the wall time."""
    now = datetime.now(CHINA).replace(tzinfo=None)
    cp: dict[str, object] = {"DataTime": hj212.format_time(now.replace(second=0, microsecond=0))}
    for channel in ("01", "02"):
        for i, code in enumerate(CODES):
            cp[f"{code}_{channel}"] = {"Rtd": f"{100 + i}.{channel}", "Flag": "N"}
    return hj212.build_frame(st="32", cn="2011", mn=mn, pw=PW, qn=gen.next(datetime.now(CHINA)), ack=True, cp=cp)


class Fleet:
    """`n` terminals on their own connections: a login each (first frame, acknowledged), then a frame every
    `period` seconds at evenly spread offsets, each waiting for its acknowledgement."""

    def __init__(self, port: int, n: int, period: float) -> None:
        self.port, self.n, self.period = port, n, period
        self.conns: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.acked = 0
        self.unacked = 0
        self.gen = hj212.QnGenerator()

    async def _send(self, i: int) -> None:
        reader, writer = self.conns[i]
        writer.write(frame(bench_mn(i), self.gen))
        try:
            await asyncio.wait_for(reader.readuntil(b"\r\n"), 60)
            self.acked += 1
        except (TimeoutError, asyncio.IncompleteReadError):
            self.unacked += 1

    async def login(self, at_once: int) -> None:
        for start in range(0, self.n, at_once):
            batch = range(start, min(self.n, start + at_once))
            self.conns += await asyncio.gather(*(asyncio.open_connection("127.0.0.1", self.port) for _ in batch))
            await asyncio.gather(*(self._send(i) for i in batch))

    async def live(self, seconds: float) -> None:
        t0 = time.monotonic()

        async def one(i: int) -> None:
            at = t0 + self.period * i / self.n
            while at < t0 + seconds:
                await asyncio.sleep(max(0.0, at - time.monotonic()))
                await self._send(i)
                at += self.period

        await asyncio.gather(*(one(i) for i in range(self.n)))

    def close(self) -> None:
        for _, writer in self.conns:
            writer.close()


async def run(
    port: int, pid: int, n: int, period: float, seconds: float, idle: float, at_once: int
) -> dict[str, float]:
    fleet = Fleet(port, n, period)
    cpu0, t0 = cpu_seconds(pid), time.monotonic()
    await fleet.login(at_once)
    login_cpu, login_s = cpu_seconds(pid) - cpu0, time.monotonic() - t0
    logged_in = fleet.acked
    await asyncio.sleep(2.0)  # the logins' leases and lookups settle
    cpu0 = cpu_seconds(pid)
    await asyncio.sleep(idle)
    idle_cpu = cpu_seconds(pid) - cpu0
    acked0, cpu0, t0 = fleet.acked, cpu_seconds(pid), time.monotonic()
    await fleet.live(seconds)
    live_cpu, live_s, frames = cpu_seconds(pid) - cpu0, time.monotonic() - t0, fleet.acked - acked0
    rss = rss_kib(pid)
    fleet.close()
    return {
        "terminals": n,
        "logins_acked": logged_in,
        "login_seconds": login_s,
        "logins_unacked": n - logged_in,
        "login_cpu_ms_each": 1000 * login_cpu / max(1, logged_in),
        "idle_cpu_share": idle_cpu / idle,
        "live_frames": frames,
        "live_seconds": live_s,
        "live_cpu_share": live_cpu / live_s,
        "live_cpu_s_per_1000_frames": 1000 * live_cpu / max(1, frames),
        "unacked": fleet.unacked,
        "rss_mib": rss / 1024,
    }


def _seed(store: Store, n: int) -> None:
    b.seed_jurisdictions(store.registry)
    digest = hash_password(PW)  # the deployed cost (scrypt n = 2^14); one digest shared, verified once per MN
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: store.registry.put_terminal(b.terminal(bench_mn(i), password_hash=digest)), range(n)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--terminals", type=int, default=1000)
    ap.add_argument("--frames-per-minute", type=float, default=3.0, help="per terminal (a minute upload: ≈ 3)")
    ap.add_argument("--seconds", type=float, default=60.0, help="the live phase")
    ap.add_argument("--idle", type=float, default=10.0, help="connected, no frames: the per-session background")
    ap.add_argument("--logins-at-once", type=int, default=50, help="terminals logging in together")
    ap.add_argument("--batch-linger", type=float, default=0.002, help="the listener's batch_linger (s)")
    ap.add_argument("--log", default="/tmp/listener_aws_cpu.log", help="the listener's log")
    ap.add_argument("--lookup-rate", type=float, default=1000.0, help="the listener's directory_lookup_rate")
    args = ap.parse_args()
    if not (1 <= args.terminals <= 18_000 and 0.1 <= args.frames_per_minute <= 60 and 5 <= args.seconds <= 120):
        ap.error("bounds: terminals 1..18000, frames-per-minute 0.1..60, seconds 5..120")
    if raise_fd_limit(args.terminals + 1000) < args.terminals + 500:
        raise SystemExit("file-descriptor limit too low")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ[name] = "bench"
    os.environ["AWS_DEFAULT_REGION"] = REGION
    local = dynamodb_local.start()
    try:
        with (
            fresh_backend(local.url, "lcpu", region=REGION, env_credentials=True) as backend,
            moto_server() as kinesis,
        ):
            _seed(backend.store(), args.terminals)
            boto3.client("kinesis", region_name=REGION, endpoint_url=kinesis).create_stream(
                StreamName=STREAM, ShardCount=1
            )
            os.environ["AWS_ENDPOINT_URL_KINESIS"] = kinesis
            proc, port, health = start_listener(
                ["--sink", f"kinesis:{STREAM}", "--health-port", str(free_port()),
                 "--store-backend", "dynamodb", "--dynamodb-endpoint", local.url, "--dynamodb-region", REGION,
                 "--dynamodb-table-prefix", backend.table_prefix, "--counties", "",
                 "--directory-lookup-rate", str(args.lookup_rate), "--batch-linger", str(args.batch_linger),
                 "--max-connections", str(args.terminals + 1000), "--conn-burst", "1000000",
                 "--conn-rate", "1000000"],
                Path(args.log),
            )  # fmt: skip
            try:
                result = uvloop.run(
                    run(port, proc.pid, args.terminals, 60.0 / args.frames_per_minute, args.seconds, args.idle,
                        args.logins_at_once)
                )  # fmt: skip
                server = metrics(health)
            finally:
                stop(proc)
    finally:
        local.stop()
    r = result
    print(f"AWS listener (DynamoDB Local registry, counties '', moto Kinesis): {args.terminals} terminals")
    print(f"logins: {r['logins_acked']:.0f} acknowledged ({r['logins_unacked']:.0f} not within 60 s) in "
          f"{r['login_seconds']:.1f} s, {args.logins_at_once} at once, {r['login_cpu_ms_each']:.2f} ms CPU each "
          "(scrypt verify, registry GetItem, lease claim, first frame to Kinesis)")  # fmt: skip
    print(f"connected, idle: {100 * r['idle_cpu_share']:.1f} % of one core")
    print(f"live at {args.frames_per_minute:g} frames/min per terminal, batch_linger {args.batch_linger:g} s: "
          f"{r['live_frames']:.0f} frames in "
          f"{r['live_seconds']:.0f} s, {100 * r['live_cpu_share']:.1f} % of one core, "
          f"{r['live_cpu_s_per_1000_frames']:.3f} CPU s per 1,000 frames; RSS {r['rss_mib']:.0f} MiB; "
          f"unacknowledged {r['unacked']:.0f}")  # fmt: skip
    print(f"listener: acks={server.get('acks')} durable={server.get('frames_durable')} "
          f"batches={server.get('sink_batches')}")  # fmt: skip
    print(
        json.dumps(
            {
                "bench": "listener_aws_cpu",
                "frames_per_minute": args.frames_per_minute,
                "batch_linger": args.batch_linger,
                **r,
            }
        )
    )


if __name__ == "__main__":
    main()
