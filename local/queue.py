"""The durable frame queue: the embedded stand-in for the Kinesis stream (a sqlite table in the data directory).

`QueueSink.put` (the listener's FrameSink) commits a batch of frame records in one transaction with
synchronous=FULL before it returns, so the listener acknowledges only what is on disk. The decode loop reads
the oldest rows (`take`), and deletes them (`done`) only after the handler succeeded: a crash at any point
redelivers, and decoding is idempotent. Records the handler keeps failing are moved to `dead_frames` after
`max_attempts`, so one poison record cannot block the queue.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
import zlib
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from monitoring.storage.sqlite.db import begin_immediate

BUSY_TIMEOUT_S = 10.0  # the listener (append) and the decode worker (done, failed) write from two processes
SCHEMA = """
CREATE TABLE IF NOT EXISTS frames (id INTEGER PRIMARY KEY AUTOINCREMENT, mn TEXT NOT NULL, record TEXT NOT NULL,
                                   attempts INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS dead_frames (id INTEGER PRIMARY KEY, mn TEXT NOT NULL, record TEXT NOT NULL,
                                        attempts INTEGER NOT NULL, reason TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


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


class FrameQueue:
    """A sqlite-backed FIFO of frame records; thread-safe (one connection behind a lock)."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_S)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.executescript(SCHEMA)
        self._conn.create_function("shard_of", 2, shard_of, deterministic=True)
        self._lock = threading.Lock()
        self.closed = False

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, fsync'd at commit, rolled back on any error (the caller holds the lock)."""
        begin_immediate(self._conn, timeout_s=BUSY_TIMEOUT_S, busy_timeout_ms=int(BUSY_TIMEOUT_S * 1000))
        try:
            yield self._conn
            self._conn.execute("COMMIT")
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise

    def append(self, records: Sequence[dict[str, Any]]) -> None:
        """Commit the records (one transaction, fsync'd); raises on failure (then nothing was added)."""
        rows = [(str(r.get("mn") or "-"), json.dumps(r, separators=(",", ":"), ensure_ascii=False)) for r in records]
        with self._lock:
            if self.closed:
                raise sqlite3.ProgrammingError("frame queue is closed")
            with self._transaction() as conn:
                conn.executemany("INSERT INTO frames (mn, record) VALUES (?, ?)", rows)
                _count(conn, "appended", len(rows))

    def take(self, limit: int, *, shard: int = 0, shards: int = 1) -> list[Queued]:
        """The oldest `limit` records (not removed); with `shards` > 1, only those of terminals in `shard`, so that
        several decode workers share the queue and each terminal's frames stay in order in one of them (as a
        Kinesis shard keeps a partition key's records)."""
        with self._lock:
            if shards <= 1:
                rows = self._conn.execute(
                    "SELECT id, mn, record, attempts FROM frames ORDER BY id LIMIT ?", (limit,)
                ).fetchall()
            else:
                rows = self._conn.execute(
                    "SELECT id, mn, record, attempts FROM frames WHERE shard_of(mn, ?) = ? ORDER BY id LIMIT ?",
                    (shards, shard, limit),
                ).fetchall()
        return [Queued(*row) for row in rows]

    def done(self, seqs: Sequence[int]) -> None:
        """Remove records the handler has processed."""
        if not seqs:
            return
        with self._lock:
            with self._transaction() as conn:
                conn.executemany("DELETE FROM frames WHERE id = ?", [(s,) for s in seqs])
                _count(conn, "processed", len(seqs))

    def failed(self, seqs: Sequence[int], *, max_attempts: int, reason: str) -> int:
        """Count a failed attempt; move records past `max_attempts` to dead_frames. Returns how many moved."""
        if not seqs:
            return 0
        with self._lock:
            with self._transaction() as conn:
                conn.executemany("UPDATE frames SET attempts = attempts + 1 WHERE id = ?", [(s,) for s in seqs])
                moved = conn.execute(
                    f"INSERT INTO dead_frames SELECT id, mn, record, attempts, ? FROM frames "
                    f"WHERE attempts >= ? AND id IN ({','.join('?' * len(seqs))})",
                    (reason[:500], max_attempts, *seqs),
                ).rowcount
                conn.execute("DELETE FROM frames WHERE id IN (SELECT id FROM dead_frames)")
        return moved

    def oldest_received_at(self) -> datetime | None:
        """When the oldest frame still queued was received (listener time; None if the queue is empty): every frame
        received before it has been decoded or dead-lettered."""
        with self._lock:
            row = self._conn.execute(
                "SELECT json_extract(record, '$.received_at') FROM frames ORDER BY id LIMIT 1"
            ).fetchone()
        return datetime.fromisoformat(row[0]) if row and row[0] else None

    def depth(self) -> int:
        """Records queued: from the counters kept in the same transactions as the rows, in one snapshot (a
        count(*) over a deep backlog cost the listener ~7 % of its time at two status writes a second)."""
        with self._lock:
            row = self._conn.execute(
                "SELECT (SELECT coalesce(sum(CASE name WHEN 'appended' THEN value ELSE -value END), 0) "
                "FROM counters WHERE name IN ('appended', 'processed')) - (SELECT count(*) FROM dead_frames)"
            ).fetchone()
        return max(0, int(row[0]))

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
