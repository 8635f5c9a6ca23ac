"""Fault report and stoppage request logic: upsert by id, replace-if-unchanged, NotFoundError, per-enterprise lists
oldest first, and newest-first streams for the API's lists."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from datetime import UTC, datetime

from monitoring.errors import InvalidInputError, NotFoundError
from monitoring.reports.models import FaultReport, StoppageRequest

ReportPosition = tuple[str, str]  # (filed_at as UTC ISO text, id): where a newest-first list stands


def report_position(filed_at: datetime, ident: str) -> ReportPosition:
    return (filed_at.astimezone(UTC).isoformat(), ident)


class ReportRepositoryBase(ABC):
    """Implements `monitoring.reports.ports.ReportRepository` over storage primitives."""

    def people_changes(self, county_id: str) -> str | None:
        """A mark that changes whenever a report or emergency document of the county is written; None: not kept."""
        del county_id
        return None

    @abstractmethod
    def _put_fault(self, report: FaultReport) -> None:
        """Insert or replace by id."""

    @abstractmethod
    def _get_fault(self, report_id: str) -> FaultReport | None: ...

    @abstractmethod
    def _faults_for(self, enterprise_id: str) -> list[FaultReport]: ...

    @abstractmethod
    def _recent_faults(
        self, enterprise_ids: frozenset[str] | None, before: ReportPosition | None, county_id: str | None
    ) -> Iterator[FaultReport]:
        """Newest first by `report_position`, strictly before `before`, lazily: every report of the enterprises
        (None: all), and any others the backend could not leave out (the base drops them). With `county_id`,
        only reports of that county's enterprises (the backend applies it: a report does not carry it)."""

    @abstractmethod
    def _recent_stoppages(
        self, enterprise_ids: frozenset[str] | None, before: ReportPosition | None, county_id: str | None
    ) -> Iterator[StoppageRequest]: ...

    @abstractmethod
    def _swap_fault(self, report: FaultReport, expected: FaultReport) -> None:
        """Replace the stored report if it still equals `expected` (atomically), else ConflictError."""

    @abstractmethod
    def _swap_stoppage(self, request: StoppageRequest, expected: StoppageRequest) -> None:
        """Replace the stored request if it still equals `expected` (atomically), else ConflictError."""

    @abstractmethod
    def _put_stoppage(self, request: StoppageRequest) -> None:
        """Insert or replace by id."""

    @abstractmethod
    def _get_stoppage(self, request_id: str) -> StoppageRequest | None: ...

    @abstractmethod
    def _stoppages_for(self, enterprise_id: str) -> list[StoppageRequest]: ...

    def put_fault(self, report: FaultReport) -> None:
        self._put_fault(report)

    def get_fault(self, report_id: str) -> FaultReport:
        found = self._get_fault(report_id)
        if found is None:
            raise NotFoundError(f"fault report {report_id} not found")
        return found

    def faults_for(self, enterprise_id: str) -> list[FaultReport]:
        return sorted(self._faults_for(enterprise_id), key=lambda f: (f.filed_at, f.id))

    def put_stoppage(self, request: StoppageRequest) -> None:
        self._put_stoppage(request)

    def replace_fault(self, report: FaultReport, *, expected: FaultReport) -> None:
        if report.id != expected.id:
            raise InvalidInputError("a fault report keeps its id")
        self._swap_fault(report, expected)

    def replace_stoppage(self, request: StoppageRequest, *, expected: StoppageRequest) -> None:
        if request.id != expected.id:
            raise InvalidInputError("a stoppage request keeps its id")
        self._swap_stoppage(request, expected)

    def get_stoppage(self, request_id: str) -> StoppageRequest:
        found = self._get_stoppage(request_id)
        if found is None:
            raise NotFoundError(f"stoppage request {request_id} not found")
        return found

    def stoppages_for(self, enterprise_id: str) -> list[StoppageRequest]:
        return sorted(self._stoppages_for(enterprise_id), key=lambda s: (s.filed_at, s.id))

    def recent_faults(
        self,
        enterprise_ids: frozenset[str] | None,
        *,
        before: ReportPosition | None = None,
        county_id: str | None = None,
    ) -> Iterator[FaultReport]:
        for f in self._recent_faults(enterprise_ids, before, county_id):
            pos = report_position(f.filed_at, f.id)
            if (enterprise_ids is None or f.enterprise_id in enterprise_ids) and (before is None or pos < before):
                yield f

    def recent_stoppages(
        self,
        enterprise_ids: frozenset[str] | None,
        *,
        before: ReportPosition | None = None,
        county_id: str | None = None,
    ) -> Iterator[StoppageRequest]:
        for r in self._recent_stoppages(enterprise_ids, before, county_id):
            pos = report_position(r.filed_at, r.id)
            if (enterprise_ids is None or r.enterprise_id in enterprise_ids) and (before is None or pos < before):
                yield r
