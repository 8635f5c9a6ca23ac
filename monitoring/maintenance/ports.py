"""Port of the maintenance log (`Store.maintenance`): create-only entries, listed per enterprise newest first, and
each enterprise's service provider (one record per enterprise, replaced when it changes)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from monitoring.maintenance.models import MaintenanceEntry, ServiceProvider


class MaintenanceRepository(Protocol):
    def put_entry(self, entry: MaintenanceEntry) -> None:
        """Create; ConflictError if the id exists (entries never change: a correction is a new entry)."""
        ...

    def get_entry(self, entry_id: str) -> MaintenanceEntry:
        """NotFoundError if absent."""
        ...

    def entries_for(
        self, enterprise_id: str, *, limit: int = 50, before: tuple[datetime, str] | None = None
    ) -> list[MaintenanceEntry]:
        """The enterprise's entries newest first (at, then id, descending), those before `before` (at, id) only."""
        ...

    def put_provider(self, provider: ServiceProvider) -> None:
        """Create or replace the enterprise's service provider."""
        ...

    def provider_for(self, enterprise_id: str) -> ServiceProvider | None: ...

    def providers(self) -> list[ServiceProvider]:
        """Every enterprise's provider, by enterprise id."""
        ...
