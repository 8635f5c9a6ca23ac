"""Maintenance log logic: create-only puts, NotFoundError, per-enterprise lists newest first with a cursor;
service providers one per enterprise."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime

from monitoring.errors import ConflictError, InvalidInputError, NotFoundError
from monitoring.maintenance.models import MaintenanceEntry, ServiceProvider
from monitoring.registry.models import check_id


class MaintenanceRepositoryBase(ABC):
    """Implements `monitoring.maintenance.ports.MaintenanceRepository` over storage primitives."""

    @abstractmethod
    def _insert_entry(self, entry: MaintenanceEntry) -> None:
        """Insert; ConflictError if the id exists."""

    @abstractmethod
    def _get_entry(self, entry_id: str) -> MaintenanceEntry | None: ...

    @abstractmethod
    def _entries_for(
        self, enterprise_id: str, limit: int, before: tuple[datetime, str] | None
    ) -> list[MaintenanceEntry]:
        """Up to `limit` entries of the enterprise older than `before` (at, id), newest first."""

    @abstractmethod
    def _put_provider(self, provider: ServiceProvider) -> None: ...

    @abstractmethod
    def _provider_for(self, enterprise_id: str) -> ServiceProvider | None: ...

    @abstractmethod
    def _providers(self) -> list[ServiceProvider]: ...

    def put_provider(self, provider: ServiceProvider) -> None:
        self._put_provider(provider)

    def provider_for(self, enterprise_id: str) -> ServiceProvider | None:
        return self._provider_for(check_id(enterprise_id, "enterprise_id"))

    def providers(self) -> list[ServiceProvider]:
        return sorted(self._providers(), key=lambda p: p.enterprise_id)

    def put_entry(self, entry: MaintenanceEntry) -> None:
        if self._get_entry(entry.entry_id) is not None:
            raise ConflictError(f"maintenance entry {entry.entry_id} exists")
        self._insert_entry(entry)

    def get_entry(self, entry_id: str) -> MaintenanceEntry:
        found = self._get_entry(check_id(entry_id, "entry_id"))
        if found is None:
            raise NotFoundError(f"维护记录 {entry_id} 不存在")
        return found

    def entries_for(
        self, enterprise_id: str, *, limit: int = 50, before: tuple[datetime, str] | None = None
    ) -> list[MaintenanceEntry]:
        if not 1 <= limit <= 1000:
            raise InvalidInputError("limit must be within 1..1000")
        found = self._entries_for(check_id(enterprise_id, "enterprise_id"), limit, before)
        if before is not None:
            found = [e for e in found if (e.at, e.entry_id) < before]
        return sorted(found, key=lambda e: (e.at, e.entry_id), reverse=True)[:limit]
