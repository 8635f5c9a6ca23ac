"""Repository port for fault reports and stoppage requests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from monitoring.reports.models import FaultReport, StoppageRequest


class ReportRepository(Protocol):
    def people_changes(self, county_id: str) -> str | None:
        """A mark that changes whenever a fault report, stoppage request, emergency alert, measures or halt order
        of the county is written (the rules reuse their copies while it stands); None: this store keeps none."""
        ...

    def put_fault(self, report: FaultReport) -> None:
        """Insert or replace a fault report."""
        ...

    def get_fault(self, report_id: str) -> FaultReport:
        """NotFoundError if absent."""
        ...

    def faults_for(self, enterprise_id: str) -> list[FaultReport]:
        """All fault reports of the enterprise, oldest first."""
        ...

    def put_stoppage(self, request: StoppageRequest) -> None: ...

    def replace_fault(self, report: FaultReport, *, expected: FaultReport) -> None:
        """Replace the report if the stored one still equals `expected` (what the caller read), else ConflictError:
        two people deciding at once cannot both win."""
        ...

    def replace_stoppage(self, request: StoppageRequest, *, expected: StoppageRequest) -> None: ...

    def get_stoppage(self, request_id: str) -> StoppageRequest: ...

    def stoppages_for(self, enterprise_id: str) -> list[StoppageRequest]:
        """All stoppage requests of the enterprise, oldest first."""
        ...

    def recent_faults(
        self,
        enterprise_ids: frozenset[str] | None,
        *,
        before: tuple[str, str] | None = None,
        county_id: str | None = None,
    ) -> Iterator[FaultReport]:
        """Fault reports of the enterprises (None: all of `county_id`'s enterprises, or of every county), newest
        first by (filed_at as UTC ISO text, id), strictly after the position `before` in that order; read lazily,
        so a page reads about a page."""
        ...

    def recent_stoppages(
        self,
        enterprise_ids: frozenset[str] | None,
        *,
        before: tuple[str, str] | None = None,
        county_id: str | None = None,
    ) -> Iterator[StoppageRequest]: ...
