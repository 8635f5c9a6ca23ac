"""Simulator benchmark: how fast the fleet connects and how many packets per second it gets acknowledged.

More: docs/simulator.md, "Module notes".
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import multiprocessing
import os
import resource
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import hj212  # noqa: E402
from simulator.fleet import build_fleet, default_mix, parse_mix, read_enterprises  # noqa: E402
from simulator.profile import load_profile  # noqa: E402
from simulator.runner import RunOptions, build, run  # noqa: E402
from simulator.terminal import TerminalSettings  # noqa: E402

CSV = Path(__file__).resolve().parent.parent / "data" / "registry" / "rugao_2022_enterprises.csv"


def _sink(port_q: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        dec = hj212.StreamDecoder()
        try:
            while data := await reader.read(65536):
                out = [hj212.data_ack(f) for f in dec.feed(data) if isinstance(f, hj212.Frame) and f.ack_requested]
                if out:
                    writer.write(b"".join(out))
        except ConnectionError:
            pass

    async def main() -> None:
        srv = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=4096)
        port_q.put(srv.sockets[0].getsockname()[1])
        await asyncio.Event().wait()

    asyncio.run(main())


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--accel", type=float, default=60.0)
    ap.add_argument("--limit", type=int)
    ap.add_argument("--no-realtime", action="store_true")
    ap.add_argument("--mix", help="scenario weights, e.g. normal=1 (default: the simulator's default mix)")
    ap.add_argument("--profile", type=Path, help="write a cProfile of the run here (adds overhead)")
    args = ap.parse_args()
    q: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    sink = multiprocessing.Process(target=_sink, args=(q,), daemon=True)
    sink.start()
    port = q.get(timeout=10)
    rows = read_enterprises(CSV)[: args.limit] if args.limit else read_enterprises(CSV)
    fleet = build_fleet(rows, parse_mix(args.mix) if args.mix else default_mix(), 1)
    opts = RunOptions(
        platforms=[("127.0.0.1", port)],
        settings=TerminalSettings(),
        accel=args.accel,
        start=datetime(2026, 11, 30, 8, 0),
        duration_s=args.seconds,
        progress=False,
        connect_rate=2000,
        realtime=not args.no_realtime,
    )
    running = build(fleet, load_profile(), opts)

    async def go() -> tuple[float | None, float]:
        t0 = time.monotonic()
        all_online: float | None = None
        task = asyncio.create_task(run(running, opts))
        while not task.done():
            if all_online is None and running.counters.online >= len(running.links):
                all_online = time.monotonic() - t0
            await asyncio.sleep(0.05)
        await task
        return all_online, time.monotonic() - t0

    prof = cProfile.Profile() if args.profile else None
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    if prof is not None:
        prof.enable()
    online_s, wall = asyncio.run(go())
    if prof is not None:
        prof.disable()
        prof.dump_stats(str(args.profile))
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    c = running.counters
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    print(
        f"terminals {c.terminals}, links {len(running.links)}, accel {args.accel}, wall {wall:.1f}s "
        f"(loaded 2-core machine, pid {os.getpid()})"
    )
    print(f"all links online after {online_s if online_s is None else round(online_s, 2)}s")
    print(
        f"packets sent {c.frames_sent}, acknowledged {c.acked} = {c.acked / wall:.0f}/s, resends {c.resends}, "
        f"dropped {c.dropped}"
    )
    print(f"simulator CPU {cpu:.1f}s = {cpu / wall:.2f} cores; {c.acked / max(cpu, 1e-9):.0f} acked per CPU second")
    user, system = cpu1.ru_utime - cpu0.ru_utime, cpu1.ru_stime - cpu0.ru_stime
    per = 1e6 / max(c.frames_sent, 1)
    print(
        f"CPU per frame sent: {cpu * per:.0f} us (user {user * per:.0f}, system {system * per:.0f}; "
        f"{c.frames_sent} frames; load {_load()})"
    )
    backlog = sum(len(link.outbox) for link in running.links)
    lag = min((t._prev for t in running.terminals if t._prev is not None), default=None)
    print(f"still buffered {backlog}; sim clock {running.clock.now():%H:%M:%S}, slowest terminal sampled up to {lag}")
    sink.terminate()


if __name__ == "__main__":
    main()
