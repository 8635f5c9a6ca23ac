"""The durable frame queue: the embedded stand-in for the Kinesis stream (a sqlite table in the data directory).

More: docs/local.md, "Module notes".
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sqlite3
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from monitoring.errors import StorageUnavailableError
from monitoring.ingest.isolate import Poison
from monitoring.storage.sqlite.db import begin_immediate

log = logging.getLogger(__name__)
BUSY_TIMEOUT_S = 10.0  # the listener (append) and the decode worker (done, failed) write from two processes
SCHEMA = """
CREATE TABLE IF NOT EXISTS frames (id INTEGER PRIMARY KEY AUTOINCREMENT, mn TEXT NOT NULL, record TEXT NOT NULL,
                                   attempts INTEGER NOT NULL DEFAULT 0, queued_at REAL,
                                   decoded INTEGER NOT NULL DEFAULT 0, archived INTEGER NOT NULL DEFAULT 1);
CREATE TABLE IF NOT EXISTS dead_frames (id INTEGER PRIMARY KEY, mn TEXT NOT NULL, record TEXT NOT NULL,
                                        attempts INTEGER NOT NULL, reason TEXT NOT NULL, error TEXT NOT NULL DEFAULT '',
                                        dead_at REAL);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS archive_cut (one INTEGER PRIMARY KEY CHECK (one = 1), first_id INTEGER NOT NULL,
                                        last_id INTEGER NOT NULL);
"""
# After ADDED_COLUMNS: each cursor's next frames are found without a scan past the frames kept for the other.
INDEXES = """
CREATE INDEX IF NOT EXISTS frames_undecoded ON frames (id) WHERE decoded = 0;
CREATE INDEX IF NOT EXISTS frames_unarchived ON frames (id) WHERE archived = 0;
"""
# Columns added since the first release: a queue.db from then gets them on open (NULL/'' for old rows).
ADDED_COLUMNS = {
    # archived defaults to 1: rows from before the S3 archive (or with it off) wait only for decode
    "frames": {"queued_at": "REAL", "decoded": "INTEGER NOT NULL DEFAULT 0", "archived": "INTEGER NOT NULL DEFAULT 1"},
    "dead_frames": {"error": "TEXT NOT NULL DEFAULT ''", "dead_at": "REAL"},
}
REASON_CHARS, ERROR_CHARS = 500, 8000
RESERVE_REFUSING = "queue refusing: disk reserve"  # the line and error while append refuses (infra alarms on it)
# The WAL: sqlite checkpoints it into queue.db after a commit that leaves it over 1,000 pages (≈ 4 MiB) and then
# writes it again from its start; a reader's snapshot older than its frames stops the checkpoint, and it grows with
# every write until that reader ends. Without a limit the file then keeps its peak size for good: truncated to this
# when it is next written from its start.
WAL_AUTOCHECKPOINT_PAGES = 1000
WAL_SIZE_LIMIT = 4 * 2**20


class ReserveReached(sqlite3.OperationalError):
    """The queue's volume is down to its reserve: append refuses, so decode's and the archive's marks and deletes
    (which free rows) still fit. Nothing was added; the listener acknowledges nothing and terminals resend."""


def free_bytes(directory: str) -> int:
    """Bytes an unprivileged writer may still use on the volume holding `directory`."""
    st = os.statvfs(directory)
    return st.f_bavail * st.f_frsize


def _dead_ids(conn: sqlite3.Connection, seqs: Sequence[int] | None) -> list[int]:
    """The ids of dead letters among `seqs` (all of them with None), ascending."""
    if seqs is None:
        return [int(r[0]) for r in conn.execute("SELECT id FROM dead_frames ORDER BY id")]
    marks = ",".join("?" * len(seqs))
    found = conn.execute(f"SELECT id FROM dead_frames WHERE id IN ({marks}) ORDER BY id", tuple(seqs))
    return [int(r[0]) for r in found]


def _count(conn: sqlite3.Connection, name: str, n: int) -> None:
    """Add to a counter in the caller's transaction (depth() relies on them moving with the rows)."""
    conn.execute(
        "INSERT INTO counters VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = value + excluded.value", (name, n)
    )


class Wake(Protocol):
    """What the decode loop waits on: a threading.Event of its own process (in a worker process, set when the
    parent's wake-up byte arrives on its control pipe)."""

    def set(self) -> None: ...
    def clear(self) -> None: ...
    def wait(self, timeout: float | None = None) -> bool: ...


class Nudge(Protocol):
    """What the sink calls after each commit to wake the decode loop: it must return at once, whatever the
    decode workers are doing (local.workers.WakeUps writes a byte to each one's pipe, never waiting)."""

    def set(self) -> None: ...


def shard_of(mn: str, shards: int) -> int:
    """The decode shard of a terminal: a stable hash of its MN (not Python's hash(), which varies per process)."""
    return zlib.crc32(mn.encode("utf-8", "surrogatepass")) % shards if shards > 1 else 0


@dataclass(frozen=True, slots=True)
class Queued:
    """One queued frame record with its queue position (the Kinesis sequence number locally)."""

    seq: int
    mn: str
    record: str  # the frame record's JSON text (contracts.md §2)
    attempts: int


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A record set aside: why (a short reason), the exception with its traceback, and when (epoch seconds)."""

    seq: int
    mn: str
    record: str
    attempts: int
    reason: str
    error: str
    dead_at: float | None


@dataclass(frozen=True, slots=True)
class Cut:
    """The frames of one archive object batch: ids first..last not yet archived, in order, with arrival times."""

    first: int
    last: int
    frames: list[tuple[int, str, float]]  # (id, record, queued_at)


class FrameQueue:
    """A sqlite-backed FIFO of frame records; thread-safe (one connection behind a lock).

    Two cursors: decode (`decoded`) and, with `archive` (the S3 archive on), the archive worker (`archived`); a
    frame is deleted once both have taken it. Only the appender's `archive` matters: it marks each new row."""

    def __init__(
        self,
        path: str | Path,
        *,
        archive: bool | None = None,
        reserve_bytes: int = 0,
        free: Callable[[str], int] = free_bytes,
    ) -> None:
        self.path = str(path)
        # Only the appender's reserve matters: below it append refuses; every other write may use the reserve.
        self.reserve_bytes, self._free = reserve_bytes, free
        self._directory = os.path.dirname(os.path.abspath(self.path))
        self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_S)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
        self._conn.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")  # per connection: every process's
        self._conn.executescript(SCHEMA)
        self._page_size = int(self._conn.execute("PRAGMA page_size").fetchone()[0])
        self._add_columns()
        self._conn.executescript(INDEXES)
        self.archive = bool(archive)
        if archive is False:  # the archive was switched off: nothing waits for it any more
            self._conn.execute("UPDATE frames SET archived = 1 WHERE archived = 0")
            self._conn.execute("DELETE FROM frames WHERE decoded = 1")
        self._conn.create_function("shard_of", 2, shard_of, deterministic=True)
        self._lock = threading.Lock()
        self.closed = False

    def _add_columns(self) -> None:
        for table, columns in ADDED_COLUMNS.items():
            have = {row[1] for row in self._conn.execute(f"PRAGMA table_info({table})")}
            for name, declaration in columns.items():
                if name not in have:
                    self._conn.execute(f"ALTER TABLE {table} ADD COLUMN {name} {declaration}")

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, fsync'd at commit, rolled back on any error (the caller holds the lock).

        The caller sees the error that failed the transaction: sqlite may have rolled back already (a COMMIT that
        hit a full disk does), and a ROLLBACK then would raise "no transaction is active" in its place."""
        begin_immediate(self._conn, timeout_s=BUSY_TIMEOUT_S, busy_timeout_ms=int(BUSY_TIMEOUT_S * 1000))
        try:
            yield self._conn
            self._conn.execute("COMMIT")
        except BaseException as exc:
            if self._conn.in_transaction:
                try:
                    self._conn.execute("ROLLBACK")
                except sqlite3.Error as undo:
                    log.error(
                        "frame queue rollback failed", extra={"fields": {"error": repr(undo), "cause": repr(exc)}}
                    )
            raise

    def reserve_reached(self) -> int | None:
        """The bytes appends could still use if that is below the reserve (append refuses), else None."""
        with self._lock:
            return self._reserve_reached()

    def _reserve_reached(self) -> int | None:
        """(The caller holds the lock.) Room is the volume's free space, less what the next checkpoint still has to
        add to queue.db (pages in the WAL beyond the file's end), plus the queue's free pages while the WAL is
        checkpointed: rows deleted while appends were refused free pages in the file, not on the volume, and appends
        reuse those first; but while a reader holds the checkpoint back each page written, reused or not, is a new
        frame at the WAL's end, on the volume."""
        if self.reserve_bytes <= 0:
            return None
        if self._room() >= self.reserve_bytes:
            return None
        checkpointed = self._checkpointed()
        room = self._room()  # the checkpoint may have written pages into the file
        if checkpointed:
            room += int(self._conn.execute("PRAGMA freelist_count").fetchone()[0]) * self._page_size
        return room if room < self.reserve_bytes else None

    def _room(self) -> int:
        """The volume's free space less the pages queue.db has in its WAL beyond the file's end."""
        pages = int(self._conn.execute("PRAGMA page_count").fetchone()[0])
        return self._free(self._directory) - max(0, pages * self._page_size - os.path.getsize(self.path))

    def _checkpointed(self) -> bool:
        """Checkpoint what can be (never waiting); True if every WAL frame is in queue.db now (the WAL is written
        again from its start), False while a reader's snapshot holds frames back."""
        busy, logged, done = self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return not busy and logged == done

    def append(self, records: Sequence[dict[str, Any]]) -> None:
        """Commit the records (one transaction, fsync'd); raises on failure (then nothing was added), and
        ReserveReached while the room left is below the reserve."""
        now = time.time()
        archived = 0 if self.archive else 1
        rows = [
            (str(r.get("mn") or "-"), json.dumps(r, separators=(",", ":"), ensure_ascii=False), now, archived)
            for r in records
        ]
        with self._lock:
            if self.closed:
                raise sqlite3.ProgrammingError("frame queue is closed")
            if (room := self._reserve_reached()) is not None:
                mib = f"{room / 2**20:.1f} MiB left, reserve {self.reserve_bytes / 2**20:.1f} MiB"
                raise ReserveReached(f"{RESERVE_REFUSING}: {mib}")
            with self._transaction() as conn:
                conn.executemany("INSERT INTO frames (mn, record, queued_at, archived) VALUES (?, ?, ?, ?)", rows)
                _count(conn, "appended", len(rows))

    def take(self, limit: int, *, shard: int = 0, shards: int = 1) -> list[Queued]:
        """The oldest `limit` records (not removed); with `shards` > 1, only those of terminals in `shard`, so that
        several decode workers share the queue and each terminal's frames stay in order in one of them (as a
        Kinesis shard keeps a partition key's records)."""
        with self._lock:
            if shards <= 1:
                rows = self._conn.execute(
                    "SELECT id, mn, record, attempts FROM frames WHERE decoded = 0 ORDER BY id LIMIT ?", (limit,)
                ).fetchall()
            else:
                rows = self._conn.execute(
                    "SELECT id, mn, record, attempts FROM frames WHERE decoded = 0 AND shard_of(mn, ?) = ? "
                    "ORDER BY id LIMIT ?",
                    (shards, shard, limit),
                ).fetchall()
        return [Queued(*row) for row in rows]

    def done(self, seqs: Sequence[int]) -> int:
        """Mark records the handler has processed decoded, and remove those archived (those it set aside meanwhile
        are marked already: not counted); returns how many were newly marked."""
        if not seqs:
            return 0
        ids = [(s,) for s in seqs]
        with self._lock:
            with self._transaction() as conn:
                marked = conn.executemany("UPDATE frames SET decoded = 1 WHERE id = ? AND decoded = 0", ids)
                removed = int(marked.rowcount)
                conn.executemany("DELETE FROM frames WHERE id = ? AND archived = 1", ids)
                _count(conn, "processed", removed)
        return removed

    def failed(self, seqs: Sequence[int], *, max_attempts: int, reason: str) -> int:
        """Count a failed attempt; move records past `max_attempts` to dead_frames. Returns how many moved."""
        if not seqs:
            return 0
        with self._lock:
            with self._transaction() as conn:
                conn.executemany("UPDATE frames SET attempts = attempts + 1 WHERE id = ?", [(s,) for s in seqs])
                moved = conn.execute(
                    "INSERT INTO dead_frames (id, mn, record, attempts, reason, error, dead_at) "
                    f"SELECT id, mn, record, attempts, ?, '', ? FROM frames "
                    f"WHERE attempts >= ? AND id IN ({','.join('?' * len(seqs))})",
                    (reason[:REASON_CHARS], time.time(), max_attempts, *seqs),
                ).rowcount
                conn.execute("UPDATE frames SET decoded = 1 WHERE decoded = 0 AND id IN (SELECT id FROM dead_frames)")
                conn.execute("DELETE FROM frames WHERE decoded = 1 AND archived = 1")
        return moved

    def set_aside(self, seq: int, *, reason: str, error: str) -> bool:
        """Move one queued record to dead_frames at once (the handler found it poison); False if it is not queued
        (already decoded or set aside: a redelivery)."""
        with self._lock:
            with self._transaction() as conn:
                moved = conn.execute(
                    "INSERT OR REPLACE INTO dead_frames (id, mn, record, attempts, reason, error, dead_at) "
                    "SELECT id, mn, record, attempts + 1, ?, ?, ? FROM frames WHERE id = ? AND decoded = 0",
                    (reason[:REASON_CHARS], error[-ERROR_CHARS:], time.time(), seq),
                ).rowcount
                conn.execute("UPDATE frames SET decoded = 1 WHERE id = ?", (seq,))
                conn.execute("DELETE FROM frames WHERE id = ? AND archived = 1", (seq,))
        return bool(moved)

    def dead(self, limit: int = 1000) -> list[DeadLetter]:
        """Dead letters, oldest first."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT id, mn, record, attempts, reason, error, dead_at FROM dead_frames ORDER BY id LIMIT ?", (limit,)
            ).fetchall()
        return [DeadLetter(*row) for row in rows]

    def dead_count(self) -> tuple[int, list[tuple[int, str, str]]]:
        """(how many dead letters, the newest three as (id, mn, reason)): what the runner's condition line says."""
        with self._lock:
            count = int(self._conn.execute("SELECT count(*) FROM dead_frames").fetchone()[0])
            newest = self._conn.execute("SELECT id, mn, reason FROM dead_frames ORDER BY id DESC LIMIT 3").fetchall()
        return count, [(int(i), str(m), str(r)[:120]) for i, m, r in newest]

    def dead_letter(self, seq: int) -> DeadLetter | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT id, mn, record, attempts, reason, error, dead_at FROM dead_frames WHERE id = ?", (seq,)
            ).fetchone()
        return DeadLetter(*row) if row else None

    def requeue(self, seqs: Sequence[int] | None) -> list[int]:
        """Move dead letters (all of them with None) back to the queue, at their old position (the head), with
        their attempts reset; one transaction, so each is queued once. Returns the ids moved. Only decode takes
        them again: a row still waiting for the archive keeps its place there; one gone was archived already."""
        with self._lock:
            with self._transaction() as conn:
                ids = _dead_ids(conn, seqs)
                now = time.time()
                for seq in ids:
                    conn.execute(
                        "INSERT INTO frames (id, mn, record, attempts, queued_at, decoded, archived) "
                        "SELECT id, mn, record, 0, ?, 0, 1 FROM dead_frames WHERE id = ? "
                        # a row still waiting for the archive keeps its arrival time: the archive's object keys
                        "ON CONFLICT (id) DO UPDATE SET attempts = 0, decoded = 0",
                        (now, seq),
                    )
                    conn.execute("DELETE FROM dead_frames WHERE id = ?", (seq,))
        return ids

    def discard(self, seqs: Sequence[int] | None) -> list[int]:
        """Delete dead letters (all of them with None) for good: records that will never decode (garbage). Returns
        the ids deleted. With the S3 archive on, each was archived like any frame (archive_worker keeps poison)."""
        with self._lock:
            with self._transaction() as conn:
                ids = _dead_ids(conn, seqs)
                conn.executemany("DELETE FROM dead_frames WHERE id = ?", [(i,) for i in ids])
                _count(conn, "discarded", len(ids))  # depth() counts dead letters as taken: these still are
        return ids

    def oldest_age(self, now: float | None = None) -> float:
        """Seconds the oldest queued record has waited (0 when the queue is empty or it predates queued_at)."""
        with self._lock:
            row = self._conn.execute("SELECT queued_at FROM frames WHERE decoded = 0 ORDER BY id LIMIT 1").fetchone()
        if row is None or row[0] is None:
            return 0.0
        return max(0.0, (time.time() if now is None else now) - float(row[0]))

    def oldest_received_at(self) -> datetime | None:
        """When the oldest frame still queued was received (listener time; None if the queue is empty): every frame
        received before it has been decoded or dead-lettered."""
        with self._lock:
            row = self._conn.execute(
                "SELECT json_extract(record, '$.received_at') FROM frames WHERE decoded = 0 ORDER BY id LIMIT 1"
            ).fetchone()
        return datetime.fromisoformat(row[0]) if row and row[0] else None

    def depth(self) -> int:
        """Records queued: from the counters kept in the same transactions as the rows, in one snapshot (a
        count(*) over a deep backlog cost the listener ~7 % of its time at two status writes a second)."""
        with self._lock:
            row = self._conn.execute(
                "SELECT (SELECT coalesce(sum(CASE name WHEN 'appended' THEN value ELSE -value END), 0) "
                "FROM counters WHERE name IN ('appended', 'processed', 'discarded')) "
                "- (SELECT count(*) FROM dead_frames)"
            ).fetchone()
        return max(0, int(row[0]))

    def cut(self, limit: int, upto: int | None = None) -> Cut | None:
        """The archive's next batch: the cut begun before (a crash between its objects and `archived`: the same
        frames again, so the same object keys), else the oldest `limit` frames not archived (ids up to `upto`),
        recorded as begun."""
        with self._lock:
            with self._transaction() as conn:
                row = conn.execute("SELECT first_id, last_id FROM archive_cut").fetchone()
                if row is None:
                    ids = conn.execute(
                        "SELECT id FROM frames WHERE archived = 0 AND id <= ? ORDER BY id LIMIT ?",
                        (upto if upto is not None else 2**63 - 1, limit),
                    ).fetchall()
                    if not ids:
                        return None
                    row = (int(ids[0][0]), int(ids[-1][0]))
                    conn.execute("INSERT INTO archive_cut VALUES (1, ?, ?)", row)
                frames = conn.execute(
                    "SELECT id, record, coalesce(queued_at, 0) FROM frames "
                    "WHERE archived = 0 AND id BETWEEN ? AND ? ORDER BY id",
                    row,
                ).fetchall()
        return Cut(int(row[0]), int(row[1]), [(int(i), str(r), float(q)) for i, r, q in frames])

    def archived(self, cut: Cut) -> int:
        """Mark the cut's frames archived and end the cut (one transaction); remove those decoded. Returns how
        many were marked."""
        with self._lock:
            with self._transaction() as conn:
                marked = int(
                    conn.execute(
                        "UPDATE frames SET archived = 1 WHERE archived = 0 AND id BETWEEN ? AND ?",
                        (cut.first, cut.last),
                    ).rowcount
                )
                conn.execute("DELETE FROM frames WHERE decoded = 1 AND archived = 1 AND id BETWEEN ? AND ?",
                             (cut.first, cut.last))  # fmt: skip
                conn.execute("DELETE FROM archive_cut")
                _count(conn, "archived", marked)
        return marked

    def last_id(self) -> int:
        """The newest frame's id (0: none queued)."""
        with self._lock:
            row = self._conn.execute("SELECT max(id) FROM frames").fetchone()
        return int(row[0] or 0)

    def unarchived(self) -> tuple[int, float]:
        """(frames waiting for the archive, seconds the oldest has waited)."""
        with self._lock:
            row = self._conn.execute("SELECT count(*), min(queued_at) FROM frames WHERE archived = 0").fetchone()
        oldest = max(0.0, time.time() - float(row[1])) if row[1] is not None else 0.0
        return int(row[0]), oldest

    def counters(self) -> dict[str, int]:
        with self._lock:
            rows = self._conn.execute("SELECT name, value FROM counters").fetchall()
            dead = self._conn.execute("SELECT count(*) FROM dead_frames").fetchone()[0]
        out = {str(k): int(v) for k, v in rows}
        out["dead"] = int(dead)
        return out

    def close(self) -> None:
        with self._lock:
            if not self.closed:
                self.closed = True
                self._conn.close()


class QueueDeadLetters:
    """Decode's dead letters in local mode (monitoring.ingest.isolate.DeadLetters): poison records move from the
    queue to dead_frames, each in one transaction, before the handler returns."""

    def __init__(self, queue: FrameQueue) -> None:
        self.queue = queue

    def set_aside(self, poison: Sequence[Poison]) -> None:
        for p in poison:
            try:
                self.queue.set_aside(int(p.item_id), reason=p.reason, error=p.error)
            except sqlite3.OperationalError as exc:  # locked, disk full: the batch is retried
                raise StorageUnavailableError(f"frame queue: {exc}") from exc


class QueueSink:
    """The listener's FrameSink over the FrameQueue: put() returns only after the commit."""

    def __init__(self, queue: FrameQueue, wake: Nudge | None = None) -> None:
        self.queue = queue
        self.wake = wake
        # Its own thread: a commit must never wait behind registry lookups or event writes.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="frame-queue")

    async def put(self, records: Sequence[dict[str, Any]]) -> None:
        await asyncio.get_running_loop().run_in_executor(self._executor, self.queue.append, records)
        if self.wake is not None:
            self.wake.set()

    async def close(self) -> None:
        """The queue itself is closed by the runner after the decode loop stopped (it still drains it)."""
        self._executor.shutdown(wait=True)
