"""Repository ports of the alarm package: alarms and the audit log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from monitoring.alarms.listing import AlarmPage, AlarmQuery, Position
from monitoring.alarms.models import Alarm, AlarmState, AuditEntry


class AlarmRepository(Protocol):
    def get(self, alarm_id: str) -> Alarm:
        """The alarm; NotFoundError if absent."""
        ...

    def latest(self, subject: str, rule: str) -> Alarm | None:
        """The most recently created alarm of (subject, rule), open or not."""
        ...

    def open_for_enterprise(self, enterprise_id: str) -> list[Alarm]:
        """Alarms of the enterprise not yet closed or retracted."""
        ...

    def list(
        self,
        *,
        enterprise_id: str | None = None,
        states: Sequence[AlarmState] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 1000,
        county_id: str | None = None,
    ) -> list[Alarm]:
        """Alarms filtered by enterprise, state, creation time and county (None: every county), newest first."""
        ...

    def page(self, query: AlarmQuery, *, after: Position | None = None, limit: int = 50) -> AlarmPage:
        """One page of the list people work from, in `listing.list_key` order (deadlines first), after `after`."""
        ...

    def put(self, alarm: Alarm, *, expected_version: int | None) -> Alarm:
        """Store a new alarm (expected_version None) or replace version `expected_version`.

        Returns the stored alarm with its version incremented. ConflictError if a new alarm's id exists, if
        another alarm of the same (subject, rule) is open, or if the stored version differs.
        """
        ...


class AuditLog(Protocol):
    def append(self, entry: AuditEntry) -> None: ...

    def for_alarm(self, alarm_id: str) -> list[AuditEntry]:
        """Entries of one alarm in the order they were appended."""
        ...
