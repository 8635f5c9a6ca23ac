"""People-written documents a rule tick reads (reports, emergency), kept across warm ticks while a change mark stands.

More: docs/rules.md, "Module notes".
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from monitoring.emergency.models import EmergencyAlert, HaltOrder
from monitoring.emergency.ports import EmergencyRepository
from monitoring.reports.models import FaultReport, StoppageRequest
from monitoring.reports.ports import ReportRepository
from monitoring.rules.situation import Emergency

AHEAD = timedelta(hours=1)  # alerts and halts are read this far past the tick's window, so the window slides inside


@dataclass
class _County:
    mark: str
    faults: dict[str, list[FaultReport]] = field(default_factory=dict)
    stoppages: dict[str, list[StoppageRequest]] = field(default_factory=dict)
    situation: tuple[datetime, datetime, Emergency] | None = None  # read for [start, end)


class PeopleDocsCache:
    """Per county: the change mark read at the last tick and the documents read under it. A tick reads the mark
    first (one request); while it is unchanged no such document was written since, so copies are served; another
    mark, or a store that keeps none, drops them. Each enterprise's are read again every `refresh_every` ticks
    (staggered), which bounds what a lost bump (the write stored, its bump failed) leaves stale."""

    def __init__(self, *, refresh_every: int = 15, max_counties: int = 8) -> None:
        self._refresh_every = max(refresh_every, 1)
        self._max_counties = max(max_counties, 1)
        self._counties: dict[str, _County] = {}
        self._ticks = 0

    def open(self, reports: ReportRepository, emergency: EmergencyRepository, county_id: str) -> PeopleDocs:
        """The documents for one tick of `county_id`; call before reading any of them."""
        self._ticks += 1
        mark = reports.people_changes(county_id)
        kept = self._counties.pop(county_id, None)
        if mark is None:
            return PeopleDocs(reports, emergency, _County(""), self._ticks, self._refresh_every)
        if kept is None or kept.mark != mark:
            kept = _County(mark)
        self._counties[county_id] = kept  # most recent last
        while len(self._counties) > self._max_counties:
            del self._counties[next(iter(self._counties))]
        return PeopleDocs(reports, emergency, kept, self._ticks, self._refresh_every)


class PeopleDocs:
    """One tick's reads of the people-written documents, through the county's copies."""

    def __init__(
        self, reports: ReportRepository, emergency: EmergencyRepository, kept: _County, tick: int, every: int
    ) -> None:
        self._reports = reports
        self._emergency = emergency
        self._kept = kept
        self._tick = tick
        self._every = every

    def _due(self, key: str) -> bool:
        return (self._tick + zlib.crc32(key.encode())) % self._every == 0

    def faults_for(self, enterprise_id: str) -> list[FaultReport]:
        if enterprise_id not in self._kept.faults or self._due(enterprise_id):
            self._kept.faults[enterprise_id] = self._reports.faults_for(enterprise_id)
        return list(self._kept.faults[enterprise_id])

    def stoppages_for(self, enterprise_id: str) -> list[StoppageRequest]:
        if enterprise_id not in self._kept.stoppages or self._due(enterprise_id):
            self._kept.stoppages[enterprise_id] = self._reports.stoppages_for(enterprise_id)
        return list(self._kept.stoppages[enterprise_id])

    def situation(self, start: datetime, end: datetime) -> Emergency:
        """Alerts and halts overlapping [start, end) and every enterprise's measures, as the repository gives them."""
        got = self._kept.situation
        if got is None or start < got[0] or end > got[1] or self._due("emergency"):
            em = self._emergency
            hi = end + AHEAD
            got = (start, hi, Emergency(em.alerts_between(start, hi), em.measures(), em.halts_between(start, hi)))
            self._kept.situation = got
        kept = got[2]
        return Emergency(
            alerts=[a for a in kept.alerts if _alert_overlaps(a, start, end)],
            measures=kept.measures,
            halts=[h for h in kept.halts if _halt_overlaps(h, start, end)],
        )


def _alert_overlaps(a: EmergencyAlert, start: datetime, end: datetime) -> bool:
    return a.start < end and a.end > start  # as EmergencyRepositoryBase.alerts_between


def _halt_overlaps(h: HaltOrder, start: datetime, end: datetime) -> bool:
    return h.start < end and (h.end is None or h.end > start)  # as EmergencyRepositoryBase.halts_between
