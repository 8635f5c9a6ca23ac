"""The county host's minute readings on its own disk (`DATA_DIR/readings.db`) until they are written to DynamoDB
as one bucket item per point per N minutes (local/bucket_flusher.py), and `BufferedReadings`, the readings port
over this buffer and the DynamoDB readings repository.

More: docs/local.md, "Module notes" (reading_buffer).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Container, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from monitoring._time import require_utc, to_micros
from monitoring.clock import Clock
from monitoring.errors import InvalidInputError
from monitoring.readings.models import (
    Aggregate,
    AggregatePeriod,
    Completeness,
    Reading,
    ReadingKind,
    ValueRow,
)
from monitoring.storage.base.readings import check_range, value_names, value_rows
from monitoring.storage.dynamodb._client import time_key
from monitoring.storage.dynamodb.compact import reading_body, reading_from_body
from monitoring.storage.dynamodb.reading_buckets import bucket_start
from monitoring.storage.sqlite.db import begin_immediate, translate

BUFFER_FILE = "readings.db"
BUFFERED_KINDS = frozenset({ReadingKind.MINUTE, ReadingKind.REALTIME})  # HOUR and DAY readings go straight through
KEEP = timedelta(hours=3)  # after a row is flushed: longer than the rules' windows (≈ 80 min) plus a bucket
# Reads within the buffer's horizon stay this far inside it: another process may prune meanwhile (same timeline)
MARGIN = timedelta(minutes=5)
BUSY_TIMEOUT_S = 10.0  # decode workers insert, the flusher marks and prunes: several processes write
# The flusher's wait after a bucket's end before writing it. Also the shortest time from a reading's insert to its
# flush, hence part of when a file counts as stale at open (ReadingBuffer: `last_alive`).
FLUSH_GRACE = timedelta(seconds=60)
SCHEMA = """
CREATE TABLE IF NOT EXISTS readings (
    point TEXT NOT NULL, kind TEXT NOT NULL, data_time INTEGER NOT NULL,  -- times: µs since the epoch (UTC)
    bucket INTEGER NOT NULL, closes INTEGER NOT NULL,                    -- the bucket's start and end
    body BLOB NOT NULL,                                                   -- compact reading body (else zlib JSON)
    flushed_at INTEGER,                                                   -- when it was flushed; NULL: not yet
    PRIMARY KEY (point, kind, data_time)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS readings_unflushed ON readings (closes) WHERE flushed_at IS NULL;
CREATE INDEX IF NOT EXISTS readings_flushed ON readings (flushed_at) WHERE flushed_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
PRUNE_ROWS = 5_000  # per delete statement: a prune never holds the write lock long against decode


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
BucketOf = Callable[[str, datetime], datetime]  # (point_id, data_time) → the start of its bucket


@contextmanager
def _translated() -> Iterator[None]:
    """sqlite errors as the domain's, as the sqlite store's `Database` does: locked beyond the busy timeout, disk
    full, I/O error → StorageUnavailableError, so decode keeps its batch queued and the flusher retries (an outage),
    instead of setting frames aside as poison."""
    try:
        yield
    except sqlite3.Error as exc:
        raise translate(exc) from exc


def _us(value: datetime) -> int:
    return to_micros(require_utc(value, "time"))


def _time(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


@dataclass(frozen=True, slots=True)
class DueBucket:
    """A closed bucket with rows not yet flushed."""

    point_id: str
    kind: ReadingKind
    start: datetime


class ReadingBuffer:
    """A sqlite file of readings keyed on (point, kind, data_time), each with its bucket and a flushed mark.

    Inserts are idempotent and durable when they return (WAL, synchronous=FULL): decode marks its frames decoded
    only after that. Rows are kept `keep` after their flush, then pruned, so the buffer holds every reading from
    `horizon()` on: a window starting there is answered here alone. Thread-safe (one connection behind a lock);
    each process opens its own. sqlite errors are raised as the domain's (`_translated`).

    `complete_since` (meta) is when the file last began holding every buffered reading; `last_alive` (meta) is
    moved by every insert and flush pass (`touch`). Opened live (buckets on), a file whose `last_alive` is missing
    (buckets were switched off meanwhile: `retire`) or older than a bucket plus the flush grace (`stale_after`: a
    restore of the volume from an older snapshot, or a long stop) starts over: `complete_since` = now, since
    readings may have reached DynamoDB without passing through it. Opened not live (buckets off, only to flush what
    is left) it is retired at once."""

    def __init__(
        self,
        path: str | Path,
        bucket_of: BucketOf,
        minutes: int,
        clock: Clock,
        *,
        keep: timedelta = KEEP,
        live: bool = True,
        stale_after: timedelta | None = None,
    ):
        if not 1 <= minutes <= 60:
            raise ValueError(f"bucket minutes must be within 1..60, got {minutes}")
        if keep < timedelta(minutes=minutes) + MARGIN:
            raise ValueError(f"keep must exceed a bucket plus {MARGIN}, got {keep}")
        self.path, self.bucket_of, self.clock, self.keep = Path(path), bucket_of, clock, keep
        self.span = timedelta(minutes=minutes)
        self.stale_after = self.span + FLUSH_GRACE if stale_after is None else stale_after
        self.sizes: tuple[int, ...] = (minutes,)  # bucket sizes used with this file, the current one first (`_begin`)
        self._lock = threading.Lock()
        with _translated():
            self._conn = sqlite3.connect(
                str(path), isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_S
            )
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=FULL")
            self._conn.executescript(SCHEMA)
            with self._transaction() as conn:
                self.complete_since = self._begin(conn, clock.now(), live=live)

    def _begin(self, conn: sqlite3.Connection, now: datetime, *, live: bool) -> datetime:
        """At open: `complete_since`, moved to `now` when the file may have missed readings (see the class)."""
        meta = dict(conn.execute("SELECT name, value FROM meta").fetchall())
        since = datetime.fromisoformat(meta["complete_since"]).astimezone(UTC) if "complete_since" in meta else None
        if not live:
            conn.execute("DELETE FROM meta WHERE name = 'last_alive'")
            return since or now
        alive = datetime.fromisoformat(meta["last_alive"]).astimezone(UTC) if "last_alive" in meta else None
        if since is None or alive is None or not now - self.stale_after <= alive <= now + self.stale_after:
            since = now
            conn.execute("INSERT OR REPLACE INTO meta VALUES ('complete_since', ?)", (now.isoformat(),))
        conn.execute("INSERT OR REPLACE INTO meta VALUES ('last_alive', ?)", (now.isoformat(),))
        # the bucket sizes this file was used with: an old reading may sit in a bucket of any of them
        minutes = self.span // timedelta(minutes=1)
        used = {int(m) for m in meta.get("sizes", "").split(",") if m.isdigit()} | {minutes}
        self.sizes = (minutes, *sorted(used - {minutes}))
        conn.execute("INSERT OR REPLACE INTO meta VALUES ('sizes', ?)", (",".join(map(str, sorted(used))),))
        return since

    def close(self) -> None:
        with self._lock, _translated():
            self._conn.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with _translated():
            begin_immediate(self._conn, timeout_s=BUSY_TIMEOUT_S, busy_timeout_ms=int(BUSY_TIMEOUT_S * 1000))
            try:
                yield self._conn
                self._conn.execute("COMMIT")
            except BaseException:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise

    def _touch(self, conn: sqlite3.Connection, now: datetime) -> None:
        """Move `last_alive` (not on a retired file: the row is gone, and stays gone until a live open)."""
        conn.execute("UPDATE meta SET value = ? WHERE name = 'last_alive'", (now.isoformat(),))

    def touch(self, now: datetime) -> None:
        """The flusher's heartbeat at each pass: the file is in use (see the class)."""
        with self._lock, self._transaction() as conn:
            self._touch(conn, require_utc(now, "now"))

    def horizon(self, now: datetime | None = None) -> datetime:
        """The earliest data time from which the buffer holds every reading (with a margin against a concurrent
        prune): a window starting here or later needs nothing else."""
        now = self.clock.now() if now is None else require_utc(now, "now")
        return max(self.complete_since, now - self.keep + MARGIN)

    # ---- writes ------------------------------------------------------------------------------------------
    def insert(self, readings: Sequence[Reading]) -> list[bool]:
        """Store each reading unless its (point, kind, data_time) is here; True where new. One transaction,
        durable when this returns; a reading repeated in `readings` is new once."""
        rows = []
        for r in readings:
            if r.kind not in BUFFERED_KINDS:
                raise InvalidInputError(f"reading buffer holds minute and real-time readings, not {r.kind.value}")
            at = require_utc(r.data_time, "reading.data_time")
            start = require_utc(self.bucket_of(r.point_id, at), "bucket start")
            if not start <= at < start + self.span:
                raise ValueError(f"bucket {start} does not hold {at}")  # a wrong bucket_of: never store it
            rows.append((r.point_id, r.kind.value, _us(at), _us(start), _us(start + self.span), reading_body(r)))
        new: list[bool] = []
        with self._lock, self._transaction() as conn:
            self._touch(conn, self.clock.now())
            for row in rows:
                cur = conn.execute("INSERT OR IGNORE INTO readings VALUES (?, ?, ?, ?, ?, ?, NULL)", row)
                new.append(cur.rowcount == 1)
        return new

    def mark_flushed(self, bucket: DueBucket, times: Sequence[datetime], at: datetime) -> int:
        """Mark the rows of `bucket` at `times` flushed at `at` (only those: a row inserted since was not written)."""
        flushed = to_micros(require_utc(at, "at"))
        args = [(flushed, bucket.point_id, bucket.kind.value, _us(t)) for t in times]
        with self._lock, self._transaction() as conn:
            cur = conn.executemany(
                "UPDATE readings SET flushed_at = ? WHERE point = ? AND kind = ? AND data_time = ? "
                "AND flushed_at IS NULL",
                args,
            )
            return int(cur.rowcount)

    def prune(self, now: datetime) -> int:
        """Delete rows flushed more than `keep` before `now`; returns how many."""
        before = to_micros(require_utc(now, "now") - self.keep)
        removed = 0
        while True:
            with self._lock, self._transaction() as conn:
                cur = conn.execute(
                    "DELETE FROM readings WHERE (point, kind, data_time) IN (SELECT point, kind, data_time FROM "
                    "readings WHERE flushed_at IS NOT NULL AND flushed_at < ? LIMIT ?)",
                    (before, PRUNE_ROWS),
                )
                removed += int(cur.rowcount)
            if cur.rowcount < PRUNE_ROWS:
                return removed

    # ---- reads -------------------------------------------------------------------------------------------
    def _select(self, sql: str, args: Sequence[Any]) -> list[Any]:
        with self._lock, _translated():
            return self._conn.execute(sql, args).fetchall()

    def _rows(self, sql: str, args: Sequence[Any]) -> list[tuple[datetime, bytes]]:
        return [(_time(us), body) for us, body in self._select(sql, args)]

    def due(self, now: datetime, grace: timedelta, *, limit: int = 100_000) -> list[DueBucket]:
        """Buckets that closed `grace` before `now` and have unflushed rows, oldest first."""
        until = to_micros(require_utc(now, "now") - grace)
        rows = self._select(
            "SELECT DISTINCT point, kind, bucket FROM readings WHERE flushed_at IS NULL AND closes <= ? "
            "ORDER BY bucket, point, kind LIMIT ?",
            (until, limit),
        )
        return [DueBucket(p, ReadingKind(k), _time(b)) for p, k, b in rows]

    def closing(self, after: datetime, until: datetime) -> int:
        """How many buckets with unflushed rows closed in (after, until]: the flusher's on-time flow."""
        rows = self._select(
            "SELECT COUNT(*) FROM (SELECT DISTINCT point, kind, bucket FROM readings WHERE flushed_at IS NULL "
            "AND closes > ? AND closes <= ?)",
            (to_micros(require_utc(after, "after")), to_micros(require_utc(until, "until"))),
        )
        return int(rows[0][0])

    def bucket_rows(self, bucket: DueBucket) -> list[tuple[datetime, bytes]]:
        """Every row of `bucket` (flushed or not) as (data time, body), ascending."""
        return self._rows(
            "SELECT data_time, body FROM readings WHERE point = ? AND kind = ? AND bucket = ? ORDER BY data_time",
            (bucket.point_id, bucket.kind.value, _us(bucket.start)),
        )

    def keyed(
        self, point_id: str, kind: ReadingKind, start: datetime, end: datetime, limit: int
    ) -> list[tuple[datetime, bytes]]:
        """(data time, body) of the rows with start ≤ data_time < end, ascending, at most `limit`."""
        if end <= start:
            return []
        return self._rows(
            "SELECT data_time, body FROM readings WHERE point = ? AND kind = ? AND data_time >= ? AND data_time < ? "
            "ORDER BY data_time LIMIT ?",
            (point_id, kind.value, _us(start), _us(end), limit),
        )

    def readings(self, point_id: str, kind: ReadingKind, start: datetime, end: datetime, limit: int) -> list[Reading]:
        rows = self.keyed(point_id, kind, start, end, limit)
        return [reading_from_body(body, point_id, kind, at) for at, body in rows]

    def latest(self, point_id: str, kind: ReadingKind, upto: datetime) -> Reading | None:
        """The newest reading with data_time ≤ `upto`."""
        rows = self._select(
            "SELECT data_time, body FROM readings WHERE point = ? AND kind = ? AND data_time <= ? "
            "ORDER BY data_time DESC LIMIT 1",
            (point_id, kind.value, _us(upto)),
        )
        return reading_from_body(rows[0][1], point_id, kind, _time(rows[0][0])) if rows else None

    def held(self, readings: Sequence[Reading]) -> list[bool]:
        """Which of `readings` the buffer holds."""
        out = []
        with self._lock, _translated():
            for r in readings:
                found = self._conn.execute(
                    "SELECT 1 FROM readings WHERE point = ? AND kind = ? AND data_time = ?",
                    (r.point_id, r.kind.value, _us(r.data_time)),
                ).fetchone()
                out.append(found is not None)
        return out

    def counts(self) -> dict[str, int]:
        """Rows not yet flushed (from their partial index, not a scan) and the file's size with its WAL: what the
        buckets worker's status shows every status_every_s."""
        unflushed = self._select("SELECT count(*) FROM readings WHERE flushed_at IS NULL", ())[0][0]
        size = sum(p.stat().st_size for p in (self.path, Path(f"{self.path}-wal")) if p.exists())  # OSError: transient
        return {"unflushed": int(unflushed), "bytes": size}

    def rows(self) -> int:
        """Every row held (a scan: tests and benches)."""
        return int(self._select("SELECT count(*) FROM readings", ())[0][0])


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone() is not None


def unflushed_left(path: str | Path) -> int:
    """Rows a reading buffer file still holds unflushed (0: no file, or a file without its tables: a crash between
    its creation and its schema on a first start), read without creating or changing it."""
    if not Path(path).is_file():
        return 0
    with _translated():
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S)
        try:
            if not _has_table(conn, "readings"):
                return 0
            return int(conn.execute("SELECT count(*) FROM readings WHERE flushed_at IS NULL").fetchone()[0])
        finally:
            conn.close()


def retire(path: str | Path) -> None:
    """Mark a reading buffer file not alive (the platform starts with buckets off): readings now reach DynamoDB
    without passing through it, so a later live open starts its horizon over. Nothing when there is no file."""
    if not Path(path).is_file():
        return
    with _translated():
        conn = sqlite3.connect(str(path), isolation_level=None, timeout=BUSY_TIMEOUT_S)
        try:
            if _has_table(conn, "meta"):
                conn.execute("DELETE FROM meta WHERE name = 'last_alive'")
        finally:
            conn.close()


class BucketStore(Protocol):
    """What BufferedReadings and the flusher need of the DynamoDB readings repository (buckets on)."""

    def merge_bucket(self, point_id: str, kind: ReadingKind, start: datetime, readings: Sequence[Reading]) -> int: ...
    def put_bucket_as_items(
        self, point_id: str, kind: ReadingKind, start: datetime, readings: Sequence[Reading]
    ) -> int: ...
    def bucket_times(self, point_id: str, kind: ReadingKind, start: datetime) -> set[datetime]: ...
    def settled_readings(self, point_id: str, kind: ReadingKind, start: datetime, end: datetime) -> list[Reading]: ...
    def settled_readings_keyed(
        self, point_id: str, kind: ReadingKind, start: datetime, end: datetime, known: Container[str]
    ) -> list[tuple[str, Reading | None]]: ...

    # the readings port
    def put_readings(self, readings: Sequence[Reading]) -> list[bool]: ...
    def readings(
        self, point_id: str, kind: ReadingKind, start: datetime, end: datetime, *, limit: int = 10_000
    ) -> list[Reading]: ...
    def latest(self, point_id: str, kind: ReadingKind) -> Reading | None: ...
    def put_aggregate(self, aggregate: Aggregate) -> None: ...
    def aggregates(self, point_id: str, period: AggregatePeriod, start: datetime, end: datetime) -> list[Aggregate]: ...
    def aggregates_of(
        self, point_ids: Sequence[str], period: AggregatePeriod, start: datetime, end: datetime
    ) -> dict[str, list[Aggregate]]: ...
    def hours_with_data(self, point_ids: Sequence[str], start: datetime, end: datetime) -> dict[str, set[datetime]]: ...
    def put_completeness(self, completeness: Completeness) -> None: ...
    def completeness(self, point_id: str, first_day: date, last_day: date) -> list[Completeness]: ...
    def purge_expired(self, now: datetime) -> int: ...


class BufferedReadings:
    """The readings port on the county host with buckets on: minute and real-time readings go to the buffer (the
    flusher writes them to DynamoDB as buckets); hour and day readings, aggregates and completeness go straight to
    DynamoDB. The rules' hot reads (`settled_readings`, `settled_readings_keyed`) and `latest` are answered by the
    buffer alone within its horizon (no DynamoDB request); `readings` (roll-ups, reports, evidence: what feeds a
    stored figure) always merges DynamoDB (per-minute and bucket items) with the buffer, since an API Lambda's
    bind-time re-decode writes per-minute items behind the buffer's back (docs/local.md)."""

    def __init__(self, buffer: ReadingBuffer, dynamo: BucketStore, clock: Clock, *, future_tolerance: timedelta):
        self.buffer, self.dynamo, self.clock = buffer, dynamo, clock
        self.future_tolerance = future_tolerance

    # ---- writes ------------------------------------------------------------------------------------------
    def put_reading(self, reading: Reading) -> bool:
        return self.put_readings([reading])[0]

    def put_readings(self, readings: Sequence[Reading]) -> list[bool]:
        """Idempotent as the port says: True where the reading is new to the platform. A buffered reading older
        than the buffer's horizon that the buffer does not hold is looked up in its stored bucket (one GetItem per
        bucket): a redelivered old frame is a duplicate, not new (roll-ups and rule-window notes follow the flags)."""
        flags: list[bool | None] = [None] * len(readings)
        passing = [i for i, r in enumerate(readings) if r.kind not in BUFFERED_KINDS]
        if passing:
            for i, new in zip(passing, self.dynamo.put_readings([readings[i] for i in passing]), strict=True):
                flags[i] = new
        horizon = self.buffer.horizon()
        old = [i for i, r in enumerate(readings) if r.kind in BUFFERED_KINDS and r.data_time < horizon]
        stored = self._stored_in_buckets([readings[i] for i in old])
        for i, is_stored in zip(old, stored, strict=True):
            if is_stored:
                flags[i] = False
        wanted = [i for i, f in enumerate(flags) if f is None]
        for i, new in zip(wanted, self.buffer.insert([readings[i] for i in wanted]), strict=True):
            flags[i] = new
        return [bool(f) for f in flags]

    def _stored_in_buckets(self, readings: Sequence[Reading]) -> list[bool]:
        """Which of these old readings DynamoDB's buckets hold (those the buffer holds are not looked up): the
        bucket of the current size first, then those of the other sizes this file was used with (`buffer.sizes`: the
        host wrote buckets of those before a size change; buckets of two sizes starting together are one item).
        Only readings older than the horizon come here: a redelivered or backfilled old frame."""
        out = [False] * len(readings)
        held = self.buffer.held(readings)
        times: dict[tuple[str, ReadingKind, datetime], set[datetime]] = {}
        for i, r in enumerate(readings):
            if held[i]:
                continue  # the insert reports it duplicate
            starts = [self.buffer.bucket_of(r.point_id, r.data_time)]
            starts += [bucket_start(r.point_id, r.data_time, m) for m in self.buffer.sizes[1:]]
            for start in dict.fromkeys(starts):
                bucket = (r.point_id, r.kind, start)
                if bucket not in times:
                    times[bucket] = self.dynamo.bucket_times(*bucket)
                if r.data_time in times[bucket]:
                    out[i] = True
                    break
        return out

    def put_aggregate(self, aggregate: Aggregate) -> None:
        self.dynamo.put_aggregate(aggregate)

    def put_completeness(self, completeness: Completeness) -> None:
        self.dynamo.put_completeness(completeness)

    # ---- reads -------------------------------------------------------------------------------------------
    def _from_buffer_alone(self, kind: ReadingKind, start: datetime) -> bool:
        return kind in BUFFERED_KINDS and start >= self.buffer.horizon()

    def _merged(self, point_id: str, kind: ReadingKind, start: datetime, end: datetime, limit: int, far: Any) -> Any:
        mine = self.buffer.readings(point_id, kind, start, end, limit)
        by_time = {r.data_time: r for r in far}
        for r in mine:
            by_time.setdefault(r.data_time, r)  # the same reading either way (a reading never changes)
        return [by_time[t] for t in sorted(by_time)][:limit]

    def readings(
        self, point_id: str, kind: ReadingKind, start: datetime, end: datetime, *, limit: int = 10_000
    ) -> list[Reading]:
        start, end = check_range(start, end, limit)
        kind = ReadingKind(kind)
        if kind not in BUFFERED_KINDS:
            return self.dynamo.readings(point_id, kind, start, end, limit=limit)
        far = self.dynamo.readings(point_id, kind, start, end, limit=limit)  # always: see the class
        return list(self._merged(point_id, kind, start, end, limit, far))

    def settled_readings(self, point_id: str, kind: ReadingKind, start: datetime, end: datetime) -> list[Reading]:
        start, end = check_range(start, end, 100_000)
        kind = ReadingKind(kind)
        if self._from_buffer_alone(kind, start):
            return self.buffer.readings(point_id, kind, start, end, 100_000)
        far = self.dynamo.settled_readings(point_id, kind, start, end)
        return list(self._merged(point_id, kind, start, end, 100_000, far)) if kind in BUFFERED_KINDS else far

    def settled_readings_keyed(
        self, point_id: str, kind: ReadingKind, start: datetime, end: datetime, known: Container[str]
    ) -> list[tuple[str, Reading | None]]:
        """As DynamoDBReadingsRepository's: the rules' sample reader (a reading whose key is in `known` comes back
        as None, not decoded again)."""
        start, end = check_range(start, end, 100_000)
        kind = ReadingKind(kind)
        rows: dict[str, Reading | None] = {}
        if not self._from_buffer_alone(kind, start):
            rows.update(self.dynamo.settled_readings_keyed(point_id, kind, start, end, known))
        if kind in BUFFERED_KINDS:
            for at, body in self.buffer.keyed(point_id, kind, start, end, 100_000):
                key = time_key(at)  # the DynamoDB adapter's sort keys: what the sample reader remembers
                if key not in rows:
                    rows[key] = None if key in known else reading_from_body(body, point_id, kind, at)
        return [(key, rows[key]) for key in sorted(rows)]

    def values(
        self,
        point_id: str,
        kind: ReadingKind,
        start: datetime,
        end: datetime,
        names: Sequence[str],
        *,
        limit: int = 10_000,
    ) -> list[ValueRow]:
        wanted = value_names(names)
        return value_rows(self.readings(point_id, kind, start, end, limit=limit), wanted)

    def latest(self, point_id: str, kind: ReadingKind) -> Reading | None:
        """The newest reading up to now + future_tolerance across the buffer and DynamoDB; the buffer alone when
        its newest is within its horizon (everything stored since then passed through it)."""
        kind = ReadingKind(kind)
        if kind not in BUFFERED_KINDS:
            return self.dynamo.latest(point_id, kind)
        now = self.clock.now()
        mine = self.buffer.latest(point_id, kind, now + self.future_tolerance)
        if mine is not None and mine.data_time >= self.buffer.horizon(now):
            return mine
        far = self.dynamo.latest(point_id, kind)
        found = [r for r in (mine, far) if r is not None]
        return max(found, key=lambda r: r.data_time) if found else None

    def latest_all_kinds(self, point_id: str) -> dict[ReadingKind, Reading]:
        found = {kind: self.latest(point_id, kind) for kind in ReadingKind}
        return {kind: r for kind, r in found.items() if r is not None}

    def aggregates(self, point_id: str, period: AggregatePeriod, start: datetime, end: datetime) -> list[Aggregate]:
        return self.dynamo.aggregates(point_id, period, start, end)

    def aggregates_of(
        self, point_ids: Sequence[str], period: AggregatePeriod, start: datetime, end: datetime
    ) -> dict[str, list[Aggregate]]:
        return self.dynamo.aggregates_of(point_ids, period, start, end)

    def hours_with_data(self, point_ids: Sequence[str], start: datetime, end: datetime) -> dict[str, set[datetime]]:
        return self.dynamo.hours_with_data(point_ids, start, end)

    def completeness(self, point_id: str, first_day: date, last_day: date) -> list[Completeness]:
        return self.dynamo.completeness(point_id, first_day, last_day)

    def purge_expired(self, now: datetime) -> int:
        """DynamoDB's (its TTL); the buffer prunes itself after each flush."""
        return self.dynamo.purge_expired(now)
