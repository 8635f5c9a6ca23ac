"""Events in sqlite."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from monitoring._time import to_micros
from monitoring.events.models import Event
from monitoring.storage import codec
from monitoring.storage.base.events import EventsRepositoryBase
from monitoring.storage.retention import RetentionPolicy
from monitoring.storage.sqlite.db import Database

_COLUMN = {"mn": "mn", "point": "point_id", "kind": "kind"}


class SqliteEventsRepository(EventsRepositoryBase):
    def __init__(self, db: Database, *, retention: RetentionPolicy | None = None) -> None:
        super().__init__(retention=retention)
        self._db = db

    def _insert_events(self, items: Sequence[tuple[Event, int | None]]) -> list[bool]:
        out = []
        with self._db.write() as conn:
            for event, ttl in items:
                cur = conn.execute(
                    "INSERT OR IGNORE INTO event (event_id, mn, point_id, kind, occurred_at, body, expires_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        event.event_id,
                        event.mn,
                        event.point_id,
                        event.kind.value,
                        to_micros(event.occurred_at),
                        codec.dumps(event),
                        ttl,
                    ),
                )
                out.append(cur.rowcount == 1)
        return out

    def _query_events(
        self, by: str, value: str, start: datetime, end: datetime, limit: int, consistent: bool = True
    ) -> list[Event]:
        column = _COLUMN[by]  # fixed whitelist, never user text
        with self._db.read() as conn:
            rows = conn.execute(
                f"SELECT body FROM event WHERE {column} = ? AND occurred_at >= ? AND occurred_at < ? "
                "ORDER BY occurred_at, event_id LIMIT ?",
                (value, to_micros(start), to_micros(end), limit),
            ).fetchall()
        return [codec.loads(Event, r[0]) for r in rows]

    def _purge_expired(self, now_epoch: int) -> int:
        with self._db.write() as conn:
            cur = conn.execute("DELETE FROM event WHERE expires_at IS NOT NULL AND expires_at <= ?", (now_epoch,))
        return cur.rowcount
