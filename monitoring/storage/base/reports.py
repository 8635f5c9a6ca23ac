"""Fault report and stoppage request logic: upsert by id, replace-if-unchanged, NotFoundError, per-enterprise lists
oldest first."""

from __future__ import annotations

from abc import ABC, abstractmethod

from monitoring.errors import InvalidInputError, NotFoundError
from monitoring.reports.models import FaultReport, StoppageRequest


class ReportRepositoryBase(ABC):
    """Implements `monitoring.reports.ports.ReportRepository` over storage primitives."""

    @abstractmethod
    def _put_fault(self, report: FaultReport) -> None:
        """Insert or replace by id."""

    @abstractmethod
    def _get_fault(self, report_id: str) -> FaultReport | None: ...

    @abstractmethod
    def _faults_for(self, enterprise_id: str) -> list[FaultReport]: ...

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
