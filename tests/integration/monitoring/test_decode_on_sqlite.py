"""Decode on the real sqlite store: one batch is one transaction; a failed batch leaves nothing and replays whole."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from monitoring.clock import FixedClock
from monitoring.errors import StorageUnavailableError
from monitoring.ingest.decode import Decoder
from monitoring.profiles.loader import DEFAULT_DIR, build_profiles, read_sources
from monitoring.profiles.models import Profile
from monitoring.readings.models import ReadingKind
from monitoring.storage.ports import Store
from monitoring.storage.sqlite import open_store
from tests.unit.monitoring.ingest.conftest import MN, NOW, frame, record, register

pytestmark = pytest.mark.integration


def _realtime(second: int) -> bytes:
    cp = f"DataTime=2026112818{33 + second // 60:02d}{second % 60:02d};Ua01-Rtd=231.2;Ia01-Rtd=12.5;EPf01-Rtd=100.5"
    return record(frame("2011", cp, qn=f"2026112818334500{second:02d}"), at=NOW + timedelta(seconds=second))


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def profiles() -> dict[str, Profile]:
    return build_profiles(read_sources(DEFAULT_DIR))


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    store = open_store(tmp_path / "decode.db", clock=FixedClock(NOW))
    yield store
    store.close()


def _statements(store: Store) -> list[str]:
    seen: list[str] = []
    conn = store.archive._db.conn  # type: ignore[attr-defined]
    conn.set_trace_callback(seen.append)
    return seen


def test_flush_on_sqlite_commits_a_batch_once(
    sqlite_store: Store, clock: FixedClock, profiles: dict[str, Profile]
) -> None:
    # Given a registered terminal and a batch of ten real-time frames
    register(sqlite_store)
    decoder = Decoder(sqlite_store, clock, profiles)
    for second in range(0, 50, 5):
        decoder.decode(_realtime(second))
    seen = _statements(sqlite_store)
    # When the batch is flushed
    report = decoder.flush()
    # Then archive, readings, latest and terminal state went into one transaction with one commit
    assert report.readings_new == 10
    assert [s for s in seen if s.startswith(("BEGIN", "COMMIT"))] == ["BEGIN IMMEDIATE", "COMMIT"]
    assert len(sqlite_store.archive.frames(MN, NOW, NOW + timedelta(minutes=1))) == 10
    assert sqlite_store.registry.find_terminal(MN).last_frame_at is not None  # type: ignore[union-attr]


def test_flush_on_sqlite_failing_late_rolls_back_the_whole_batch_and_replays(
    sqlite_store: Store, clock: FixedClock, profiles: dict[str, Profile], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a batch whose terminal-state write (after archive and readings) fails
    register(sqlite_store)
    batch = [_realtime(s) for s in range(0, 30, 5)]

    def broken(mn: str, at: datetime, **_: object) -> None:
        raise StorageUnavailableError("disk full")

    decoder = Decoder(sqlite_store, clock, profiles)
    for rec in batch:
        decoder.decode(rec)
    monkeypatch.setattr(sqlite_store.registry, "record_terminal_seen", broken)
    # When the flush fails
    with pytest.raises(StorageUnavailableError):
        decoder.flush()
    # Then nothing of the batch is stored, not even the archive (the queue keeps the batch)
    assert sqlite_store.archive.frames(MN, NOW, NOW + timedelta(minutes=1)) == []
    assert sqlite_store.readings.latest("p-0001-01", ReadingKind.REALTIME) is None
    # And when the batch is redelivered to a working store, it is stored once, whole
    monkeypatch.undo()
    retry = Decoder(sqlite_store, clock, profiles)
    for rec in batch:
        retry.decode(rec)
    assert retry.flush().readings_new == 6
    assert len(sqlite_store.archive.frames(MN, NOW, NOW + timedelta(minutes=1))) == 6
