"""The sqlite connection: factory (WAL, busy timeout, foreign keys), numbered-file migrations, transactions,
and the translation of sqlite3 errors into the domain's.

More: docs/monitoring.md, "Module notes".
"""

from __future__ import annotations

import hashlib
import logging
import re
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from monitoring.errors import ConflictError, InvalidInputError, MonitoringError, StorageUnavailableError

log = logging.getLogger(__name__)

SCHEMA_DIR = Path(__file__).resolve().parent / "schema"
_MIGRATION_NAME = re.compile(r"^(\d{2,3})_[a-z0-9_]+\.sql$")


def translate(exc: sqlite3.Error) -> MonitoringError:
    """Map a sqlite3 error to the domain's error kinds (call as `raise translate(exc) from exc`)."""
    if isinstance(exc, sqlite3.IntegrityError):
        return ConflictError(f"constraint violated: {exc}")
    if isinstance(exc, sqlite3.InterfaceError | sqlite3.ProgrammingError | sqlite3.DataError):
        return InvalidInputError(f"bad value for the database: {exc}")
    return StorageUnavailableError(f"sqlite: {exc}")


CACHE_KIB = 32 * 1024


def connect(path: str | Path, *, busy_timeout_ms: int = 5_000, synchronous: str = "FULL") -> sqlite3.Connection:
    """Open a connection in autocommit mode (we issue BEGIN ourselves) with WAL and a busy timeout.

    synchronous=FULL: a commit is on disk when it returns, so "ack only when durable" holds across power loss.
    """
    if synchronous not in ("FULL", "NORMAL", "EXTRA"):
        raise InvalidInputError(f"synchronous must be FULL, NORMAL or EXTRA, not {synchronous!r}")
    target = str(path)
    if target != ":memory:":
        Path(target).parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = sqlite3.connect(target, isolation_level=None, check_same_thread=False, timeout=busy_timeout_ms / 1000)
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute(f"PRAGMA synchronous = {synchronous}")
        conn.execute("PRAGMA foreign_keys = ON")
        # 32 MiB of page cache (default 2 MiB): a decode batch's archive, readings and indexes stay in memory
        # until its commit instead of spilling to the WAL mid-transaction and being read back.
        conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    except sqlite3.Error as exc:
        raise translate(exc) from exc
    return conn


def begin_immediate(conn: sqlite3.Connection, *, timeout_s: float, busy_timeout_ms: int) -> None:
    """BEGIN IMMEDIATE, polling for the write lock about every millisecond until `timeout_s`.

    sqlite's own busy handler sleeps in growing steps of up to 100 ms, so with several processes writing (the
    local platform's listener, decode and rules workers) a waiter often slept on long after the lock was free:
    measured, a quarter of the decode worker's time. The connection's busy timeout is restored afterwards for the
    rare other statements that may meet a lock (checkpoints, recovery)."""
    deadline = time.monotonic() + timeout_s
    conn.execute("PRAGMA busy_timeout = 0")
    try:
        attempt = 0
        while True:
            try:
                conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if exc.sqlite_errorcode != sqlite3.SQLITE_BUSY or time.monotonic() >= deadline:
                    raise
            attempt += 1
            time.sleep(0.0002 if attempt < 5 else 0.001)
    finally:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")


def migration_files(schema_dir: Path = SCHEMA_DIR) -> list[Path]:
    """The schema files in application order; a stray file name is an error, not silently skipped."""
    files = [p for p in schema_dir.iterdir() if p.suffix == ".sql"]
    bad = sorted(p.name for p in files if not _MIGRATION_NAME.match(p.name))
    if bad:
        raise InvalidInputError(f"schema files must be named NN_area.sql or NNN_area.sql: {bad}")
    # numeric order, so 100_x follows 99_y (two digits ran out at 99)
    return sorted(files, key=lambda p: (int(p.name.split("_", 1)[0]), p.name))


def migrate(conn: sqlite3.Connection, schema_dir: Path = SCHEMA_DIR) -> list[str]:
    """Apply every not-yet-applied schema file; return the names applied now."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migration (name TEXT PRIMARY KEY, sha256 TEXT NOT NULL, applied_at REAL)"
    )
    applied = dict(conn.execute("SELECT name, sha256 FROM schema_migration").fetchall())
    done = []
    for path in migration_files(schema_dir):
        text = path.read_text(encoding="utf-8")
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        if path.name in applied:
            if applied[path.name] != digest:
                # Applied files are history; a change needs a new file. Warn rather than refuse to start.
                log.warning("schema file changed after it was applied", extra={"file": path.name})
            continue
        try:
            conn.execute("BEGIN IMMEDIATE")
            for statement in _statements(text):
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_migration (name, sha256, applied_at) VALUES (?, ?, ?)",
                (path.name, digest, time.time()),
            )
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise StorageUnavailableError(f"migration {path.name} failed: {exc}") from exc
        done.append(path.name)
    return done


def _statements(script: str) -> Iterator[str]:
    """Split a script into complete statements (sqlite3.complete_statement knows about triggers and quotes)."""
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip().strip(";").strip():
                yield buffer
            buffer = ""
    if buffer.strip() and not all(ln.strip().startswith("--") or not ln.strip() for ln in buffer.splitlines()):
        raise InvalidInputError(f"incomplete SQL statement at end of schema file: {buffer.strip()[:80]!r}")


class Database:
    """One connection shared by the repositories of a store, serialised by a lock (sqlite has one writer)."""

    def __init__(self, path: str | Path, *, busy_timeout_ms: int = 5_000, synchronous: str = "FULL") -> None:
        self.path = str(path)
        self.busy_timeout_ms = busy_timeout_ms
        self._lock = threading.RLock()
        self._depth = 0  # nesting of write() on the owning thread
        self.conn = connect(path, busy_timeout_ms=busy_timeout_ms, synchronous=synchronous)
        with self._lock:
            self.applied = migrate(self.conn)

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (BEGIN IMMEDIATE … COMMIT), rolled back on any error; sqlite errors translated.

        Re-entrant: a `write()` inside another joins the outer transaction, so a batch (many frames, one commit)
        is built from the same single-record code paths. A statement that fails inside (e.g. a UNIQUE clash the
        caller handles) is undone alone; the outer transaction stays usable.
        """
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self.conn
                except sqlite3.Error as exc:
                    raise translate(exc) from exc
                finally:
                    self._depth -= 1
                return
            try:
                begin_immediate(self.conn, timeout_s=self.busy_timeout_ms / 1000, busy_timeout_ms=self.busy_timeout_ms)
            except sqlite3.Error as exc:
                raise translate(exc) from exc
            self._depth = 1
            try:
                yield self.conn
                self.conn.execute("COMMIT")
            except BaseException as exc:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise translate(exc) from exc
                raise
            finally:
                self._depth = 0

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """Reads through the shared connection; sqlite errors translated."""
        with self._lock:
            try:
                yield self.conn
            except sqlite3.Error as exc:
                raise translate(exc) from exc

    def close(self) -> None:
        with self._lock:
            self.conn.close()
