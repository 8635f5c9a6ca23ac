"""The county host's reading buffer (readings.db): idempotent durable inserts, closed buckets, flushed marks,
pruning `keep` after the flush, the horizon from which it holds every reading (kept across a short restart, started
over on a stale or retired file), and sqlite errors raised as storage outages."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from local import reading_buffer
from local.reading_buffer import KEEP, MARGIN, DueBucket, ReadingBuffer, retire, unflushed_left
from monitoring.clock import FixedClock
from monitoring.errors import InvalidInputError, StorageUnavailableError
from monitoring.readings.models import Reading, ReadingKind

T0 = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
MINUTES = 5


def five_minutes(point_id: str, at: datetime) -> datetime:
    """Buckets aligned on the hour (the layout's own offsets are reading_buckets.py's; any function will do)."""
    return at.replace(minute=at.minute - at.minute % MINUTES, second=0, microsecond=0)


def reading(minute: int, point: str = "p1", kind: ReadingKind = ReadingKind.MINUTE, ua: float = 230.0) -> Reading:
    at = T0 + timedelta(minutes=minute)
    return Reading(point, at, kind, {"ua": ua, "p": 4.5}, {"ua": "N", "p": "N"}, {}, "MN01", at + timedelta(seconds=3))


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def buffer(tmp_path: Path, clock: FixedClock) -> ReadingBuffer:
    return ReadingBuffer(tmp_path / "readings.db", five_minutes, MINUTES, clock)


def test_an_insert_is_idempotent_and_says_which_readings_are_new(buffer: ReadingBuffer) -> None:
    assert buffer.insert([reading(0), reading(1), reading(1)]) == [True, True, False]  # twice in one batch: once
    assert buffer.insert([reading(1), reading(2), reading(1, point="p2")]) == [False, True, True]
    # a redelivery with other values is still the same reading (identity: point, kind, data time); the first stays
    assert buffer.insert([reading(0, ua=999.0)]) == [False]
    got = buffer.readings("p1", ReadingKind.MINUTE, T0, T0 + timedelta(minutes=10), 100)
    assert [(r.data_time, r.values["ua"]) for r in got] == [(T0 + timedelta(minutes=m), 230.0) for m in (0, 1, 2)]
    assert got[0] == reading(0)  # every field round-trips (compact body)


def test_what_the_compact_body_cannot_carry_still_round_trips(buffer: ReadingBuffer) -> None:
    odd = Reading("p1", T0, ReadingKind.REALTIME, {"ua": 1.0}, {"ua": "N"}, {}, "MN\n01", None)  # a line break
    assert buffer.insert([odd]) == [True]
    assert buffer.readings("p1", ReadingKind.REALTIME, T0, T0 + timedelta(minutes=1), 10) == [odd]


def test_an_insert_is_durable_when_it_returns(tmp_path: Path, buffer: ReadingBuffer, clock: FixedClock) -> None:
    buffer.insert([reading(0)])
    # another connection (another process: the rules worker, the flusher) sees it at once, without a close
    other = sqlite3.connect(tmp_path / "readings.db")
    assert other.execute("SELECT count(*) FROM readings").fetchone() == (1,)
    assert buffer._conn.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL: fsync'd at commit
    assert buffer._conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    buffer.close()
    reopened = ReadingBuffer(tmp_path / "readings.db", five_minutes, MINUTES, clock)
    assert reopened.insert([reading(0)]) == [False]


def test_only_closed_buckets_with_unflushed_rows_are_due(buffer: ReadingBuffer) -> None:
    buffer.insert([reading(m) for m in (0, 1, 4, 5, 6)] + [reading(2, kind=ReadingKind.REALTIME)])
    grace = timedelta(seconds=60)
    # the 02:00 bucket ends at 02:05: due from 02:06 (grace), the 02:05 one from 02:11
    assert buffer.due(T0 + timedelta(minutes=5, seconds=59), grace) == []
    first = [DueBucket("p1", ReadingKind.MINUTE, T0), DueBucket("p1", ReadingKind.REALTIME, T0)]
    assert buffer.due(T0 + timedelta(minutes=6), grace) == first
    rows = buffer.bucket_rows(first[0])
    assert [at for at, _ in rows] == [T0 + timedelta(minutes=m) for m in (0, 1, 4)]
    # a row that arrives after the rows were read is not marked with them: the bucket stays due for it
    buffer.insert([reading(3)])
    assert buffer.mark_flushed(first[0], [at for at, _ in rows], T0 + timedelta(minutes=6)) == 3
    assert buffer.due(T0 + timedelta(minutes=6), grace)[0] == first[0]
    assert len(buffer.bucket_rows(first[0])) == 4  # every row of the bucket, flushed or not
    buffer.mark_flushed(first[0], [T0 + timedelta(minutes=3)], T0 + timedelta(minutes=7))
    assert buffer.due(T0 + timedelta(minutes=7), grace) == [first[1]]
    assert buffer.counts()["unflushed"] == 3  # the real-time row and the 02:05 bucket's two


def test_flushed_rows_are_kept_keep_after_their_flush_and_unflushed_ones_forever(buffer: ReadingBuffer) -> None:
    buffer.insert([reading(0), reading(1), reading(5)])
    flushed_at = T0 + timedelta(minutes=6)
    buffer.mark_flushed(DueBucket("p1", ReadingKind.MINUTE, T0), [T0], flushed_at)
    assert buffer.prune(flushed_at + KEEP - timedelta(seconds=1)) == 0
    assert buffer.prune(flushed_at + KEEP + timedelta(seconds=1)) == 1
    assert buffer.prune(flushed_at + 10 * KEEP) == 0  # never flushed: never pruned (DynamoDB does not have them)
    left = buffer.readings("p1", ReadingKind.MINUTE, T0, T0 + timedelta(hours=1), 10)
    assert [r.data_time for r in left] == [T0 + timedelta(minutes=1), T0 + timedelta(minutes=5)]


def test_a_running_buffer_keeps_its_horizon_across_a_short_restart(tmp_path: Path, clock: FixedClock) -> None:
    # Given a buffer in use for an hour (decode inserting: each insert moves last_alive)
    path = tmp_path / "readings.db"
    first = ReadingBuffer(path, five_minutes, MINUTES, clock)
    assert first.complete_since == T0
    for minute in range(60):
        clock.set(T0 + timedelta(minutes=minute, seconds=30))
        first.insert([reading(minute)])
    first.close()
    # When the platform restarts a few seconds later (another process opens it: the same)
    clock.advance(timedelta(seconds=20))
    again = ReadingBuffer(path, five_minutes, MINUTES, clock)
    # Then it still holds everything since it began
    assert again.complete_since == T0 and again.horizon() == T0
    clock.advance(timedelta(hours=5))
    assert again.horizon() == clock.now() - KEEP + MARGIN  # later: what pruning has left, with the margin


def test_the_flushers_pass_keeps_an_idle_buffer_alive(tmp_path: Path, clock: FixedClock) -> None:
    path = tmp_path / "readings.db"
    buffer = ReadingBuffer(path, five_minutes, MINUTES, clock)
    for _ in range(30):  # half an hour without a reading (no terminal sends), a flush pass every minute
        clock.advance(timedelta(minutes=1))
        buffer.touch(clock.now())
    clock.advance(timedelta(seconds=10))
    assert ReadingBuffer(path, five_minutes, MINUTES, clock).complete_since == T0


def test_an_old_file_starts_its_horizon_over(tmp_path: Path, clock: FixedClock) -> None:
    # Given a buffer last alive at T0 + 10 min: e.g. the volume restored from that snapshot, or a long stop;
    # readings flushed after it are only in DynamoDB
    path = tmp_path / "readings.db"
    buffer = ReadingBuffer(path, five_minutes, MINUTES, clock)
    clock.advance(timedelta(minutes=10))
    buffer.insert([reading(9)])
    buffer.close()
    # When it is opened more than a bucket plus the flush grace later
    clock.advance(timedelta(minutes=MINUTES + 1, seconds=1))
    reopened = ReadingBuffer(path, five_minutes, MINUTES, clock)
    # Then it holds every reading only from now on, and says so to every process that opens it next
    assert reopened.complete_since == clock.now() == reopened.horizon()
    clock.advance(timedelta(seconds=5))
    assert ReadingBuffer(path, five_minutes, MINUTES, clock).complete_since == reopened.complete_since
    assert reopened.rows() == 1  # its rows are kept (flushed in their time)


def test_buckets_switched_off_and_on_again_start_the_horizon_over(tmp_path: Path, clock: FixedClock) -> None:
    # Given a buffer in use, then a start with buckets off (retired: decode writes per-minute items meanwhile),
    # with its leftover rows flushed by a buffer opened not live, its passes touching it
    path = tmp_path / "readings.db"
    ReadingBuffer(path, five_minutes, MINUTES, clock).insert([reading(0)])
    clock.advance(timedelta(seconds=30))
    retire(path)
    leftover = ReadingBuffer(path, five_minutes, MINUTES, clock, live=False)
    clock.advance(timedelta(seconds=30))
    leftover.touch(clock.now())
    leftover.close()
    # When buckets are switched on again a minute later (well within a bucket plus the grace)
    clock.advance(timedelta(minutes=1))
    back = ReadingBuffer(path, five_minutes, MINUTES, clock)
    # Then its horizon starts over: the per-minute items written while off are read from DynamoDB
    assert back.complete_since == clock.now()
    retire(tmp_path / "none.db")  # no file: nothing to do
    assert not (tmp_path / "none.db").exists()


def test_a_file_left_without_its_tables_does_not_stop_a_start(tmp_path: Path, clock: FixedClock) -> None:
    # A crash between creating readings.db and its schema on a first start: an empty file
    path = tmp_path / "readings.db"
    path.touch()
    assert unflushed_left(path) == 0
    retire(path)
    assert ReadingBuffer(path, five_minutes, MINUTES, clock).insert([reading(0)]) == [True]
    assert unflushed_left(path) == 1


def test_sqlite_errors_are_storage_outages(tmp_path: Path, clock: FixedClock, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given another connection holding the write lock past the (shortened) busy timeout
    monkeypatch.setattr(reading_buffer, "BUSY_TIMEOUT_S", 0.2)
    path = tmp_path / "readings.db"
    buffer = ReadingBuffer(path, five_minutes, MINUTES, clock)
    buffer.insert([reading(0)])
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        # Then the inserts, marks, prunes and heartbeat raise the domain's outage (decode keeps its batch queued)
        bucket = DueBucket("p1", ReadingKind.MINUTE, T0)
        for call in (
            lambda: buffer.insert([reading(1)]),
            lambda: buffer.mark_flushed(bucket, [T0], T0),
            lambda: buffer.prune(T0 + KEEP * 2),
            lambda: buffer.touch(T0),
        ):
            with pytest.raises(StorageUnavailableError, match="locked"):
                call()
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert buffer.insert([reading(1)]) == [True]  # the lock gone, it works again
    buffer.close()
    # And a file that is not a database is an outage too (an operator's matter), not a poison record
    path.write_bytes(b"not a database" * 100)
    Path(f"{path}-wal").unlink(missing_ok=True)
    with pytest.raises(StorageUnavailableError):
        ReadingBuffer(path, five_minutes, MINUTES, clock)


def test_hostile_input_is_refused(tmp_path: Path, buffer: ReadingBuffer, clock: FixedClock) -> None:
    naive = datetime(2026, 12, 7, 2, 0)
    for call in (lambda: buffer.prune(naive), lambda: buffer.horizon(naive), lambda: buffer.due(naive, KEEP)):
        with pytest.raises(InvalidInputError, match="naive"):
            call()
    with pytest.raises(InvalidInputError, match="naive"):
        buffer.mark_flushed(DueBucket("p1", ReadingKind.MINUTE, T0), [], naive)
    with pytest.raises(InvalidInputError, match="hour"):
        buffer.insert([reading(0, kind=ReadingKind.HOUR)])
    wrong = ReadingBuffer(tmp_path / "other.db", lambda p, at: at - timedelta(minutes=7), MINUTES, clock)
    with pytest.raises(ValueError, match="does not hold"):
        wrong.insert([reading(0)])
    assert wrong.rows() == 0
    with pytest.raises(ValueError, match="minutes"):
        ReadingBuffer(tmp_path / "x.db", five_minutes, 0, clock)
    with pytest.raises(ValueError, match="keep"):
        ReadingBuffer(tmp_path / "x.db", five_minutes, MINUTES, clock, keep=timedelta(minutes=5))
