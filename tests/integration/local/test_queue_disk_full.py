"""A full disk under the frame queue: the error reported (exception, listener log line, status) is sqlite's
"database or disk is full", and appending resumes once there is room; with a reserve, appends stop before that and
decode and the archive still free rows. Runs in a private mount namespace on a small tmpfs (needs root and unshare)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[3]

CHILD = textwrap.dedent(
    """
    import asyncio, json, logging, os, sys
    from iot_ingest.handoff import Handoff
    from iot_ingest.metrics import Metrics
    from local.app import listener_status
    from local.queue import FrameQueue, QueueSink

    lines = []

    class Keep(logging.Handler):
        def emit(self, record):
            lines.append(f"{record.getMessage()} {getattr(record, 'fields', {})}")

    logging.getLogger().addHandler(Keep())
    logging.getLogger().setLevel(logging.INFO)

    async def hand_off(queue, records):  # frames through the listener's hand-off; then status.json's "listener"
        handoff = Handoff(QueueSink(queue), Metrics(), linger=0.05)
        handoff.start()
        await asyncio.gather(*(handoff.submit(r) for r in records), return_exceptions=True)
        status = listener_status(handoff)
        await handoff.stop()
        return status

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
    full_status = asyncio.run(hand_off(queue, batch))
    os.remove(os.path.join(mount, "filler"))
    queue.append(batch[:1])  # acknowledgement resumes with room on the disk
    resumed_status = asyncio.run(hand_off(queue, batch[:1]))
    print(json.dumps({"error": error, "sink_error": sink_error, "stored": stored, "depth": queue.depth(),
                      "full_status": full_status, "resumed_status": resumed_status, "log": lines}))
    """
)


# The two children's shared part: fill the queue until it refuses (frames stored, the error), the volume's free bytes
FILL_AND_FREE = """
    batch = [{"v": 1, "mn": "88888880000001", "pad": "x" * 4000} for _ in range(10)]

    def fill():
        stored = 0
        while stored < 10_000:
            try:
                queue.append(batch)
            except Exception as exc:
                return stored, f"{type(exc).__name__}: {exc}"
            stored += len(batch)
        return stored, ""

    def free():
        st = os.statvfs(mount)
        return st.f_bavail * st.f_frsize
"""

RESERVE_CHILD = textwrap.dedent(
    """
    import json, os, sys
    from local.queue import FrameQueue

    mount = sys.argv[1]
    queue = FrameQueue(os.path.join(mount, "queue.db"), archive=True, reserve_bytes=6 * 2**20)
    """
    + FILL_AND_FREE
    + """

    stored, error = fill()
    free_refusing = free()
    decoded = queue.done([q.seq for q in queue.take(100_000)])  # decode's marks, on a volume at its reserve
    cut = queue.cut(100_000)  # the archive's cut and mark: the rows go
    archived = queue.archived(cut) if cut else 0
    rows = queue._conn.execute("SELECT count(*) FROM frames").fetchone()[0]
    again, error_again = fill()  # the freed pages take frames again, up to the reserve
    print(json.dumps({"stored": stored, "error": error, "free_refusing": free_refusing, "decoded": decoded,
                      "archived": archived, "rows": rows, "again": again, "error_again": error_again,
                      "free_end": free(), "depth": queue.depth()}))
    """
)


# A reader's snapshot held on queue.db stops the WAL's checkpoint: every page written is then a new frame at its end.
WAL_CHILD = textwrap.dedent(
    """
    import json, os, sqlite3, sys
    from local.queue import FrameQueue

    mount = sys.argv[1]
    path = os.path.join(mount, "queue.db")
    queue = FrameQueue(path, reserve_bytes=3 * 2**20)
    """
    + FILL_AND_FREE
    + """

    def wal():
        return os.path.getsize(path + "-wal") if os.path.exists(path + "-wal") else 0

    def pending():  # what the checkpoint still has to add to queue.db
        pages = queue._conn.execute("PRAGMA page_count").fetchone()[0] * 4096
        return max(0, pages - os.path.getsize(path))

    def hold():  # a long read: its snapshot keeps the WAL from being checkpointed past it
        reader = sqlite3.connect(path, isolation_level=None)
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM frames").fetchone()
        return reader

    out = {}
    # 1. appends while a reader holds its snapshot: refused while the checkpoint still fits
    reader = hold()
    out["held_stored"], out["held_error"] = fill()
    out["held_free"], out["held_pending"], out["held_wal"] = free(), pending(), wal()
    reader.close()
    # 2. no reader: the checkpoint completes; decode takes every row (their pages become free in the file)
    out["stored"], out["error"] = fill()
    while (taken := queue.take(200)):
        queue.done([q.seq for q in taken])
    out["freelist"] = queue._conn.execute("PRAGMA freelist_count").fetchone()[0] * 4096
    out["free_before"] = free()
    # 3. a reader again: the free pages are no room now, each page reused is a WAL frame on the volume
    reader = hold()
    out["again"], out["error_again"] = fill()
    out["again_free"] = free()
    reader.close()
    # 4. the reader gone: the WAL is checkpointed, written again from its start and truncated; appends resume
    out["after"], out["error_after"] = fill()
    out["wal_end"], out["free_end"], out["depth"] = wal(), free(), queue.depth()
    print(json.dumps(out))
    """
)


TmpfsRun = Callable[[str, str], dict[str, Any]]


def _can_unshare() -> bool:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    return subprocess.run(["unshare", "-m", "true"], capture_output=True, check=False).returncode == 0


@pytest.fixture
def small_tmpfs(tmp_path: Path) -> TmpfsRun:
    """run(child, size): the script `child` run with a `size` tmpfs mounted for it only (its path is argv[1]), in a
    private mount namespace; its last stdout line, as JSON."""
    if not _can_unshare():
        pytest.skip("needs root and unshare -m (a private mount namespace)")

    def run(child: str, size: str) -> dict[str, Any]:
        mount = tmp_path / "mnt"
        mount.mkdir()
        script = tmp_path / "child.py"
        script.write_text(child, encoding="utf-8")
        shell = f'mount -t tmpfs -o size={size} tmpfs "{mount}" && exec "{sys.executable}" "{script}" "{mount}"'
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
        result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        return result

    return run


def test_queue_on_a_full_disk_reports_disk_full_and_resumes(small_tmpfs: TmpfsRun) -> None:
    # Given the frame queue on a 512 KiB tmpfs that fills up
    # When records are appended until the disk is full, then room is made
    result = small_tmpfs(CHILD, "512k")
    # Then the failure names the real cause (not "cannot rollback - no transaction is active") ...
    assert result["error"] == result["sink_error"] == "OperationalError: database or disk is full"
    # ... and what was committed before is all there, plus the record appended after room was made
    assert 0 < result["stored"] < 1000 and result["depth"] == result["stored"] + 2, result
    # And the status file's listener section and the listener's log line carry the cause while the disk is full
    full = result["full_status"]
    assert full["sink_ok"] is False and "database or disk is full" in full["last_error"], full
    assert any(line.startswith("sink failed") and "database or disk is full" in line for line in result["log"])
    # ... and clear once a commit succeeds again
    assert result["resumed_status"]["sink_ok"] is True, result["resumed_status"]


def test_with_a_reserve_appends_stop_short_of_a_full_disk_and_decode_and_archive_free_rows(
    small_tmpfs: TmpfsRun,
) -> None:
    # Given the frame queue (archive on) with a 6 MiB reserve on a 16 MiB tmpfs, appended to until it refuses
    r = small_tmpfs(RESERVE_CHILD, "16m")
    # Then it refused on the reserve, with room left on the volume (never sqlite's "database or disk is full")
    assert str(r["error"]).startswith("ReserveReached: queue refusing: disk reserve"), r
    assert 0 < int(str(r["free_refusing"])) < 6 * 2**20 and int(str(r["stored"])) > 0, r
    # And decode's marks and the archive's cut and mark committed on that volume, and removed every row
    assert r["decoded"] == r["archived"] == r["stored"] and r["rows"] == 0, r
    # Then appends resume in the pages freed, until the reserve again: the disk never fills
    assert int(str(r["again"])) > 0 and str(r["error_again"]).startswith("ReserveReached"), r
    assert int(str(r["free_end"])) > 0 and r["depth"] == r["again"], r


def test_a_reader_holding_the_wal_back_is_accounted_for_and_the_wal_shrinks_after(small_tmpfs: TmpfsRun) -> None:
    # Given the frame queue with a 3 MiB reserve on a 16 MiB tmpfs, and a reader holding a snapshot (a long read)
    r = small_tmpfs(WAL_CHILD, "16m")
    # Then appends stopped on the reserve while there was still room to checkpoint the WAL into queue.db
    assert str(r["held_error"]).startswith("ReserveReached"), r
    assert r["held_stored"] > 0 and r["held_wal"] > r["held_pending"] > 0, r
    # the checkpoint fits, and leaves the reserve (less at most the last batch)
    assert r["held_free"] - r["held_pending"] >= 3 * 2**20 - 128 * 1024, r
    # And with the reader gone the checkpoint committed, the queue is at its reserve and decode freed every row's
    # pages in the file (before, the checkpoint had no room, so decode's marks hit "database or disk is full")
    assert str(r["error"]).startswith("ReserveReached") and r["freelist"] > 3 * 2**20, r
    # When a reader holds the WAL back again, Then those free pages are no room: each page reused is a WAL frame on
    # the volume, so appends stop with the volume's reserve still free
    assert str(r["error_again"]).startswith("ReserveReached") and r["again"] > 0, r
    assert r["again_free"] >= 3 * 2**20 - 128 * 1024, r
    # And once the reader is gone the WAL is truncated (journal_size_limit) and appends reuse the free pages
    assert r["wal_end"] <= 4 * 2**20 + 64 * 1024, r
    assert r["after"] > 0 and str(r["error_after"]).startswith("ReserveReached") and r["free_end"] > 2**20, r
    assert r["depth"] == r["again"] + r["after"], r
