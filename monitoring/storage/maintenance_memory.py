"""In-memory primitives of the maintenance log (part of `memory_store()`)."""

from __future__ import annotations

import threading
from datetime import datetime

from monitoring.errors import ConflictError
from monitoring.maintenance.models import MaintenanceEntry, ServiceProvider
from monitoring.storage.base.maintenance import MaintenanceRepositoryBase


class MemoryMaintenanceRepository(MaintenanceRepositoryBase):
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rows: dict[str, MaintenanceEntry] = {}
        self._providers_by_enterprise: dict[str, ServiceProvider] = {}

    def _put_provider(self, provider: ServiceProvider) -> None:
        with self._lock:
            self._providers_by_enterprise[provider.enterprise_id] = provider

    def _provider_for(self, enterprise_id: str) -> ServiceProvider | None:
        return self._providers_by_enterprise.get(enterprise_id)

    def _providers(self) -> list[ServiceProvider]:
        with self._lock:
            return list(self._providers_by_enterprise.values())

    def _insert_entry(self, entry: MaintenanceEntry) -> None:
        with self._lock:
            if entry.entry_id in self._rows:
                raise ConflictError(f"maintenance entry {entry.entry_id} exists")
            self._rows[entry.entry_id] = entry

    def _get_entry(self, entry_id: str) -> MaintenanceEntry | None:
        return self._rows.get(entry_id)

    def _entries_for(
        self, enterprise_id: str, limit: int, before: tuple[datetime, str] | None
    ) -> list[MaintenanceEntry]:
        with self._lock:
            return [e for e in self._rows.values() if e.enterprise_id == enterprise_id]
