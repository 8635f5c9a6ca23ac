"""Repository port for emergency alerts, per-enterprise measures and halt orders."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from monitoring.emergency.models import EmergencyAlert, EnterpriseMeasures, HaltOrder


class EmergencyRepository(Protocol):
    def put_alert(self, alert: EmergencyAlert) -> None: ...

    def get_alert(self, alert_id: str) -> EmergencyAlert:
        """NotFoundError if absent."""
        ...

    def alerts_between(self, start: datetime, end: datetime) -> list[EmergencyAlert]:
        """Alerts overlapping [start, end), by start time."""
        ...

    def put_measures(self, measures: EnterpriseMeasures) -> None: ...

    def measures(self) -> dict[str, EnterpriseMeasures]:
        """Measures of every enterprise that has some."""
        ...

    def put_halt(self, order: HaltOrder) -> None: ...

    def halts_between(self, start: datetime, end: datetime) -> list[HaltOrder]: ...
