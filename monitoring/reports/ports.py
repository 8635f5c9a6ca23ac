"""Repository port for fault reports and stoppage requests."""

from __future__ import annotations

from typing import Protocol

from monitoring.reports.models import FaultReport, StoppageRequest


class ReportRepository(Protocol):
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
