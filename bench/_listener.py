"""Start `python -m iot_ingest serve` as a child process for a benchmark and read its port from the JSON log."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def start_listener(args: list[str], log_path: Path) -> tuple[subprocess.Popen[str], int, int]:
    """Run the listener with `args`; return (process, port, health port). Its log goes to `log_path`."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "iot_ingest", "serve", "--host", "127.0.0.1", "--port", "0", *args]
    proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    log = open(log_path, "w", encoding="utf-8")  # noqa: SIM115 - closed by the copier thread
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        log.write(line)
        entry = json.loads(line)
        if entry.get("msg") == "listening":

            def copy() -> None:
                assert proc.stderr is not None
                for rest in proc.stderr:
                    log.write(rest)
                log.close()

            threading.Thread(target=copy, daemon=True).start()
            return proc, int(entry["port"]), int(entry["health_port"])
    proc.kill()
    raise SystemExit(f"listener did not start; see {log_path}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def metrics(health_port: int) -> dict[str, Any]:
    with urllib.request.urlopen(f"http://127.0.0.1:{health_port}/metrics.json", timeout=5) as response:
        return dict(json.loads(response.read()))


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
