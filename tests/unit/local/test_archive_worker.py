"""The archive worker's pace (a failed cut is retried within a minute, so its failure line keeps recurring), its S3
client's bounds and its hang clock."""

from __future__ import annotations

import base64
import json
import threading
import time
from pathlib import Path

from local.archive_worker import RETRY_S, Archiver, pause_s
from local.queue import FrameQueue
from tests.fixtures.events import load_event


def test_a_failed_cut_is_retried_within_a_minute_and_a_good_one_waits_the_period() -> None:
    assert RETRY_S == 60.0  # HostWorkerFailures sums 5 minutes: ≥ 1 line in each while a cut keeps failing
    assert pause_s(300.0, failed=False, stopping=False) == 300.0
    assert pause_s(300.0, failed=True, stopping=False) == 60.0
    assert pause_s(10.0, failed=True, stopping=False) == 10.0  # never later than the period itself
    assert pause_s(300.0, failed=True, stopping=True) == 1.0  # the stop's drain retries at once


def test_one_s3_call_is_bounded_to_half_the_hang_limit_whatever_it_is() -> None:
    from local.archive_worker import S3_CALL_SHARE, s3_limits

    for hang_after_s in (4.5, 10, 20, 30, 60, 300, 3600):
        limits = s3_limits(hang_after_s)
        assert 0 < limits.connect_s <= 5 and 0 < limits.read_s <= 30 and limits.attempts in (1, 2), limits
        assert limits.worst_s() <= hang_after_s * S3_CALL_SHARE + 1e-9, (hang_after_s, limits)
    # the default hang limit (30 s): two tries, each reading for at least a second; a shorter one: one try
    assert s3_limits(30).attempts == 2 and s3_limits(30).read_s >= 1.0 and s3_limits(20).attempts == 1


def test_the_hang_check_times_each_cut_not_the_whole_drain(tmp_path: Path) -> None:
    # Given 3 cuts' worth of frames waiting for the archive, and an S3 whose every put takes 0.3 s
    queue = FrameQueue(tmp_path / "queue.db", archive=True)
    records = [
        json.loads(base64.b64decode(r["kinesis"]["data"])) for r in load_event("kinesis_frame_batch.json")["Records"]
    ]
    queue.append((records * 10)[:30])

    class SlowBucket:
        def put_new(self, key: str, body: bytes) -> bool:
            time.sleep(0.3)
            return True

    archiver = Archiver(queue, SlowBucket(), None, cut_frames=10)
    seen: list[float] = []
    done = threading.Event()

    def sample() -> None:  # what the worker's status reports to the supervisor, every 20 ms
        while not done.is_set():
            seen.append(archiver.busy_s())
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    started = time.monotonic()
    # When the worker drains them
    archiver.drain()
    elapsed = time.monotonic() - started
    done.set()
    sampler.join()
    # Then each cut was timed on its own: a drain longer than any cut never reads as one stuck unit
    assert archiver.cuts == 3 and elapsed >= 0.9, (archiver.cuts, elapsed)
    assert 0.2 < max(seen) < 0.6 and archiver.busy_s() == 0.0, max(seen)
    queue.close()
