"""The frame queue's two cursors: with the S3 archive on, a frame stays until decode and the archive both took it."""

from __future__ import annotations

import time
from pathlib import Path

from local.queue import FrameQueue


def _records(n: int, mn: str = "MN1") -> list[dict[str, str]]:
    return [{"mn": mn, "received_at": f"2026-12-06T00:00:{i:02d}+00:00", "raw": f"frame {i}"} for i in range(n)]


def _rows(q: FrameQueue) -> list[tuple[int, int, int]]:
    return [tuple(r) for r in q._conn.execute("SELECT id, decoded, archived FROM frames ORDER BY id")]


def test_a_decoded_frame_waits_for_the_archive_and_an_archived_one_for_decode(tmp_path: Path) -> None:
    q = FrameQueue(tmp_path / "queue.db", archive=True)
    q.append(_records(4))
    # decode takes 1-2, the archive's cut 1-3
    assert q.done([1, 2]) == 2
    cut = q.cut(3)
    assert cut is not None and (cut.first, cut.last) == (1, 3) and [f[0] for f in cut.frames] == [1, 2, 3]
    assert q.archived(cut) == 3
    # 1-2 are gone, 3 waits for decode, 4 for both; decode's view skips nothing and repeats nothing
    assert _rows(q) == [(3, 0, 1), (4, 0, 0)]
    assert [f.seq for f in q.take(10)] == [3, 4] and q.depth() == 2
    q.done([3, 4])
    assert _rows(q) == [(4, 1, 0)] and q.depth() == 0 and q.oldest_received_at() is None
    assert q.unarchived()[0] == 1
    q.close()


def test_a_cut_begun_before_a_crash_is_the_same_cut_after_it(tmp_path: Path) -> None:
    q = FrameQueue(tmp_path / "queue.db", archive=True)
    q.append(_records(3))
    first = q.cut(10)
    q.close()
    # frames arriving after the crash do not join the begun cut: its objects' keys stay the same
    q = FrameQueue(tmp_path / "queue.db", archive=True)
    q.append(_records(2, mn="MN2"))
    again = q.cut(10)
    assert again == first
    q.archived(again)
    later = q.cut(10)
    assert later is not None and (later.first, later.last) == (4, 5)
    q.close()


def test_without_the_archive_a_decoded_frame_is_removed_at_once(tmp_path: Path) -> None:
    q = FrameQueue(tmp_path / "queue.db", archive=False)
    q.append(_records(2))
    q.done([1, 2])
    assert _rows(q) == [] and q.cut(10) is None
    q.close()


def test_switching_the_archive_off_releases_frames_waiting_only_for_it(tmp_path: Path) -> None:
    q = FrameQueue(tmp_path / "queue.db", archive=True)
    q.append(_records(2))
    q.done([1])
    q.close()
    q = FrameQueue(tmp_path / "queue.db", archive=False)
    assert _rows(q) == [(2, 0, 1)]
    q.close()


def test_a_poison_frame_set_aside_is_still_archived_and_a_requeued_one_decoded_again(tmp_path: Path) -> None:
    q = FrameQueue(tmp_path / "queue.db", archive=True)
    q.append(_records(2))
    assert q.set_aside(1, reason="poison", error="trace")
    assert [f.seq for f in q.take(10)] == [2]
    cut = q.cut(10)
    assert cut is not None and [f[0] for f in cut.frames] == [1, 2]  # the archive keeps every frame, as Kinesis's does
    assert q.requeue([1]) == [1]
    assert [f.seq for f in q.take(10)] == [1, 2]
    q.archived(cut)
    q.done([1, 2])
    assert _rows(q) == [] and q.counters()["dead"] == 0
    q.close()


def test_a_requeued_poison_frame_still_waiting_for_the_archive_keeps_its_arrival_time(tmp_path: Path) -> None:
    q = FrameQueue(tmp_path / "queue.db", archive=True)
    q.append(_records(1))
    (arrived,) = q._conn.execute("SELECT queued_at FROM frames WHERE id = 1").fetchone()
    assert q.set_aside(1, reason="poison", error="bad")  # decode gave up on it; the archive has not cut it yet
    time.sleep(0.01)
    assert q.requeue([1]) == [1]
    # decode takes it again; the archive's cut (whose object key and partition follow the arrival) is unchanged
    assert q._conn.execute("SELECT queued_at, decoded, archived FROM frames WHERE id = 1").fetchone() == (arrived, 0, 0)
    q.close()
