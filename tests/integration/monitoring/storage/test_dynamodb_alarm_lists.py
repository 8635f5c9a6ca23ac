"""On DynamoDB Local: what the alarm lists read. A county's list reads its own partition only, a branch's list its
branch's, and an enterprise's open alarms none of its closed ones (docs/dynamodb.md's access-pattern table)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from monitoring.alarms.listing import AlarmQuery
from monitoring.alarms.models import Alarm, AlarmState, Episode
from monitoring.registry.models import County, Enterprise, EnterpriseCategory
from monitoring.storage.dynamodb.adapter import DynamoDBBackend
from monitoring.storage.ports import Store
from tests.support.dynamodb_tables import backend_fixture

pytestmark = pytest.mark.integration
T = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
PAD = {"note": "x" * 3000}  # ≈ 3 KB alarms, so that reading them shows in the units


backend = backend_fixture("al")


def _alarm(aid: str, enterprise: str, state: AlarmState, minutes: int) -> Alarm:
    at = T + timedelta(minutes=minutes)
    ep = Episode(at, None, {"thresholds": {}}, {})
    return Alarm(aid, "control_stopped", f"{aid}/s", enterprise, "high", state, (ep,), at, at, extra=PAD)


@pytest.fixture
def store(backend: DynamoDBBackend) -> Store:
    made = backend.store()
    for county in ("small", "big"):
        made.registry.put_county(County(county, county))
    places = {"S1": ("small", "bs"), "G1": ("big", "b1"), "G2": ("big", "b2")}
    for eid, (county, branch) in places.items():
        made.registry.put_enterprise(Enterprise(eid, county, eid, "t", branch, EnterpriseCategory.AIR_CONTROL))
    made.alarms.put(_alarm("s-open", "S1", AlarmState.PENDING, 0), expected_version=None)
    for i in range(40):  # the big county: G1's history is closed, G2's alarms open
        made.alarms.put(_alarm(f"g1-{i}", "G1", AlarmState.CLOSED, i), expected_version=None)
        made.alarms.put(_alarm(f"g2-{i}", "G2", AlarmState.PENDING, i), expected_version=None)
    return made


def _read_units(backend: DynamoDBBackend) -> float:
    units = backend.meter.total().read_units
    backend.meter.reset()
    return units


def test_a_countys_list_does_not_read_another_countys_alarms(backend: DynamoDBBackend, store: Store) -> None:
    backend.meter.reset()
    page = store.alarms.page(AlarmQuery(county_id="small"), limit=50)
    assert [a.id for a in page.alarms] == ["s-open"]
    assert _read_units(backend) <= 0.5  # one ≈ 3 KB alarm, eventually consistent (80 alarms of 3 KB: ≈ 30)


def test_a_branchs_list_reads_its_own_partition(backend: DynamoDBBackend, store: Store) -> None:
    backend.meter.reset()
    query = AlarmQuery(county_id="big", branch_ids=frozenset({"b1"}))
    page = store.alarms.page(query, limit=5)
    assert [a.id for a in page.alarms] == [f"g1-{i}" for i in (39, 38, 37, 36, 35)]  # closed: newest change first
    # One request; the branch's closed alarms only (the county's index holds G2's 40 open ones first).
    assert backend.meter.total().requests == 1
    assert _read_units(backend) <= 40 * 4 / 8 + 1  # walking the county index would read G2's too: ≈ 38


def test_an_enterprises_open_alarms_read_none_of_its_closed_ones(backend: DynamoDBBackend, store: Store) -> None:
    backend.meter.reset()
    assert store.alarms.open_for_enterprise("G1") == []
    assert _read_units(backend) <= 0.5  # 40 closed alarms of 3 KB would be ≈ 15
    g2 = store.alarms.open_for_enterprise("G2")
    assert len(g2) == 40
    closed = store.alarms.put(replace(g2[0], state=AlarmState.CLOSED, closed_at=T), expected_version=g2[0].version)
    assert [a.id for a in store.alarms.open_for_enterprise("G2")] == [a.id for a in g2[1:]]
    assert closed.id not in {a.id for a in store.alarms.list(states=[AlarmState.PENDING], county_id="big")}
