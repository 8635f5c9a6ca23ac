"""The decode loop through the real handler on a real sqlite store: a store outage delays, poison is set aside.

Issue 11 item 2: a write lock on gongkuang.db longer than all decode attempts used to move acknowledged frames to
dead_frames. Now the batch waits and is retried; only a record that fails for its content is set aside, alone,
with its reason and exception, and `python -m local dead-letters requeue` decodes it exactly once.
"""

from __future__ import annotations

import base64
import json
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from functions import _wiring
from functions.on_frame_batch import handler
from local.pipeline import DecodeLoop
from local.queue import FrameQueue, QueueDeadLetters
from monitoring.clock import FixedClock
from monitoring.readings.models import ReadingKind
from monitoring.registry.models import FacilityKind, MonitoringPoint
from monitoring.registry.terminal import Terminal, hash_password
from monitoring.storage.ports import Store
from tests.fixtures.events import load_event

pytestmark = pytest.mark.integration
MN = "88888880000001"
NOW = datetime(2026, 11, 28, 10, 35, tzinfo=UTC)
DAY = (datetime(2026, 11, 27, 16, tzinfo=UTC), datetime(2026, 11, 28, 16, tzinfo=UTC))
ROOT = Path(__file__).resolve().parents[3]


def _records(fixture: str) -> list[dict[str, Any]]:
    return [json.loads(base64.b64decode(r["kinesis"]["data"])) for r in load_event(fixture)["Records"]]


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[tuple[Store, FrameQueue]]:
    """The decode worker's wiring on a data directory: store gongkuang.db, queue.db as dead letters."""
    settings = _wiring.Settings(store_backend="sqlite", sqlite_path=str(tmp_path / "gongkuang.db"))
    _wiring.configure(settings, clock=FixedClock(NOW))
    store = _wiring.get_store()
    store.registry.put_terminal(Terminal(mn=MN, county_id="rugao", password_hash=hash_password("123456", n=2)))
    for ch in ("01", "02"):
        store.registry.put_point(
            MonitoringPoint(f"pt-{ch}", "e1", "f1", f"320682-{ch}", f"回路{ch}", FacilityKind.CONTROL, MN, ch)
        )
    queue = FrameQueue(tmp_path / "queue.db")
    _wiring.use_dead_letters(QueueDeadLetters(queue))
    yield store, queue
    queue.close()
    store.close()
    _wiring.configure(None)


def _wait(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_a_store_lock_longer_than_all_attempts_loses_nothing(
    platform: tuple[Store, FrameQueue], tmp_path: Path
) -> None:
    store, queue = platform
    # Given acknowledged frames queued, and another process holding the store's write lock
    queue.append(_records("kinesis_frame_batch.json"))
    blocker = sqlite3.connect(tmp_path / "gongkuang.db", isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    loop = DecodeLoop(queue, handler, max_attempts=1, idle_wait=0.05)
    loop.start()
    try:
        # When decode fails more often than max_attempts while the lock is held (each try waits out the
        # store's 5 s busy timeout), then the lock is released
        _wait(lambda: loop.failures >= 2 or queue.counters()["dead"] > 0, 60, "two failed decode attempts")
        assert queue.counters()["dead"] == 0 and queue.depth() == 3
        assert queue.oldest_age() > 5.0  # the backlog is visible
        assert "database is locked" in loop.last_error
        blocker.execute("ROLLBACK")
        _wait(lambda: queue.depth() == 0, 60, "the backlog to drain")
    finally:
        blocker.close()
        loop.stop(10)
    # Then every frame was decoded once and nothing was dead-lettered
    assert queue.counters() == {"appended": 3, "processed": 3, "dead": 0}
    assert [r.values["ua"] for r in store.readings.readings("pt-01", ReadingKind.REALTIME, *DAY)] == [231.2]
    assert len(store.readings.readings("pt-01", ReadingKind.MINUTE, *DAY)) == 1
    assert store.archive.verify(MN).checked == 3


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "local", "dead-letters", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )


def test_a_poison_record_among_good_ones_is_set_aside_alone_and_requeued_decodes_once(
    platform: tuple[Store, FrameQueue], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, queue = platform
    # Given a batch: a garbage record, and a minute-data record that trips a bug when its readings are written
    good = _records("kinesis_frame_batch.json")
    queue.append([good[0], {"v": 2, "mn": MN, "garbage": True}, good[1], good[2]])
    original = store.readings.put_readings

    def buggy(readings: Sequence[Any]) -> Any:
        if any(r.kind is ReadingKind.MINUTE for r in readings):
            raise KeyError("EPf01-Cou")
        return original(readings)

    monkeypatch.setattr(store.readings, "put_readings", buggy)
    # When the decode loop runs once
    loop = DecodeLoop(queue, handler)
    loop.run_once()
    # Then the two poison records, and only they, are dead letters with reason and exception; the rest is stored
    dead = {d.seq: d for d in queue.dead()}
    assert [json.loads(d.record).get("garbage", False) for d in dead.values()] == [True, False]
    garbage, bug = dead.values()
    assert garbage.reason == "not a valid frame record" and "v must be 1" in garbage.error
    assert bug.reason == "KeyError: 'EPf01-Cou'" and "Traceback" in bug.error
    assert queue.depth() == 0 and loop.processed == 2
    assert len(store.readings.readings("pt-01", ReadingKind.REALTIME, *DAY)) == 1
    assert store.readings.readings("pt-01", ReadingKind.MINUTE, *DAY) == []
    # And the CLI lists and shows them
    listed = _cli("list", "--data-dir", str(tmp_path), "--json")
    assert [r["id"] for r in json.loads(listed.stdout)] == [garbage.seq, bug.seq]
    shown = _cli("show", "--data-dir", str(tmp_path), str(bug.seq))
    assert "KeyError" in shown.stdout and "Traceback" in shown.stdout and MN in shown.stdout
    # When the bug is fixed and the record requeued (twice: the second finds nothing to move)
    monkeypatch.setattr(store.readings, "put_readings", original)
    first = _cli("requeue", "--data-dir", str(tmp_path), str(bug.seq))
    again = _cli("requeue", "--data-dir", str(tmp_path), str(bug.seq))
    assert first.returncode == 0 and "已重新排队 1 条" in first.stdout
    assert again.returncode == 1 and "not dead letters" in again.stderr
    while loop.run_once():
        pass
    # Then it is decoded exactly once, and the garbage stays set aside
    assert len(store.readings.readings("pt-01", ReadingKind.MINUTE, *DAY)) == 1
    assert [d.seq for d in queue.dead()] == [garbage.seq]
    assert queue.depth() == 0 and queue.counters()["processed"] == 3
    assert _cli("requeue", "--data-dir", str(tmp_path)).returncode == 2  # neither ids nor --all
    # When the garbage is discarded (it will never decode), Then dead_frames is empty and nothing else moved
    assert _cli("discard", "--data-dir", str(tmp_path)).returncode == 2  # neither ids nor --all
    gone = _cli("discard", "--data-dir", str(tmp_path), str(garbage.seq))
    assert gone.returncode == 0 and "已删除 1 条" in gone.stdout, gone
    assert queue.dead() == [] and queue.depth() == 0
    twice = _cli("discard", "--data-dir", str(tmp_path), str(garbage.seq))
    assert twice.returncode == 1 and "not dead letters" in twice.stderr


def test_backlog_alarm_is_raised_on_the_oldest_frames_age_repeated_while_it_lasts_and_cleared_when_it_drains(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from local.app import BACKLOG_ALARM, Platform
    from local.config import load

    # Given a platform whose alarm age is 0.3 s (its lines every 0.5 s), and a frame decode has not taken for longer
    settings, _ = load({"data_dir": str(tmp_path), "backlog_alarm_s": "0.3", "log_every_s": "0.5"}, env={})
    platform = Platform(settings)
    platform.queue = FrameQueue(tmp_path / "queue.db")
    platform.decode_workers = []
    platform.queue.append(_records("kinesis_frame_batch.json")[:1])
    platform._check_backlog()
    assert not platform.backlog_alarm
    _wait(lambda: platform.queue.oldest_age() > 0.4, 10, "the frame to age")
    # When the backlog is checked, Then the operator alarm is raised once, with the age
    with caplog.at_level("WARNING", logger="local"):
        platform._check_backlog()
        platform._check_backlog()
        assert platform.backlog_alarm
        assert [r.message for r in caplog.records] == [BACKLOG_ALARM]
        # And while it lasts its line comes again once a period (the county host's alarm counts it per minute)
        time.sleep(0.55)
        platform._check_backlog()
        platform._check_backlog()
        assert [r.message for r in caplog.records] == [BACKLOG_ALARM] * 2
        # And once decode caught up it is cleared
        platform.queue.done([q.seq for q in platform.queue.take(10)])
        platform._check_backlog()
    assert not platform.backlog_alarm and caplog.records[-1].message == "decode backlog alarm cleared"
    assert BACKLOG_ALARM == "operator alarm: decode backlog"
    platform.queue.close()


def test_a_queue_at_its_disk_reserve_is_logged_while_it_refuses(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from local.app import Platform
    from local.config import load
    from local.queue import RESERVE_REFUSING

    # Given the listener's queue with a 1 MiB reserve on a volume (its free space injected) with room
    settings, _ = load({"data_dir": str(tmp_path), "log_every_s": "0.3", "queue_reserve_mb": "1"}, env={})
    platform = Platform(settings)
    free = [10 * 2**20]
    platform.queue = FrameQueue(tmp_path / "queue.db", reserve_bytes=2**20, free=lambda _: free[0])
    platform.archive_workers = []
    platform.bucket_workers = []
    platform._check_reserve()
    assert not platform._reserve.holds
    # When the volume is down to its reserve, Then the runner says so, again each period while it lasts
    free[0] = 2**19
    with caplog.at_level("WARNING", logger="local"):
        platform._check_reserve()
        platform._check_reserve()
        time.sleep(0.35)
        platform._check_reserve()
        assert [r.message for r in caplog.records] == [RESERVE_REFUSING] * 2
        assert caplog.records[0].fields["reserve_mb"] == 1  # type: ignore[attr-defined]
        # And when room is back it says that once
        free[0] = 2 * 2**20
        platform._check_reserve()
        platform._check_reserve()
    assert [r.message for r in caplog.records][2:] == ["disk reserve restored; queue accepting frames"]
    platform.queue.close()


def test_dead_frames_are_logged_while_any_is_set_aside_and_cleared_once_requeued(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from local.app import DEAD_FRAMES, Platform
    from local.config import load

    # Given a platform (its lines every 0.3 s) whose queue has no dead letters
    settings, _ = load({"data_dir": str(tmp_path), "log_every_s": "0.3"}, env={})
    platform = Platform(settings)
    platform.queue = FrameQueue(tmp_path / "queue.db")
    platform.queue.append([{"v": 1, "mn": MN, "raw": "garbage"}])
    platform._check_dead_frames()
    assert not platform._dead.holds
    # When decode sets a record aside, Then the runner says so, with the id and reason, again each period
    (queued,) = platform.queue.take(1)
    assert platform.queue.set_aside(queued.seq, reason="not a frame record", error="Traceback …")
    with caplog.at_level("WARNING", logger="local"):
        platform._check_dead_frames()
        platform._check_dead_frames()
        time.sleep(0.35)
        platform._check_dead_frames()
        assert [r.message for r in caplog.records] == [DEAD_FRAMES] * 2
        fields = caplog.records[0].fields  # type: ignore[attr-defined]
        assert fields["dead"] == 1 and fields["newest"] == [f"{queued.seq} {MN}: not a frame record"], fields
        # And once the operator requeued it (python -m local dead-letters requeue), it says that once
        assert platform.queue.requeue(None) == [queued.seq]
        platform._check_dead_frames()
        platform._check_dead_frames()
    assert [r.message for r in caplog.records][2:] == ["dead frames cleared"]
    assert DEAD_FRAMES == "dead frames present"
    platform.queue.close()
