"""PeopleDocsCache: while the county's change mark stands a tick serves copies, and each enterprise's documents are
still read again once every refresh period, however many of the county's shards a container evaluates a tick."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from monitoring.emergency.models import EmergencyAlert
from monitoring.reports.models import FaultKind, FaultReport, StoppageRequest
from monitoring.rules.people_cache import PeopleDocsCache
from monitoring.storage.rules_memory import MemoryEmergencyRepository, MemoryReportRepository

pytestmark = pytest.mark.unit

T = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)


class MarkedReports(MemoryReportRepository):
    """The memory repository with a change mark that never moves (a write whose bump was lost), counting reads."""

    def __init__(self) -> None:
        super().__init__()
        self.read: Counter[tuple[str, str]] = Counter()

    def people_changes(self, county_id: str) -> str | None:
        return "mark-1"

    def faults_for(self, enterprise_id: str) -> list[FaultReport]:
        self.read["faults", enterprise_id] += 1
        return super().faults_for(enterprise_id)

    def stoppages_for(self, enterprise_id: str) -> list[StoppageRequest]:
        self.read["stoppages", enterprise_id] += 1
        return super().stoppages_for(enterprise_id)


class CountingEmergency(MemoryEmergencyRepository):
    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    def alerts_between(self, start: datetime, end: datetime) -> list[EmergencyAlert]:
        self.reads += 1
        return super().alerts_between(start, end)


@pytest.mark.parametrize("shards", [3, 12])
def test_a_container_evaluating_many_shards_of_a_county_reads_each_enterprise_again_once_a_refresh_period(
    shards: int,
) -> None:
    # Given one container evaluating `shards` shards of a county every 5-minute tick, copies due every 15 minutes
    reports, emergency = MarkedReports(), CountingEmergency()
    cache = PeopleDocsCache(refresh=15 * MIN)
    enterprises = {i: [f"s{i}e{j}" for j in range(10)] for i in range(shards)}

    def tick(t: datetime) -> None:
        for group in enterprises.values():  # each shard's tick opens the county's copies on its own
            docs = cache.open(reports, emergency, "c", t)
            docs.situation(t - 24 * 60 * MIN, t + MIN)
            for eid in group:
                assert docs.faults_for(eid) == [] and docs.stoppages_for(eid) == []

    tick(T)
    reports.read.clear()
    emergency.reads = 0
    # When the next three ticks run warm in the same container, the mark unchanged
    for n in (1, 2, 3):
        tick(T + 5 * n * MIN)
    # Then each enterprise's reports and the county's emergency documents were read again exactly once
    every = [(kind, eid) for group in enterprises.values() for eid in group for kind in ("faults", "stoppages")]
    assert reports.read == Counter(every)
    assert emergency.reads == 1


def test_a_fault_stored_without_its_bump_is_served_within_the_refresh_period() -> None:
    reports, emergency = MarkedReports(), CountingEmergency()
    cache = PeopleDocsCache(refresh=15 * MIN)
    assert cache.open(reports, emergency, "c", T).faults_for("e1") == []
    # When a fault report is stored but the county's mark is not bumped
    fault = FaultReport("F1", "e1", FaultKind.CONTROL_EQUIPMENT, ("p1",), T - 30 * MIN, T, "u1", "风机故障")
    reports.put_fault(fault)
    seen = [cache.open(reports, emergency, "c", T + 5 * n * MIN).faults_for("e1") for n in (1, 2, 3)]
    # Then a tick within the next 15 minutes serves it, and every later one too
    first = next(i for i, got in enumerate(seen) if got)
    assert all(got == [fault] for got in seen[first:])
