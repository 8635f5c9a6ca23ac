"""Readings, latest, aggregates and completeness in sqlite (times as integer microseconds)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import date, datetime
from typing import Any

from monitoring._time import from_micros, to_micros
from monitoring.clock import Clock
from monitoring.readings.models import Aggregate, AggregatePeriod, Completeness, Reading, ReadingKind, ValueRow
from monitoring.storage import codec
from monitoring.storage.base.readings import ReadingsRepositoryBase
from monitoring.storage.retention import RetentionPolicy
from monitoring.storage.sqlite.db import Database

_INSERT = "INSERT OR IGNORE INTO reading (point_id, kind, data_time, body, expires_at) VALUES "
_ROWS_PER_INSERT = 400  # 5 parameters a row, far below sqlite's limit on host parameters
_RETURNING = sqlite3.sqlite_version_info >= (3, 35)


def _insert_chunk(conn: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> list[bool]:
    """Insert rows unless their key exists; True where inserted. One statement for the chunk: RETURNING names
    the rows it inserted; of a key given twice only the first counts, as with one INSERT per row."""
    if not _RETURNING:  # sqlite before 3.35: one statement per row, its rowcount tells
        return [conn.execute(_INSERT + "(?, ?, ?, ?, ?)", row).rowcount == 1 for row in rows]
    sql = _INSERT + ", ".join(["(?, ?, ?, ?, ?)"] * len(rows)) + " RETURNING point_id, kind, data_time"
    inserted = set(conn.execute(sql, [value for row in rows for value in row]).fetchall())
    out = []
    for row in rows:
        key = row[:3]
        out.append(key in inserted)
        inserted.discard(key)
    return out


class SqliteReadingsRepository(ReadingsRepositoryBase):
    def _batch(self) -> AbstractContextManager[object]:
        return self._db.write()

    def __init__(self, db: Database, *, retention: RetentionPolicy | None = None, clock: Clock | None = None) -> None:
        super().__init__(retention=retention, clock=clock)
        self._db = db
        # The JSON bodies of the last insert (serialised once, reused for "latest"); under the db lock.
        self._bodies: tuple[object, dict[int, str]] = ((), {})

    def _insert_readings(self, items: Sequence[tuple[Reading, int | None]]) -> list[bool]:
        out: list[bool] = []
        bodies: dict[int, str] = {}  # by id(): put_readings advances "latest" with these same objects next
        with self._db.write() as conn:
            for start in range(0, len(items), _ROWS_PER_INSERT):
                chunk = items[start : start + _ROWS_PER_INSERT]
                rows = []
                for reading, ttl in chunk:
                    body = bodies[id(reading)] = codec.dumps(reading)
                    rows.append((reading.point_id, reading.kind.value, to_micros(reading.data_time), body, ttl))
                out += _insert_chunk(conn, rows)
        self._bodies = (items, bodies)  # items keeps the objects alive, so their ids cannot be reused
        return out

    def _advance_latest(self, readings: Sequence[Reading]) -> None:
        with self._db.write() as conn:
            conn.executemany(
                "INSERT INTO reading_latest (point_id, kind, data_time, body) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (point_id, kind) DO UPDATE SET data_time = excluded.data_time, body = excluded.body "
                "WHERE excluded.data_time > reading_latest.data_time",
                [(r.point_id, r.kind.value, to_micros(r.data_time), self._body(r)) for r in readings],
            )
        self._bodies = ((), {})

    def _body(self, reading: Reading) -> str:
        body = self._bodies[1].get(id(reading))
        return codec.dumps(reading) if body is None else body

    def _get_latest(self, point_id: str, kind: ReadingKind) -> Reading | None:
        with self._db.read() as conn:
            row = conn.execute(
                "SELECT body FROM reading_latest WHERE point_id = ? AND kind = ?", (point_id, kind.value)
            ).fetchone()
        return None if row is None else codec.loads(Reading, row[0])

    def _query_readings(
        self, point_id: str, kind: ReadingKind, start: datetime, end: datetime, limit: int
    ) -> list[Reading]:
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT body FROM reading WHERE point_id = ? AND kind = ? AND data_time >= ? AND data_time < ? "
                "ORDER BY data_time LIMIT ?",
                (point_id, kind.value, to_micros(start), to_micros(end), limit),
            ).fetchall()
        return [codec.loads(Reading, r[0]) for r in rows]

    def _query_values(
        self, point_id: str, kind: ReadingKind, start: datetime, end: datetime, names: tuple[str, ...], limit: int
    ) -> list[ValueRow]:
        # json_extract reads the few fields in SQL: ~10x cheaper than decoding and checking whole readings
        paths = [f"$.values.{n}" for n in names] + [f"$.flags.{n}" for n in names]
        columns = ", ".join(["json_extract(body, ?)"] * len(paths))
        with self._db.read() as conn:
            rows = conn.execute(
                f"SELECT data_time, {columns} FROM reading "  # noqa: S608 - placeholders only; paths are parameters
                "WHERE point_id = ? AND kind = ? AND data_time >= ? AND data_time < ? ORDER BY data_time LIMIT ?",
                (*paths, point_id, kind.value, to_micros(start), to_micros(end), limit),
            ).fetchall()
        n = len(names)
        out = []
        for row in rows:
            values = {name: float(v) for name, v in zip(names, row[1 : n + 1], strict=True) if v is not None}
            flags = {name: f for name, f in zip(names, row[n + 1 :], strict=True) if f is not None and f != "N"}
            out.append(ValueRow(from_micros(row[0]), values, flags))
        return out

    def _put_aggregate(self, aggregate: Aggregate, ttl: int | None) -> None:
        with self._db.write() as conn:
            conn.execute(
                "INSERT INTO reading_aggregate (point_id, period, start, body, expires_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (point_id, period, start) DO UPDATE SET body = excluded.body, "
                "expires_at = excluded.expires_at",
                (aggregate.point_id, aggregate.period.value, to_micros(aggregate.start), codec.dumps(aggregate), ttl),
            )

    def _query_aggregates(
        self, point_id: str, period: AggregatePeriod, start: datetime, end: datetime
    ) -> list[Aggregate]:
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT body FROM reading_aggregate WHERE point_id = ? AND period = ? AND start >= ? AND start < ? "
                "ORDER BY start",
                (point_id, period.value, to_micros(start), to_micros(end)),
            ).fetchall()
        return [codec.loads(Aggregate, r[0]) for r in rows]

    def _query_aggregates_of(
        self, point_ids: list[str], period: AggregatePeriod, start: datetime, end: datetime
    ) -> dict[str, list[Aggregate]]:
        # One statement for an enterprise's points: under concurrent requests every statement queues for the
        # shared connection (docs/api.md "Speed").
        out: dict[str, list[Aggregate]] = {pid: [] for pid in point_ids}
        for lo in range(0, len(point_ids), _ROWS_PER_INSERT):
            chunk = point_ids[lo : lo + _ROWS_PER_INSERT]
            with self._db.read() as conn:
                rows = conn.execute(
                    f"SELECT point_id, body FROM reading_aggregate WHERE point_id IN ({', '.join('?' * len(chunk))})"  # noqa: S608 - placeholders only
                    " AND period = ? AND start >= ? AND start < ? ORDER BY point_id, start",
                    (*chunk, period.value, to_micros(start), to_micros(end)),
                ).fetchall()
            for pid, body in rows:
                out[pid].append(codec.loads(Aggregate, body))
        return out

    def _query_hours_with_data(self, point_ids: list[str], start: datetime, end: datetime) -> dict[str, set[datetime]]:
        out: dict[str, set[datetime]] = {pid: set() for pid in point_ids}
        for lo in range(0, len(point_ids), _ROWS_PER_INSERT):
            chunk = point_ids[lo : lo + _ROWS_PER_INSERT]
            with self._db.read() as conn:
                rows = conn.execute(
                    f"SELECT point_id, start FROM reading_aggregate WHERE point_id IN ({', '.join('?' * len(chunk))})"  # noqa: S608 - placeholders only
                    " AND period = ? AND start >= ? AND start < ? AND json_extract(body, '$.samples') > 0",
                    (*chunk, AggregatePeriod.HOUR.value, to_micros(start), to_micros(end)),
                ).fetchall()
            for pid, at in rows:
                out[pid].add(from_micros(at))
        return out

    def _put_completeness(self, completeness: Completeness) -> None:
        with self._db.write() as conn:
            conn.execute(
                "INSERT INTO reading_completeness (point_id, day, body) VALUES (?, ?, ?) "
                "ON CONFLICT (point_id, day) DO UPDATE SET body = excluded.body",
                (completeness.point_id, completeness.day.isoformat(), codec.dumps(completeness)),
            )

    def _query_completeness(self, point_id: str, first_day: date, last_day: date) -> list[Completeness]:
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT body FROM reading_completeness WHERE point_id = ? AND day >= ? AND day <= ? ORDER BY day",
                (point_id, first_day.isoformat(), last_day.isoformat()),
            ).fetchall()
        return [codec.loads(Completeness, r[0]) for r in rows]

    def _purge_expired(self, now_epoch: int) -> int:
        with self._db.write() as conn:
            a = conn.execute("DELETE FROM reading WHERE expires_at IS NOT NULL AND expires_at <= ?", (now_epoch,))
            b = conn.execute(
                "DELETE FROM reading_aggregate WHERE expires_at IS NOT NULL AND expires_at <= ?", (now_epoch,)
            )
        return a.rowcount + b.rowcount
