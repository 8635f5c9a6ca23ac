"""The platform's worker processes: supervised, restarted when they die, gone when the platform is killed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _status(data: Path) -> dict[str, Any] | None:
    try:
        doc: dict[str, Any] = json.loads((data / "status.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return doc


def _wait(predicate: Callable[[dict[str, Any]], bool], data: Path, timeout: float = 30.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        st = _status(data)
        if st is not None and predicate(st):
            return st
        time.sleep(0.1)
    raise AssertionError(f"timed out; last status: {_status(data)}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (exited, not yet reaped by its parent) is not alive either
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _start(data: Path) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "local", "run", "--data-dir", str(data), "--port", "0", "--status-every-s", "0.2"]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _workers_up(st: dict[str, Any]) -> bool:
    workers = st.get("workers") or {}
    return all(w.get("alive") and w.get("pid") for w in workers.values()) and set(workers) == {
        "decode-0",
        "decode-1",
        "rules",
    }


def test_a_worker_that_dies_is_restarted_and_the_platform_stops_cleanly(tmp_path: Path) -> None:
    # Given a running platform with its decode and rules workers
    proc = _start(tmp_path)
    try:
        st = _wait(_workers_up, tmp_path)
        old = st["workers"]["decode-1"]["pid"]
        # When the decode worker is killed
        os.kill(old, signal.SIGKILL)
        # Then the platform starts a new one, and says so
        st = _wait(lambda s: _workers_up(s) and s["workers"]["decode-1"]["pid"] != old, tmp_path)
        assert st["workers"]["decode-1"]["restarts"] == 1 and st["workers"]["decode-0"]["restarts"] == 0
        workers = [w["pid"] for w in st["workers"].values()]
        # And SIGTERM stops everything cleanly
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
        assert not any(_alive(pid) for pid in workers)
    finally:
        if proc.poll() is None:
            proc.kill()


def test_killing_the_platform_leaves_no_worker_behind(tmp_path: Path) -> None:
    # Given a running platform
    proc = _start(tmp_path)
    try:
        st = _wait(_workers_up, tmp_path)
        workers = [w["pid"] for w in st["workers"].values()]
        # When it is killed with SIGKILL (no chance to stop its workers)
        proc.kill()
        proc.wait(10)
        # Then its workers are gone too: nothing keeps writing to the data directory
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_alive(pid) for pid in workers)
    finally:
        if proc.poll() is None:
            proc.kill()
