"""Port of the maintenance log (`Store.maintenance`): create-only entries, listed per enterprise newest first."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from monitoring.maintenance.models import MaintenanceEntry


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
