"""A simulated fleet against the local platform, both as subprocesses on 127.0.0.1: for tests and benchmarks.

More: docs/local.md, "Module notes".
"""

from __future__ import annotations

import json
import math
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from local.demo.runner import CSV, anchor_clock
from local.workers import DB_FILE, QUEUE_FILE
from monitoring._time import CHINA


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Run:
    """One platform + one simulator fleet in `data_dir`."""

    def __init__(
        self,
        data_dir: Path,
        *,
        limit: int,
        mix: str | None = None,
        scenario: str | None = None,
        accel: float = 60.0,
        start: str = "2026-11-30T08:00:00",
        seed: int = 1,
        realtime: bool = False,
        ack_log: bool = False,
        extra_sim: list[str] | None = None,
        extra_platform: list[str] | None = None,
    ) -> None:
        self.data = data_dir
        self.accel = accel
        self.start_text = start
        self.port = free_port()
        self.common = ["--csv", str(CSV), "--seed", str(seed), "--start", start, "--limit", str(limit)]
        if mix:
            self.common += ["--mix", mix]
        if scenario:
            self.common += ["--scenario", scenario]
        self.realtime = realtime
        self.ack_log = self.data / "acks.jsonl" if ack_log else None
        self.extra_sim = extra_sim or []
        self.extra_platform = extra_platform or []  # `python -m local run` options, e.g. ["--hang-after-s", "5"]
        self.sim: subprocess.Popen[bytes] | None = None
        self.platform: subprocess.Popen[bytes] | None = None
        self.platform_env: dict[str, str] | None = None  # None: this process's environment
        self.manifest: dict[str, Any] = {}

    def prepare(self) -> dict[str, Any]:
        self.data.mkdir(parents=True, exist_ok=True)
        path = self.data / "fleet.json"
        py = sys.executable
        subprocess.run([py, "-m", "simulator", "manifest", *self.common, "--out", str(path)], check=True,
                       capture_output=True)  # fmt: skip
        subprocess.run([py, "-m", "local", "import-fleet", "--data-dir", str(self.data), "--manifest", str(path)],
                       check=True, capture_output=True)  # fmt: skip
        self.manifest = json.loads(path.read_text(encoding="utf-8"))
        return self.manifest

    def start(self) -> None:
        stats = self.data / "sim-stats.json"
        cmd = [sys.executable, "-m", "simulator", "run", *self.common, "--accel", str(self.accel),
               "--platform", f"127.0.0.1:{self.port}", "--stats", str(stats), "--quiet", "--reconnect", "0.5",
               *self.extra_sim]  # fmt: skip
        if not self.realtime:
            cmd.append("--no-realtime")
        if self.ack_log is not None:
            cmd += ["--ack-log", str(self.ack_log)]
        self.sim = subprocess.Popen(cmd, stdout=open(self.data / "simulator.log", "ab"), stderr=subprocess.STDOUT)
        anchor_clock(self.data, stats, self.start_text, self.accel)
        self.start_platform()

    def start_platform(self) -> None:
        cmd = [sys.executable, "-m", "local", "run", "--data-dir", str(self.data), "--port", str(self.port),
               "--api-port", "0", "--accel", str(self.accel), "--status-every-s", "0.5",
               *self.extra_platform]  # fmt: skip
        log = open(self.data / "platform.log", "ab")
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=self.platform_env)
        self.platform = proc
        self.wait_for(lambda st: st is not None and st.get("pid") == proc.pid, 30, "platform start")

    def kill_platform(self) -> None:
        """kill -9: no drain, no clean close."""
        assert self.platform is not None
        os.kill(self.platform.pid, signal.SIGKILL)
        self.platform.wait(10)

    def status(self) -> dict[str, Any] | None:
        try:
            doc: dict[str, Any] = json.loads((self.data / "status.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return doc

    def sim_stats(self) -> dict[str, Any]:
        try:
            doc: dict[str, Any] = json.loads((self.data / "sim-stats.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return doc

    def platform_time(self) -> datetime | None:
        st = self.status()
        return datetime.fromisoformat(st["platform_time"]) if st else None

    def sim_minutes(self) -> float:
        """Simulated minutes since the start, by the platform's clock."""
        now = self.platform_time()
        if now is None:
            return 0.0
        local = now.astimezone(CHINA).replace(tzinfo=None)
        return float((local - datetime.fromisoformat(self.start_text)).total_seconds() / 60)

    def wait_for(self, predicate: Callable[[dict[str, Any] | None], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(self.status()):
                return
            for proc, name in ((self.platform, "platform"), (self.sim, "simulator")):
                if proc is not None and proc.poll() is not None and proc.returncode not in (0, -9):
                    raise RuntimeError(f"{name} exited with {proc.returncode}: see {self.data}/{name}.log")
            time.sleep(0.2)
        raise TimeoutError(f"timed out waiting for {what} ({timeout:.0f} s)")

    def wait_sim_minutes(self, minutes: float, timeout: float) -> None:
        self.wait_for(lambda st: st is not None and self.sim_minutes() >= minutes, timeout, f"sim minute {minutes}")

    def stop_simulator(self) -> None:
        if self.sim is not None and self.sim.poll() is None:
            self.sim.send_signal(signal.SIGINT)
            try:
                self.sim.wait(20)
            except subprocess.TimeoutExpired:
                self.sim.kill()

    def drain(self, timeout: float = 30) -> None:
        """Wait until every queued frame has been decoded."""
        self.wait_for(lambda st: st is not None and st["queue"]["depth"] == 0, timeout, "queue drained")

    def stop(self) -> None:
        self.stop_simulator()
        if self.platform is not None and self.platform.poll() is None:
            self.platform.send_signal(signal.SIGTERM)
            try:
                self.platform.wait(40)
            except subprocess.TimeoutExpired:
                self.platform.kill()


def p99(values: list[float]) -> float:
    """The 99th percentile (nearest rank); 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(0.99 * len(ordered)) - 1)]


def read_acks(path: Path) -> list[dict[str, Any]]:
    """The simulator's acknowledgement log (`--ack-log`): one dict per acknowledged packet."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    return [json.loads(line) for line in lines if line.endswith("}")]  # the last line may be half written


def ack_window(acks: list[dict[str, Any]], start: float, end: float) -> tuple[int, float]:
    """(packets acknowledged, p99 seconds from first send to 9014) for 9014s that came in [start, end) wall time."""
    took = [float(a["ack_s"]) for a in acks if start <= a["t"] < end]
    return len(took), p99(took)


def unarchived(data_dir: Path, acks: list[dict[str, Any]]) -> list[tuple[str, str, str, int | None]]:
    """Acknowledged packets (MN, CN, DataTime, PNO) that are not in the raw-frame archive: lost."""
    from hj212 import decode_frame
    from monitoring.storage.sqlite import open_store

    store = open_store(data_dir / DB_FILE)
    try:
        archived: set[tuple[str, str, str, int | None]] = set()
        for mn in {a["mn"] for a in acks}:
            for f in store.archive.chain(mn, limit=100_000):
                frame = decode_frame(f.frame.raw)
                archived.add((mn, frame.cn or "", frame.cp.scalars.get("DataTime", ""), frame.pno))
    finally:
        store.close()
    acked = {(a["mn"], a["cn"], a["data_time"], a["pno"]) for a in acks}
    return sorted(acked - archived)


def dead_letters(data_dir: Path) -> int:
    from local.queue import FrameQueue

    queue = FrameQueue(data_dir / QUEUE_FILE)
    try:
        return queue.counters()["dead"]
    finally:
        queue.close()


def alarm_rules(data_dir: Path) -> list[str]:
    """The rule of every alarm ever raised (open, closed or retracted), as `python -m local alarms` lists them."""
    out = subprocess.run(
        [sys.executable, "-m", "local", "alarms", "--data-dir", str(data_dir), "--all", "--json", "--limit", "100000"],
        check=True,
        capture_output=True,
    ).stdout
    return [str(row["rule"]) for row in json.loads(out)]
