"""End-to-end benchmark of the local platform: sustained frames/s and violation-to-alarm latency.

More: docs/local.md, "Module notes".
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._listener import cpu_seconds  # noqa: E402
from local.demo.fleet import china_time, enterprise_id_for  # noqa: E402
from local.demo.harness import Run  # noqa: E402
from local.demo.scoring import EXPECTED_RULES  # noqa: E402
from monitoring.storage.ports import Store  # noqa: E402
from monitoring.storage.sqlite import open_store  # noqa: E402

RULE_WINDOW_MIN = {"control_stopped": 10, "power_loss": 2}  # min_duration_min defaults (data/rules_defaults.json)
SETTLE_MIN = 2


def _processes(run: Run, status: dict[str, Any]) -> dict[str, int]:
    """The pids whose CPU the figures account for: the platform's three processes and the simulator."""
    pids = {"listener": int(status["pid"])}
    for name, worker in (status.get("workers") or {}).items():
        if worker.get("pid"):
            pids[f"{name} worker"] = int(worker["pid"])
    if run.sim is not None:
        pids["simulator"] = run.sim.pid
    return pids


def _cpu(pids: dict[str, int]) -> dict[str, float]:
    out = {}
    for name, pid in pids.items():
        try:
            out[name] = cpu_seconds(pid)
        except OSError:  # exited (a restarted worker): not counted
            out[name] = float("nan")
    return out


def throughput(base: Path, limit: int, accel: float, seconds: float, warmup: float) -> None:
    run = Run(base / "tp", limit=limit, mix="normal=1", accel=accel, realtime=True)
    manifest = run.prepare()
    terminals = sum(len(e["terminals"]) for e in manifest["enterprises"])
    run.start()
    try:
        time.sleep(warmup)  # connect, and let decode's split cache watch the terminals (10 platform minutes)
        s0, t0 = run.status(), time.time()
        assert s0
        pids = _processes(run, s0)
        c0, load0 = _cpu(pids), os.getloadavg()[0]
        time.sleep(seconds)
        s1, t1 = run.status(), time.time()
        c1, load1 = _cpu(pids), os.getloadavg()[0]
        sim = run.sim_stats()
    finally:
        run.stop()
    assert s0 and s1
    dt = s1["wall"] - s0["wall"] or (t1 - t0)
    acked = (s1["queue"].get("appended", 0) - s0["queue"].get("appended", 0)) / dt
    decoded = (s1["queue"].get("processed", 0) - s0["queue"].get("processed", 0)) / dt
    ev = s1["jobs"]["every-minute-evaluate-rules"]
    print(
        f"throughput: {len(manifest['enterprises'])} enterprises, {terminals} terminals, accel {accel:g}, "
        f"window {dt:.1f} s"
    )
    print(f"  acknowledged (listener → durable queue): {acked:,.0f} frames/s")
    print(
        f"  decoded end to end (queue → decode → store): {decoded:,.0f} frames/s; queue depth "
        f"{s0['queue']['depth']:,} at the window's start → {s1['queue']['depth']:,} at its end"
    )
    print(f"  rule evaluations: {ev['runs']} (last {ev['last_seconds']:.2f} s, {ev['skipped']} ticks coalesced)")
    print(f"  simulator: online {sim.get('online')}, sent {sim.get('frames_sent')}, buffered {sim.get('buffered')}")
    used = {name: c1[name] - c0[name] for name in pids}
    decoders = [n for n in pids if n.startswith("decode-")]
    if len(decoders) > 1:  # their sum is what a decoded frame cost
        used["decode workers"] = sum(used[n] for n in decoders)
    for name, seconds in used.items():
        decode_side = name.startswith(("decode", "rules"))
        frames = (decoded if decode_side else acked) * dt
        basis = "decoded" if decode_side else "acknowledged"
        print(
            f"  CPU {name:<14} {seconds / dt * 100:5.1f} % of a core"
            + (f", {seconds / frames * 1e6:6.0f} µs per {basis} frame" if frames else "")
        )
    print(f"  load average {load0:.2f} → {load1:.2f} (2 cores)")


def latency(base: Path, accel: float) -> None:
    run = Run(base / "lat", limit=6, mix="control_stopped_while_producing=1,power_loss=1", accel=accel)
    manifest = run.prepare()
    run.start()
    try:
        run.wait_sim_minutes(50, timeout=50 * 60 / accel + 60)
    finally:
        run.stop()
    store = open_store(base / "lat" / "gongkuang.db")
    try:
        _print_latency(store, manifest, accel)
    finally:
        store.close()


def _print_latency(store: Store, manifest: dict[str, Any], accel: float) -> None:
    print(
        f"latency: {len(manifest['enterprises'])} scenario enterprises, accel {accel:g}, one tick = 1 platform minute"
    )
    for entry in manifest["enterprises"]:
        alarms = store.alarms.list(enterprise_id=enterprise_id_for("rugao", entry), limit=100)
        for exp in entry["expected_alarms"]:
            start = china_time(exp["from"])
            hits = [a for a in alarms if a.rule in EXPECTED_RULES[exp["rule"]] and exp["point"] in a.point_ids]
            if not hits:
                print(f"  {entry['id']} {exp['rule']}: NOT RAISED")
                continue
            raised = min(a.created_at for a in hits)
            window_end = start + timedelta(minutes=RULE_WINDOW_MIN.get(exp["rule"], 0) + SETTLE_MIN)
            after = (raised - window_end) / timedelta(minutes=1)
            print(
                f"  {entry['id']} {exp['rule']:<16} violation → alarm {(raised - start) / timedelta(minutes=1):5.1f} "
                f"platform min; {after:+.1f} ticks after the rule's window (duration + settle)"
            )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--enterprises", type=int, default=140, help="throughput fleet (first N of the Rugao list)")
    p.add_argument("--accel", type=float, default=30.0, help="throughput acceleration")
    p.add_argument("--seconds", type=float, default=40.0, help="throughput measuring window (wall)")
    p.add_argument("--warmup", type=float, default=30.0, help="wall seconds before the window (steady state)")
    p.add_argument("--latency-accel", type=float, default=30.0)
    p.add_argument("--skip-latency", action="store_true")
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-e2e-") as tmp:
        throughput(Path(tmp), args.enterprises, args.accel, args.seconds, args.warmup)
        if not args.skip_latency:
            latency(Path(tmp), args.latency_accel)


if __name__ == "__main__":
    main()
