"""Maintenance log entries in sqlite (schema/92_maintenance.sql; the id's primary key refuses a second insert)
and service providers (105_maintenance_providers.sql, one row per enterprise)."""

from __future__ import annotations

from datetime import datetime

from monitoring._time import to_micros
from monitoring.maintenance.models import MaintenanceEntry, ServiceProvider
from monitoring.storage import codec
from monitoring.storage.base.maintenance import MaintenanceRepositoryBase
from monitoring.storage.sqlite.db import Database


class SqliteMaintenanceRepository(MaintenanceRepositoryBase):
    def __init__(self, db: Database) -> None:
        self._db = db

    def _insert_entry(self, entry: MaintenanceEntry) -> None:
        with self._db.write() as c:  # a second insert of the id: IntegrityError → ConflictError (db.py)
            c.execute(
                "INSERT INTO maintenance_entry (entry_id, enterprise_id, at, body) VALUES (?, ?, ?, ?)",
                (entry.entry_id, entry.enterprise_id, to_micros(entry.at), codec.dumps(entry)),
            )

    def _get_entry(self, entry_id: str) -> MaintenanceEntry | None:
        with self._db.read() as c:
            row = c.execute("SELECT body FROM maintenance_entry WHERE entry_id = ?", (entry_id,)).fetchone()
        return None if row is None else codec.loads(MaintenanceEntry, row[0])

    def _entries_for(
        self, enterprise_id: str, limit: int, before: tuple[datetime, str] | None
    ) -> list[MaintenanceEntry]:
        where = "enterprise_id = ?"
        args: list[object] = [enterprise_id]
        if before is not None:
            where += " AND (at < ? OR (at = ? AND entry_id < ?))"
            args += [to_micros(before[0]), to_micros(before[0]), before[1]]
        with self._db.read() as c:
            rows = c.execute(
                f"SELECT body FROM maintenance_entry WHERE {where} ORDER BY at DESC, entry_id DESC LIMIT ?",
                (*args, limit),
            ).fetchall()
        return [codec.loads(MaintenanceEntry, r[0]) for r in rows]

    def _put_provider(self, provider: ServiceProvider) -> None:
        with self._db.write() as c:
            c.execute(
                "INSERT INTO maintenance_provider (enterprise_id, body) VALUES (?, ?)"
                " ON CONFLICT (enterprise_id) DO UPDATE SET body = excluded.body",
                (provider.enterprise_id, codec.dumps(provider)),
            )

    def _provider_for(self, enterprise_id: str) -> ServiceProvider | None:
        with self._db.read() as c:
            row = c.execute(
                "SELECT body FROM maintenance_provider WHERE enterprise_id = ?", (enterprise_id,)
            ).fetchone()
        return None if row is None else codec.loads(ServiceProvider, row[0])

    def _providers(self) -> list[ServiceProvider]:
        with self._db.read() as c:
            rows = c.execute("SELECT body FROM maintenance_provider ORDER BY enterprise_id").fetchall()
        return [codec.loads(ServiceProvider, r[0]) for r in rows]
