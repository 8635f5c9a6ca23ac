"""A full disk under the frame queue: the error reported is sqlite's "database or disk is full", and appending
resumes once there is room. Runs in a private mount namespace on a small tmpfs (needs root and unshare)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[3]

CHILD = textwrap.dedent(
    """
    import asyncio, json, os, sys
    from local.queue import FrameQueue, QueueSink

    mount = sys.argv[1]
    with open(os.path.join(mount, "filler"), "wb") as f:  # room to free later
        f.write(b"\\0" * 64 * 1024)
    queue = FrameQueue(os.path.join(mount, "queue.db"))
    batch = [{"v": 1, "mn": "88888880000001", "pad": "x" * 4000} for _ in range(10)]
    stored, error = 0, ""
    while stored < 1000:
        try:
            queue.append(batch)
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            break
        stored += len(batch)
    sink_error = ""
    try:  # what the listener's hand-off sees (its last_error, the status file)
        asyncio.run(QueueSink(queue).put(batch))
    except Exception as exc:
        sink_error = f"{type(exc).__name__}: {exc}"
    os.remove(os.path.join(mount, "filler"))
    queue.append(batch[:1])  # acknowledgement resumes with room on the disk
    print(json.dumps({"error": error, "sink_error": sink_error, "stored": stored, "depth": queue.depth()}))
    """
)


def _can_unshare() -> bool:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    return subprocess.run(["unshare", "-m", "true"], capture_output=True, check=False).returncode == 0


@pytest.mark.skipif(not _can_unshare(), reason="needs root and unshare -m (a private mount namespace)")
def test_queue_on_a_full_disk_reports_disk_full_and_resumes(tmp_path: Path) -> None:
    # Given the frame queue on a 512 KiB tmpfs that fills up
    mount = tmp_path / "mnt"
    mount.mkdir()
    script = tmp_path / "child.py"
    script.write_text(CHILD, encoding="utf-8")
    shell = f'mount -t tmpfs -o size=512k tmpfs "{mount}" && exec "{sys.executable}" "{script}" "{mount}"'
    # When records are appended until the disk is full, then room is made
    done = subprocess.run(
        ["unshare", "-m", "sh", "-c", shell],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    # Then the failure names the real cause (not "cannot rollback - no transaction is active") ...
    assert result["error"] == result["sink_error"] == "OperationalError: database or disk is full"
    # ... and what was committed before is all there, plus the record appended after room was made
    assert 0 < result["stored"] < 1000 and result["depth"] == result["stored"] + 1
