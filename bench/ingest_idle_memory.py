"""Listener memory per idle connection at 10,000 connections (RSS of the listener process, loopback).

More: docs/iot_ingest.md, "Module notes".
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import tempfile
import time
from pathlib import Path

import uvloop

import hj212
from bench._listener import free_port, metrics, rss_kib, start_listener, stop


def raise_fd_limit(need: int) -> int:
    """Soft file-descriptor limit of this process (and so of the listener it starts) raised to `need`: past the
    hard limit too where the process may (root or CAP_SYS_RESOURCE), else up to the hard limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= need:
        return soft
    if hard != resource.RLIM_INFINITY and hard < need:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (need, need))
            return need
        except (ValueError, OSError):
            pass  # not allowed: stay under the hard limit
    target = hard if hard != resource.RLIM_INFINITY else need
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(need, target), hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def idle_mn(i: int) -> str:
    return f"IDLE{i:08d}"


async def settle_rss(pid: int, seconds: float = 2.0) -> int:
    await asyncio.sleep(seconds)
    return rss_kib(pid)


async def run(port: int, pid: int, n: int) -> dict[str, float]:
    loop = asyncio.get_running_loop()
    # Warm-up: let the listener allocate its steady-state structures, then measure the baseline.
    warm = [await asyncio.open_connection("127.0.0.1", port) for _ in range(50)]
    for i, (r, w) in enumerate(warm):
        w.write(hj212.build_frame(st="32", cn="2011", mn=f"WARM{i:04d}", pw="1", qn="20261128180000000", ack=True))
        await r.read(1024)
        w.close()
    base = await settle_rss(pid)
    conns: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    t0 = time.perf_counter()
    for start in range(0, n, 500):
        batch = await asyncio.gather(
            *(asyncio.open_connection("127.0.0.1", port) for _ in range(start, min(n, start + 500)))
        )
        conns += batch
    connect_s = time.perf_counter() - t0
    connected = await settle_rss(pid)

    async def one(i: int, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> bool:
        w.write(hj212.build_frame(st="32", cn="2011", mn=idle_mn(i), pw="123456", qn="20261128180000000",
                                  ack=True, cp={"DataTime": "20261128180000", "Ia": {"Rtd": "1.0"}}))  # fmt: skip
        return bool(await asyncio.wait_for(r.read(1024), 30))

    acked = 0
    for start in range(0, n, 500):
        results = await asyncio.gather(*(one(i, *conns[i]) for i in range(start, min(n, start + 500))))
        acked += sum(results)
    with_session = await settle_rss(pid)
    for _, w in conns:
        w.close()
    await asyncio.sleep(0.5)
    _ = loop
    return {
        "connections": n,
        "acked": acked,
        "connect_seconds": connect_s,
        "rss_base_kib": base,
        "rss_connected_kib": connected,
        "rss_sessions_kib": with_session,
        "bytes_per_connection_open": (connected - base) * 1024 / n,
        "bytes_per_connection_session": (with_session - base) * 1024 / n,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--connections", type=int, default=10_000)
    args = ap.parse_args()
    limit = raise_fd_limit(args.connections + 1000)
    if limit < args.connections + 100:
        raise SystemExit(f"fd limit {limit} is too low for {args.connections} connections")
    with tempfile.TemporaryDirectory() as tmp:
        # Registered terminals: unregistered ones behind one address would spend its budget (2,000 frames an hour).
        directory = Path(tmp) / "terminals.json"
        directory.write_text(json.dumps({idle_mn(i): {"pw": "123456"} for i in range(args.connections)}))
        proc, port, health = start_listener(
            ["--sink", f"jsonl:{Path(tmp) / 'frames.jsonl'}", "--health-port", str(free_port()),
             "--terminals-file", str(directory),
             "--max-connections", str(args.connections + 1000), "--conn-burst", "1000000", "--conn-rate", "1000000",
             "--expected-interval", "3600"],
            Path(tmp) / "listener.log",
        )  # fmt: skip
        try:
            result = uvloop.run(run(port, proc.pid, args.connections))
            server = metrics(health)
        finally:
            stop(proc)
    print(
        f"connections: {result['connections']}  acknowledged: {result['acked']}  "
        f"(opened in {result['connect_seconds']:.1f} s; listener saw {server.get('connections_opened')})"
    )
    print(
        f"listener RSS: base {result['rss_base_kib'] / 1024:.1f} MiB, "
        f"open {result['rss_connected_kib'] / 1024:.1f} MiB, "
        f"with sessions {result['rss_sessions_kib'] / 1024:.1f} MiB"
    )
    print(
        f"per idle connection: {result['bytes_per_connection_open'] / 1024:.2f} KiB open, "
        f"{result['bytes_per_connection_session'] / 1024:.2f} KiB with a session (target ≤ 4 KiB)"
    )
    print(json.dumps({"bench": "ingest_idle_memory", **result}))


if __name__ == "__main__":
    main()
