"""People-written documents a rule tick reads (reports, emergency), kept across warm ticks while a change mark stands.

More: docs/rules.md, "Module notes".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from monitoring.emergency.models import EmergencyAlert, HaltOrder
from monitoring.emergency.ports import EmergencyRepository
from monitoring.reports.models import FaultReport, StoppageRequest
from monitoring.reports.ports import ReportRepository
from monitoring.rules.refresh_turns import RefreshTurns, minute_of
from monitoring.rules.situation import Emergency

AHEAD = timedelta(hours=1)  # alerts and halts are read this far past the tick's window, so the window slides inside


@dataclass
class _County:
    """The documents read under one mark, each with the minute of the tick that read it (minute_of)."""

    mark: str
    faults: dict[str, tuple[int, list[FaultReport]]] = field(default_factory=dict)
    stoppages: dict[str, tuple[int, list[StoppageRequest]]] = field(default_factory=dict)
    situation: tuple[int, datetime, datetime, Emergency] | None = None  # read for [start, end)


class PeopleDocsCache:
    """Per county: the change mark read at the last tick and the documents read under it. A tick reads the mark
    first (one request); while it is unchanged no such document was written since, so copies are served; another
    mark, or a store that keeps none, drops them. Each enterprise's are read again once every `refresh` of tick
    time (staggered by key, refresh_turns.py), which bounds what a lost bump (the write stored, its bump failed)
    leaves stale, however many of the county's shards the container evaluates a tick."""

    def __init__(self, *, refresh: timedelta = timedelta(minutes=15), max_counties: int = 8) -> None:
        self._turns = RefreshTurns(refresh)
        self._max_counties = max(max_counties, 1)
        self._counties: dict[str, _County] = {}

    def open(
        self, reports: ReportRepository, emergency: EmergencyRepository, county_id: str, tick: datetime
    ) -> PeopleDocs:
        """The documents for the tick at `tick` of `county_id`; call before reading any of them."""
        mark = reports.people_changes(county_id)
        kept = self._counties.pop(county_id, None)
        if mark is None:
            return PeopleDocs(reports, emergency, _County(""), minute_of(tick), self._turns)
        if kept is None or kept.mark != mark:
            kept = _County(mark)
        self._counties[county_id] = kept  # most recent last
        while len(self._counties) > self._max_counties:
            del self._counties[next(iter(self._counties))]
        return PeopleDocs(reports, emergency, kept, minute_of(tick), self._turns)


class PeopleDocs:
    """One tick's reads of the people-written documents, through the county's copies."""

    def __init__(
        self, reports: ReportRepository, emergency: EmergencyRepository, kept: _County, minute: int, turns: RefreshTurns
    ) -> None:
        self._reports = reports
        self._emergency = emergency
        self._kept = kept
        self._minute = minute
        self._turns = turns

    def faults_for(self, enterprise_id: str) -> list[FaultReport]:
        got = self._kept.faults.get(enterprise_id)
        if got is None or self._turns.due(enterprise_id, got[0], self._minute):
            got = self._kept.faults[enterprise_id] = (self._minute, self._reports.faults_for(enterprise_id))
        return list(got[1])

    def stoppages_for(self, enterprise_id: str) -> list[StoppageRequest]:
        got = self._kept.stoppages.get(enterprise_id)
        if got is None or self._turns.due(enterprise_id, got[0], self._minute):
            got = self._kept.stoppages[enterprise_id] = (self._minute, self._reports.stoppages_for(enterprise_id))
        return list(got[1])

    def situation(self, start: datetime, end: datetime) -> Emergency:
        """Alerts and halts overlapping [start, end) and every enterprise's measures, as the repository gives them."""
        got = self._kept.situation
        if got is None or start < got[1] or end > got[2] or self._turns.due("emergency", got[0], self._minute):
            em = self._emergency
            hi = end + AHEAD
            alerts, halts = em.alerts_between(start, hi), em.halts_between(start, hi)
            got = (self._minute, start, hi, Emergency(alerts, em.measures(), halts))
            self._kept.situation = got
        kept = got[3]
        return Emergency(
            alerts=[a for a in kept.alerts if _alert_overlaps(a, start, end)],
            measures=kept.measures,
            halts=[h for h in kept.halts if _halt_overlaps(h, start, end)],
        )


def _alert_overlaps(a: EmergencyAlert, start: datetime, end: datetime) -> bool:
    return a.start < end and a.end > start  # as EmergencyRepositoryBase.alerts_between


def _halt_overlaps(h: HaltOrder, start: datetime, end: datetime) -> bool:
    return h.start < end and (h.end is None or h.end > start)  # as EmergencyRepositoryBase.halts_between
