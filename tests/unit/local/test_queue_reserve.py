"""The frame queue's disk reserve: below it append refuses, while decode's and the archive's marks and deletes go on
and free room that appends then reuse (the volume's free space is injected; tests/integration/local has a real one)."""

from __future__ import annotations

from pathlib import Path

import pytest

from local.queue import RESERVE_REFUSING, FrameQueue, ReserveReached

MIB = 2**20


def _records(n: int) -> list[dict[str, str]]:
    return [{"mn": "MN1", "received_at": "2026-12-06T00:00:00+00:00", "raw": "x" * 2000} for _ in range(n)]


class Volume:
    """The volume's free bytes as the queue's probe reads them."""

    def __init__(self, free: int) -> None:
        self.free = free
        self.asked: list[str] = []

    def __call__(self, directory: str) -> int:
        self.asked.append(directory)
        return self.free


def test_append_refuses_below_the_reserve_and_decode_and_archive_still_free_rows(tmp_path: Path) -> None:
    volume = Volume(300 * MIB)
    q = FrameQueue(tmp_path / "queue.db", archive=True, reserve_bytes=256 * MIB, free=volume)
    q.append(_records(200))
    assert volume.asked[-1] == str(tmp_path)  # the queue's own directory: the volume it grows on
    # When the volume is down to its reserve, Then append refuses and adds nothing
    volume.free = 256 * MIB - 200_000  # less than the 200 frames will free
    with pytest.raises(ReserveReached, match=RESERVE_REFUSING):
        q.append(_records(1))
    assert q.depth() == 200 and q.counters()["appended"] == 200
    assert q.reserve_reached() is not None
    # And decode's mark and the archive's cut and mark still commit, and free the rows
    assert q.done([f.seq for f in q.take(500)]) == 200
    cut = q.cut(500)
    assert cut is not None and q.archived(cut) == 200
    assert q.depth() == 0 and q._conn.execute("SELECT count(*) FROM frames").fetchone()[0] == 0
    # Then the pages those rows held count as room (the file does not shrink): append takes frames again
    assert q.reserve_reached() is None
    q.append(_records(10))
    assert q.depth() == 10
    q.close()


def test_a_reserve_of_zero_never_refuses_and_free_volume_is_not_read(tmp_path: Path) -> None:
    volume = Volume(0)
    q = FrameQueue(tmp_path / "queue.db", reserve_bytes=0, free=volume)
    q.append(_records(1))
    assert q.reserve_reached() is None and volume.asked == []
    q.close()


def test_room_is_the_volumes_free_space_plus_the_files_free_pages(tmp_path: Path) -> None:
    volume = Volume(10 * MIB)
    q = FrameQueue(tmp_path / "queue.db", reserve_bytes=MIB, free=volume)
    q.append(_records(100))  # ≈ 200 kB of rows
    q.done([f.seq for f in q.take(500)])  # deleted at once (no archive): their pages are free in the file
    volume.free = 0
    room = q.reserve_reached()
    assert room is not None and 100_000 < room < MIB  # the free pages, below the reserve: still refusing
    q.close()
