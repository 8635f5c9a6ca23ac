"""Port of the random inspections (`Store.random_checks`): versioned pools, draws and checks."""

from __future__ import annotations

from typing import Protocol

from monitoring.random_checks.models import Check, Draw, InspectorPool


class RandomChecksRepository(Protocol):
    """Every `put_*` is conditional: it succeeds only when the stored version equals `record.version` (0 = must
    not exist yet) and returns the record with version + 1; otherwise ConflictError."""

    def put_pool(self, pool: InspectorPool) -> InspectorPool: ...
    def get_pool(self, county_id: str, branch_id: str) -> InspectorPool | None: ...
    def put_draw(self, draw: Draw) -> Draw: ...
    def get_draw(self, draw_id: str) -> Draw:
        """NotFoundError if absent."""
        ...

    def list_draws(self, county_id: str, *, branch_id: str | None = None, period: str | None = None) -> list[Draw]:
        """Draws of the county (of the branch, of the period), by branch, period and generation."""
        ...

    def put_check(self, check: Check) -> Check: ...
    def get_check(self, check_id: str) -> Check:
        """NotFoundError if absent."""
        ...

    def checks_of(self, draw_id: str) -> list[Check]:
        """The draw's checks, by check id."""
        ...
