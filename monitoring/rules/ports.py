"""Ports of the rule engine: where it keeps its state and the repositories one tick uses (what it reads, the
RuleInputs, is a port of monitoring.evaluation)."""

from __future__ import annotations

from typing import Any, Protocol

from monitoring.alarms.ports import AlarmRepository, AuditLog
from monitoring.emergency.ports import EmergencyRepository
from monitoring.reports.ports import ReportRepository


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

    def documents(self, prefix: str, start: str = "") -> dict[str, dict[str, Any]]:
        """The documents whose keys start with `prefix` and sort at or after `prefix + start`, by key in key order
        (one read where the store can, of those keys only)."""
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
