"""Fault drill 1 (issue 11): kill -9 and SIGSTOP/SIGCONT of a decode worker and of the rules worker under load.

More: docs/local.md, "Module notes".
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from local.demo.harness import Run, ack_window, alarm_rules, dead_letters, read_acks, unarchived


def _pid(run: Run, worker: str) -> int:
    st = run.status() or {}
    return int(st["workers"][worker]["pid"])


def _stop_for(seconds: float) -> Callable[[Run, str], None]:
    def fault(run: Run, worker: str) -> None:
        pid = _pid(run, worker)
        os.kill(pid, signal.SIGSTOP)
        time.sleep(seconds)
        with contextlib.suppress(ProcessLookupError):  # a decode worker stopped past stopped_after_s was killed
            os.kill(pid, signal.SIGCONT)

    return fault


def _kill(run: Run, worker: str) -> None:
    os.kill(_pid(run, worker), signal.SIGKILL)


def _stop_forever(run: Run, worker: str) -> None:
    os.kill(_pid(run, worker), signal.SIGSTOP)  # the supervisor must kill it (stopped_after_s) and start another


def _row(name: str, acks: list[dict[str, Any]], start: float, end: float, window: float) -> str:
    cells = []
    for a, b in ((start - window, start), (start, end), (end, end + window)):
        n, p = ack_window(acks, a, b)
        cells.append(f"{n / (b - a):7.1f}/s p99 {p * 1000:6.0f} ms")
    return f"{name:<34} " + " | ".join(cells)


def drill(base: Path, enterprises: int, accel: float, window: float, hang_after_s: float) -> dict[str, Any]:
    run = Run(base / "data", limit=enterprises, mix="normal=1", accel=accel, realtime=True, ack_log=True,
              extra_platform=["--hang-after-s", str(hang_after_s)])  # fmt: skip
    run.prepare()
    t0 = time.monotonic()
    faults: list[tuple[str, str, Callable[[Run, str], None]]] = [
        ("kill -9 decode-0", "decode-0", _kill),
        (f"SIGSTOP decode-1 {window:g} s, SIGCONT", "decode-1", _stop_for(window)),
        ("kill -9 rules", "rules", _kill),
        (f"SIGSTOP rules {window:g} s, SIGCONT", "rules", _stop_for(window)),
        ("SIGSTOP decode-0 (left stopped)", "decode-0", _stop_forever),
    ]
    spans: list[tuple[str, float, float]] = []
    stopped_cleanly = False
    notes: list[str] = []
    status: dict[str, Any] = {}
    stop_s = float("nan")
    try:
        run.start()
        time.sleep(2 * window)  # warm-up, and the first "before" window
        for name, worker, fault in faults:
            try:
                run.wait_for(lambda st, w=worker: bool(st and st["workers"][w]["alive"]), 30, f"{worker} running")
            except TimeoutError as exc:
                notes.append(str(exc))
            start = time.time()
            fault(run, worker)
            end = max(time.time(), start + window)
            spans.append((name, start, end))
            time.sleep(max(0.0, end - time.time()) + window)
        try:  # a drill reports what broke rather than stopping at the first failure
            run.wait_for(lambda st: bool(st and st["workers"]["decode-0"].get("hangs", 0) >= 1
                                         and st["workers"]["decode-0"]["alive"]),
                         hang_after_s + 30, "hung decode-0 restarted")  # fmt: skip
        except TimeoutError as exc:
            notes.append(str(exc))
        status = run.status() or {}
        run.stop_simulator()
        try:
            run.drain(timeout=60)
        except TimeoutError as exc:
            notes.append(str(exc))
        assert run.platform is not None
        sigterm = time.monotonic()
        run.platform.send_signal(signal.SIGTERM)
        try:
            stopped_cleanly = run.platform.wait(60) == 0
        except subprocess.TimeoutExpired:
            notes.append("SIGTERM did not stop the platform within 60 s")
        stop_s = time.monotonic() - sigterm
    finally:
        run.stop()
    acks = read_acks(base / "data" / "acks.jsonl")
    lost = unarchived(base / "data", acks)
    print(f"drill 1: {enterprises} enterprises at x{accel:g}, windows of {window:g} s: before | during | after")
    for name, start, end in spans:
        print(_row(name, acks, start, end, window))
    workers = status.get("workers", {})
    said = [f"{n} restarts {w['restarts']} hangs {w.get('hangs', '-')}" for n, w in workers.items()]
    print("workers: " + ", ".join(said))
    offline = [r for r in alarm_rules(base / "data") if r == "terminal_offline"]
    result: dict[str, Any] = {
        "acknowledged": len(acks),
        "stored": len(acks) - len(lost),
        "lost": len(lost),
        "dead_lettered": dead_letters(base / "data"),
        "terminal_offline_alarms": len(offline),
        "sigterm_stop_s": round(stop_s, 1),
        "stopped_cleanly": stopped_cleanly,
        "wall_s": round(time.monotonic() - t0, 1),
    }
    result["failed"] = notes
    print(" ".join(f"{k}={v}" for k, v in result.items()))
    for note in notes:
        print(f"failed: {note}")
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--enterprises", type=int, default=6)
    p.add_argument("--accel", type=float, default=60.0)
    p.add_argument("--window", type=float, default=6.0, help="wall seconds before, during and after each fault")
    p.add_argument("--hang-after-s", type=float, default=8.0)
    p.add_argument("--keep", type=Path, help="keep the data directory here (default: a temporary one)")
    args = p.parse_args(argv)
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        result = drill(args.keep, args.enterprises, args.accel, args.window, args.hang_after_s)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            result = drill(Path(tmp), args.enterprises, args.accel, args.window, args.hang_after_s)
    ok = result["lost"] == 0 and result["terminal_offline_alarms"] == 0 and result["stopped_cleanly"]
    ok = ok and not result["failed"]
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
