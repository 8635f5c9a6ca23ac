"""The decode loop through the real handler on DynamoDB Local with the county host's reading buffer: a write lock on
readings.db held past the buffer's busy timeout is a storage outage (the batch waits and is retried), not poison.

Review finding: the buffer's raw sqlite3.OperationalError was not an outage to `monitoring/ingest/isolate.py`, so
decode split the batch and set every acknowledged frame aside as a dead letter.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from functions import _wiring
from functions.on_frame_batch import handler
from local import reading_buffer
from local.pipeline import DecodeLoop
from local.queue import FrameQueue, QueueDeadLetters
from local.reading_buffer import BufferedReadings, ReadingBuffer
from monitoring.clock import FixedClock
from monitoring.readings.models import ReadingKind
from monitoring.registry.models import FacilityKind, MonitoringPoint
from monitoring.registry.terminal import Terminal, hash_password
from monitoring.storage.dynamodb.reading_buckets import bucket_start
from monitoring.storage.dynamodb.readings import DynamoDBReadingsRepository
from tests.integration.local.test_decode_outage import DAY, MN, NOW, _records
from tests.support.wired_dynamodb import wired_dynamodb

pytestmark = pytest.mark.integration


def _wait(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.fixture
def host(
    dynamodb_local_url: str, fake_aws_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[ReadingBuffer, FrameQueue]]:
    """The decode worker's wiring on the county host with buckets: DynamoDB, readings through the buffer."""
    monkeypatch.setattr(reading_buffer, "BUSY_TIMEOUT_S", 0.3)  # the module's 10 s, shortened to keep this quick
    clock = FixedClock(NOW)
    buffers: list[ReadingBuffer] = []

    def wrap(store: Any) -> Any:
        assert isinstance(store.readings, DynamoDBReadingsRepository)
        buffer = ReadingBuffer(tmp_path / "readings.db", lambda p, at: bucket_start(p, at, 5), 5, clock)
        buffers.append(buffer)
        return replace(store, readings=BufferedReadings(buffer, store.readings, clock, future_tolerance=DAY[1] - NOW))

    with wired_dynamodb(dynamodb_local_url, "rbo", clock, reading_buckets=True) as (store, _):
        store.registry.put_terminal(Terminal(mn=MN, county_id="rugao", password_hash=hash_password("123456", n=2)))
        for ch in ("01", "02"):
            store.registry.put_point(
                MonitoringPoint(f"pt-{ch}", "e1", "f1", f"320682-{ch}", f"回路{ch}", FacilityKind.CONTROL, MN, ch)
            )
        queue = FrameQueue(tmp_path / "queue.db")
        _wiring.use_store_wrapper(wrap)
        _wiring.use_dead_letters(QueueDeadLetters(queue))
        _wiring.get_store()
        try:
            yield buffers[0], queue
        finally:
            queue.close()
            _wiring.get_store().close()


def test_a_buffer_lock_longer_than_all_attempts_loses_nothing(
    host: tuple[ReadingBuffer, FrameQueue], tmp_path: Path
) -> None:
    buffer, queue = host
    # Given acknowledged frames queued, and another connection holding the buffer's write lock (a long prune)
    queue.append(_records("kinesis_frame_batch.json"))
    blocker = sqlite3.connect(tmp_path / "readings.db", isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    loop = DecodeLoop(queue, handler, max_attempts=1, idle_wait=0.05)
    loop.start()
    try:
        # When decode fails more often than max_attempts while the lock is held, then the lock is released
        _wait(lambda: loop.failures >= 2 or queue.counters()["dead"] > 0, 60, "two failed decode attempts")
        # Then the batch waits (an outage), nothing is set aside as poison
        assert queue.counters()["dead"] == 0 and queue.depth() == 3
        assert "locked" in loop.last_error
        blocker.execute("ROLLBACK")
        _wait(lambda: queue.depth() == 0, 60, "the backlog to drain")
    finally:
        blocker.close()
        loop.stop(10)
    # And every frame was decoded once into the buffer
    assert queue.counters() == {"appended": 3, "processed": 3, "dead": 0}
    assert [r.values["ua"] for r in buffer.readings("pt-01", ReadingKind.REALTIME, *DAY, 100)] == [231.2]
    assert len(buffer.readings("pt-01", ReadingKind.MINUTE, *DAY, 100)) == 1
