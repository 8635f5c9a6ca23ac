"""Ports of the rule engine: what it reads (topology, readings, events) and where it keeps its state."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from monitoring.alarms.ports import AlarmRepository, AuditLog
from monitoring.emergency.ports import EmergencyRepository
from monitoring.reports.ports import ReportRepository
from monitoring.rules.models import Sample, TerminalEvent, Topology


class RuleInputs(Protocol):
    """Read side: the registry and stored readings/events, in the rule engine's own types."""

    def topology(self) -> Topology: ...

    def samples(self, point_ids: Sequence[str], start: datetime, end: datetime) -> Mapping[str, list[Sample]]:
        """Readings with data time in [start, end) per point, sorted by data time, one per data time."""
        ...

    def events(self, mns: Sequence[str], start: datetime, end: datetime) -> list[TerminalEvent]:
        """Terminal events with time in [start, end)."""
        ...

    def late_arrivals(self, received_since: datetime, data_before: datetime) -> Mapping[str, datetime]:
        """For readings received at or after `received_since` with data time before `data_before`: the earliest
        such data time per point. This is how backfill reopens windows already evaluated."""
        ...


class RuleStateRepository(Protocol):
    """Small JSON documents keyed by name: evaluation watermarks, daily figures, baselines, status."""

    def get(self, key: str) -> dict[str, Any] | None: ...

    def put(self, key: str, value: dict[str, Any]) -> None: ...

    def delete(self, key: str) -> None:
        """Remove a document (absent keys are fine)."""
        ...

    def keys(self, prefix: str) -> list[str]:
        """Keys starting with `prefix`, sorted."""
        ...


class RulesRepositories(Protocol):
    """The repositories a rule tick uses: the part of `monitoring.storage.ports.Store` the rules area sees."""

    @property
    def rule_state(self) -> RuleStateRepository: ...

    @property
    def alarms(self) -> AlarmRepository: ...

    @property
    def audit(self) -> AuditLog: ...

    @property
    def reports(self) -> ReportRepository: ...

    @property
    def emergency(self) -> EmergencyRepository: ...
