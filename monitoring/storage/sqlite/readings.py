"""Readings, latest, aggregates and completeness in sqlite (times as integer microseconds)."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import date, datetime

from monitoring._time import to_micros
from monitoring.clock import Clock
from monitoring.readings.models import Aggregate, AggregatePeriod, Completeness, Reading, ReadingKind
from monitoring.storage import codec
from monitoring.storage.base.readings import ReadingsRepositoryBase
from monitoring.storage.retention import RetentionPolicy
from monitoring.storage.sqlite.db import Database


class SqliteReadingsRepository(ReadingsRepositoryBase):
    def _batch(self) -> AbstractContextManager[object]:
        return self._db.write()

    def __init__(self, db: Database, *, retention: RetentionPolicy | None = None, clock: Clock | None = None) -> None:
        super().__init__(retention=retention, clock=clock)
        self._db = db
        # The JSON bodies of the last insert (serialised once, reused for "latest"); under the db lock.
        self._bodies: tuple[object, dict[int, str]] = ((), {})

    def _insert_readings(self, items: Sequence[tuple[Reading, int | None]]) -> list[bool]:
        out = []
        bodies: dict[int, str] = {}  # by id(): put_readings advances "latest" with these same objects next
        with self._db.write() as conn:
            for reading, ttl in items:
                body = bodies[id(reading)] = codec.dumps(reading)
                cur = conn.execute(
                    "INSERT OR IGNORE INTO reading (point_id, kind, data_time, body, expires_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (reading.point_id, reading.kind.value, to_micros(reading.data_time), body, ttl),
                )
                out.append(cur.rowcount == 1)
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
