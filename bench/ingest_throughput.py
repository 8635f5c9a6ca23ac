"""Acknowledged frames per second over loopback with N concurrent terminals and the jsonl sink.

More: docs/iot_ingest.md, "Module notes".
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import statistics
import tempfile
import time
from collections import deque
from datetime import datetime, timedelta
from pathlib import Path

import uvloop

import hj212
from bench._listener import cpu_seconds, free_port, metrics, start_listener, stop
from hj212.china_time import CHINA

PW = "123456"


def bench_mn(t: int) -> str:
    return f"BENCH{t:08d}"


def build_frames(mn: str, count: int) -> list[bytes]:
    """Realistic 2011 uploads (per-phase quantities, ~300 bytes), each with its own QN and DataTime."""
    base = datetime(2026, 11, 28, 18, 0)
    gen = hj212.QnGenerator()
    out = []
    for i in range(count):
        when = base + timedelta(seconds=i)
        cp: dict[str, object] = {"DataTime": hj212.format_time(when)}
        for code, value in (
            ("Ua", "231.2"),
            ("Ub", "230.8"),
            ("Uc", "229.9"),
            ("Ia", "12.31"),
            ("Ib", "12.02"),
            ("Ic", "11.87"),
            ("P", "8.123"),
            ("Q", "1.020"),
            ("PF", "0.98"),
            ("EP", "12345.67"),
        ):
            cp[code] = {"Rtd": value, "Flag": "N"}
        qn = gen.next(datetime.now(CHINA))  # terminal wall time (UTC+8): a correct clock
        out.append(hj212.build_frame(st="32", cn="2011", mn=mn, pw=PW, qn=qn, ack=True, cp=cp))
    return out


class Terminal(asyncio.Protocol):
    def __init__(self, frames: list[bytes], window: int, latencies: list[float], state: dict[str, bool]) -> None:
        self.frames, self.window, self.latencies, self.state = frames, window, latencies, state
        self.sent: deque[float] = deque()
        self.i = 0
        self.acked = 0
        self.transport: asyncio.Transport | None = None
        self.tail = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def start(self) -> None:
        for _ in range(self.window):
            self.send()

    def send(self) -> None:
        assert self.transport is not None
        self.transport.write(self.frames[self.i % len(self.frames)])
        self.i += 1
        self.sent.append(time.perf_counter())

    def data_received(self, data: bytes) -> None:
        # Every reply ends with CR LF; counting them is enough (the listener's replies are checked by the tests).
        data = self.tail + data
        n = data.count(b"\r\n")
        self.tail = data[data.rfind(b"\r\n") + 2 :] if n else data
        now = time.perf_counter()
        for _ in range(n):
            if self.sent:
                self.latencies.append(now - self.sent.popleft())
            self.acked += 1
            if self.state["running"]:
                self.send()


async def drive(port: int, terminals: int, window: int, seconds: float, warmup: float, pid: int) -> dict[str, float]:
    loop = asyncio.get_running_loop()
    latencies: list[float] = []
    state = {"running": True}
    protos: list[Terminal] = []
    for t in range(terminals):
        frames = build_frames(bench_mn(t), 20)
        factory = functools.partial(Terminal, frames, window, latencies, state)
        _, proto = await loop.create_connection(factory, "127.0.0.1", port)
        protos.append(proto)
    for p in protos:
        p.start()
    await asyncio.sleep(warmup)
    latencies.clear()
    acked0 = sum(p.acked for p in protos)
    t0, cpu0, own0 = time.perf_counter(), cpu_seconds(pid), time.process_time()
    await asyncio.sleep(seconds)
    acked1 = sum(p.acked for p in protos)
    elapsed, cpu, own = time.perf_counter() - t0, cpu_seconds(pid) - cpu0, time.process_time() - own0
    lat = sorted(latencies)
    state["running"] = False
    await asyncio.sleep(1.0)
    for p in protos:
        assert p.transport is not None
        p.transport.close()
    return {
        "acked_frames_per_s": (acked1 - acked0) / elapsed,
        "acked": acked1 - acked0,
        "seconds": elapsed,
        "p50_ms": 1000 * lat[len(lat) // 2] if lat else float("nan"),
        "p99_ms": 1000 * lat[int(len(lat) * 0.99)] if lat else float("nan"),
        "mean_ms": 1000 * statistics.fmean(lat) if lat else float("nan"),
        "listener_cpu_share": cpu / elapsed,
        "client_cpu_share": own / elapsed,
        "listener_cpu_us_per_frame": 1e6 * cpu / max(1, acked1 - acked0),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--terminals", type=int, default=200)
    ap.add_argument("--window", type=int, default=1, help="frames in flight per terminal")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--warmup", type=float, default=2.0)
    ap.add_argument("--listener-args", default="", help="extra options for the listener, e.g. '--sink-concurrency 2'")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sink = Path(tmp) / "frames.jsonl"
        # Registered terminals: unregistered ones behind one address would spend its budget within the warm-up.
        directory = Path(tmp) / "terminals.json"
        directory.write_text(json.dumps({bench_mn(t): {"pw": PW} for t in range(args.terminals)}), encoding="utf-8")
        proc, port, health = start_listener(
            [
                "--sink",
                f"jsonl:{sink}",
                "--terminals-file",
                str(directory),
                "--health-port",
                str(free_port()),
                "--conn-burst",
                "100000",
                *args.listener_args.split(),
            ],
            Path(tmp) / "listener.log",
        )
        try:
            result = uvloop.run(drive(port, args.terminals, args.window, args.seconds, args.warmup, proc.pid))
            server = metrics(health)
        finally:
            stop(proc)
        lines = sum(1 for _ in sink.open("rb"))
    print(f"terminals={args.terminals} window={args.window} sink=jsonl (fsync per batch)")
    print(
        f"acknowledged frames/s: {result['acked_frames_per_s']:.0f}  "
        f"({result['acked']:.0f} in {result['seconds']:.1f} s)"
    )
    print(
        f"ack latency (client): p50 {result['p50_ms']:.2f} ms  p99 {result['p99_ms']:.2f} ms  "
        f"mean {result['mean_ms']:.2f} ms"
    )
    print(
        f"listener CPU: {100 * result['listener_cpu_share']:.0f}% of one core, "
        f"{result['listener_cpu_us_per_frame']:.0f} µs per acknowledged frame "
        f"(= {1e6 / result['listener_cpu_us_per_frame']:.0f} frames/s per core); "
        f"client CPU: {100 * result['client_cpu_share']:.0f}% of one core"
    )
    print(
        f"listener: acks={server.get('acks')} durable={server.get('frames_durable')} "
        f"batches={server.get('sink_batches')} errors={ {k: v for k, v in server.items() if k.startswith('errors')} }"
    )
    print(f"frames in the jsonl file: {lines}")
    print(json.dumps({"bench": "ingest_throughput", "terminals": args.terminals, "window": args.window, **result}))


if __name__ == "__main__":
    main()
