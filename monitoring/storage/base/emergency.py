"""Emergency logic: alerts and halt orders by overlap with a window (ordered by start), measures per enterprise."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime

from monitoring.emergency.models import EmergencyAlert, EnterpriseMeasures, HaltOrder
from monitoring.errors import NotFoundError


class EmergencyRepositoryBase(ABC):
    """Implements `monitoring.emergency.ports.EmergencyRepository` over storage primitives."""

    @abstractmethod
    def _put_alert(self, alert: EmergencyAlert) -> None:
        """Insert or replace by id."""

    @abstractmethod
    def _get_alert(self, alert_id: str) -> EmergencyAlert | None: ...

    @abstractmethod
    def _alerts_starting_before(self, end: datetime) -> list[EmergencyAlert]:
        """At least the alerts with start < end (the base drops those that ended before the window)."""

    @abstractmethod
    def _put_measures(self, measures: EnterpriseMeasures) -> None:
        """Insert or replace by enterprise."""

    @abstractmethod
    def _all_measures(self) -> list[EnterpriseMeasures]: ...

    @abstractmethod
    def _put_halt(self, order: HaltOrder) -> None:
        """Insert or replace by id."""

    @abstractmethod
    def _halts_starting_before(self, end: datetime) -> list[HaltOrder]:
        """At least the halt orders with start < end."""

    def put_alert(self, alert: EmergencyAlert) -> None:
        self._put_alert(alert)

    def get_alert(self, alert_id: str) -> EmergencyAlert:
        found = self._get_alert(alert_id)
        if found is None:
            raise NotFoundError(f"emergency alert {alert_id} not found")
        return found

    def alerts_between(self, start: datetime, end: datetime) -> list[EmergencyAlert]:
        hits = (a for a in self._alerts_starting_before(end) if a.start < end and a.end > start)
        return sorted(hits, key=lambda a: (a.start, a.id))

    def put_measures(self, measures: EnterpriseMeasures) -> None:
        self._put_measures(measures)

    def measures(self) -> dict[str, EnterpriseMeasures]:
        return {m.enterprise_id: m for m in self._all_measures()}

    def put_halt(self, order: HaltOrder) -> None:
        self._put_halt(order)

    def halts_between(self, start: datetime, end: datetime) -> list[HaltOrder]:
        hits = (h for h in self._halts_starting_before(end) if h.start < end and (h.end is None or h.end > start))
        return sorted(hits, key=lambda h: (h.start, h.id))
