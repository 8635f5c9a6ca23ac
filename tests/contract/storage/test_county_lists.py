"""Contract suite of the county lists on every store: alarm pages, alarm lists and report streams of one county
(the enterprise's county in the registry), of every county merged, by branch and town, and an enterprise's open
alarms."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from monitoring.alarms.listing import AlarmQuery
from monitoring.alarms.models import Alarm, AlarmState, Cause, Episode, Response
from monitoring.registry.models import County, Enterprise, EnterpriseCategory
from monitoring.reports.models import FaultKind, FaultReport, StoppageKind, StoppageRequest
from monitoring.storage.ports import Store

pytestmark = pytest.mark.contract
T = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
# enterprise → county; "EX" is not in the registry (no county). A1 and A2 share town t-ca; A1 is in branch b1,
# the others in b-<county>.
HOME = {"A1": "ca", "A2": "ca", "B1": "cb", "B2": "cb"}


def _alarm(aid: str, enterprise: str, minutes: int, state: AlarmState = AlarmState.PENDING) -> Alarm:
    at = T + timedelta(minutes=minutes)
    ep = Episode(at - timedelta(minutes=10), None, {"thresholds": {}}, {})
    response = None if state == AlarmState.PENDING else Response(Cause.OTHER, "x", (), "u", at)
    return Alarm(aid, "control_stopped", f"{aid}/S", enterprise, "high", state, (ep,), at, at, response=response)


def _world(store: Store) -> None:
    for county in ("ca", "cb"):
        store.registry.put_county(County(county, county))
    for eid, county in HOME.items():
        branch = "b1" if eid == "A1" else f"b-{county}"
        store.registry.put_enterprise(
            Enterprise(eid, county, eid, f"t-{county}", branch, EnterpriseCategory.AIR_CONTROL)
        )
    # Interleaved in time and deadline across counties, so a merge in the wrong order shows.
    for i, (aid, eid) in enumerate(
        [("a0", "A1"), ("b0", "B1"), ("a1", "A2"), ("x0", "EX"), ("b1", "B2"), ("a2", "A1"), ("b2", "B1")]
    ):
        store.alarms.put(_alarm(aid, eid, 10 * i), expected_version=None)
    for aid, eid, minutes in (("ac", "A2", 5), ("bc", "B2", 15)):
        store.alarms.put(_alarm(aid, eid, minutes, AlarmState.CLOSED), expected_version=None)


def _page_ids(store: Store, query: AlarmQuery, limit: int = 2) -> list[str]:
    seen: list[str] = []
    after = None
    while True:
        page = store.alarms.page(query, after=after, limit=limit)
        seen += [a.id for a in page.alarms]
        if page.next_after is None:
            return seen
        after = page.next_after


def test_a_countys_alarm_pages_hold_only_its_enterprises_in_list_order(store: Store) -> None:
    _world(store)
    everything = _page_ids(store, AlarmQuery(), limit=50)
    assert everything == ["a0", "b0", "a1", "x0", "b1", "a2", "b2", "bc", "ac"]
    assert _page_ids(store, AlarmQuery(county_id="ca")) == ["a0", "a1", "a2", "ac"]
    assert _page_ids(store, AlarmQuery(county_id="cb"), limit=1) == ["b0", "b1", "b2", "bc"]
    assert _page_ids(store, AlarmQuery(), limit=3) == everything  # pages across the counties' merge
    assert _page_ids(store, AlarmQuery(county_id="nowhere")) == []


def test_a_county_and_an_enterprise_set_intersect(store: Store) -> None:
    _world(store)
    assert _page_ids(store, AlarmQuery(county_id="ca", enterprise_ids=frozenset({"A1", "B1"}))) == ["a0", "a2"]
    many = frozenset({"B1", *(f"Z{i}" for i in range(30))})  # DynamoDB: the county index, not per enterprise
    assert _page_ids(store, AlarmQuery(county_id="ca", enterprise_ids=many)) == []
    assert _page_ids(store, AlarmQuery(county_id="cb", enterprise_ids=many)) == ["b0", "b2"]


def test_branch_and_town_lists_hold_their_enterprises_in_list_order(store: Store) -> None:
    _world(store)
    assert _page_ids(store, AlarmQuery(branch_ids=frozenset({"b1"}))) == ["a0", "a2"]
    assert _page_ids(store, AlarmQuery(branch_ids=frozenset({"b-ca"}), county_id="ca")) == ["a1", "ac"]
    assert _page_ids(store, AlarmQuery(branch_ids=frozenset({"b1", "b-cb"}))) == ["a0", "b0", "b1", "a2", "b2", "bc"]
    assert _page_ids(store, AlarmQuery(town_ids=frozenset({"t-ca"}), county_id="ca"), limit=1) == [
        "a0",
        "a1",
        "a2",
        "ac",
    ]
    assert _page_ids(store, AlarmQuery(town_ids=frozenset({"t-ca"}), county_id="cb")) == []
    both = AlarmQuery(branch_ids=frozenset({"b-ca", "b-cb"}), town_ids=frozenset({"t-ca"}))
    assert _page_ids(store, both) == ["a1", "ac"]
    pending = AlarmQuery(branch_ids=frozenset({"b-cb"}), states=frozenset({AlarmState.PENDING}))
    assert _page_ids(store, pending) == ["b0", "b1", "b2"]
    closed = AlarmQuery(town_ids=frozenset({"t-cb"}), states=frozenset({AlarmState.CLOSED}))
    assert _page_ids(store, closed) == ["bc"]
    assert _page_ids(store, AlarmQuery(branch_ids=frozenset({"b1"}), enterprise_ids=frozenset({"A1"}))) == ["a0", "a2"]
    assert _page_ids(store, AlarmQuery(branch_ids=frozenset())) == []


def test_state_filters_read_the_open_or_the_closed_part(store: Store) -> None:
    _world(store)
    closed = frozenset({AlarmState.CLOSED, AlarmState.RETRACTED})
    assert _page_ids(store, AlarmQuery(states=closed)) == ["bc", "ac"]
    assert _page_ids(store, AlarmQuery(states=closed, county_id="cb")) == ["bc"]
    pending = frozenset({AlarmState.PENDING})
    assert _page_ids(store, AlarmQuery(states=pending, county_id="ca")) == ["a0", "a1", "a2"]


def test_alarm_lists_by_county_newest_first(store: Store) -> None:
    _world(store)
    assert [a.id for a in store.alarms.list()] == ["b2", "a2", "b1", "x0", "a1", "bc", "b0", "ac", "a0"]
    assert [a.id for a in store.alarms.list(county_id="ca")] == ["a2", "a1", "ac", "a0"]
    assert [a.id for a in store.alarms.list(county_id="cb", limit=2)] == ["b2", "b1"]
    open_ = [AlarmState.PENDING, AlarmState.DISPATCHED]
    assert [a.id for a in store.alarms.list(states=open_)] == ["b2", "a2", "b1", "x0", "a1", "b0", "a0"]
    assert [a.id for a in store.alarms.list(states=open_, county_id="cb")] == ["b2", "b1", "b0"]
    assert [a.id for a in store.alarms.list(states=open_, county_id="cb", limit=1)] == ["b2"]
    assert [a.id for a in store.alarms.list(enterprise_id="A1", county_id="cb")] == []
    assert [a.id for a in store.alarms.list(since=T + timedelta(minutes=20), county_id="ca")] == ["a2", "a1"]


def test_an_enterprises_open_alarms_leave_when_closed_and_return_when_reopened(store: Store) -> None:
    _world(store)
    assert [a.id for a in store.alarms.open_for_enterprise("A1")] == ["a0", "a2"]
    assert store.alarms.open_for_enterprise("A2") == [store.alarms.get("a1")]
    a0 = store.alarms.get("a0")
    closed = store.alarms.put(replace(a0, state=AlarmState.CLOSED, closed_at=T), expected_version=a0.version)
    assert [a.id for a in store.alarms.open_for_enterprise("A1")] == ["a2"]
    answered = replace(closed, state=AlarmState.RESPONDED, closed_at=None)
    again = store.alarms.put(answered, expected_version=closed.version)
    assert store.alarms.open_for_enterprise("A1")[0] == again  # the open list holds the current version


def _reports(store: Store) -> None:
    for i, eid in enumerate(["A1", "B1", "A2", "EX", "B2", "A1"]):
        at = T + timedelta(minutes=10 * i)
        store.reports.put_fault(FaultReport(f"F{i}", eid, FaultKind.MONITORING, ("P1",), at, at, "u", "x"))
        store.reports.put_stoppage(
            StoppageRequest(f"S{i}", eid, StoppageKind.CONTROL_STOP, ("C1",), at, at + timedelta(hours=1), "r", at, "u")
        )


def test_report_streams_by_county(store: Store) -> None:
    _world(store)
    _reports(store)
    assert [f.id for f in store.reports.recent_faults(None)] == ["F5", "F4", "F3", "F2", "F1", "F0"]
    assert [f.id for f in store.reports.recent_faults(None, county_id="ca")] == ["F5", "F2", "F0"]
    assert [s.id for s in store.reports.recent_stoppages(None, county_id="cb")] == ["S4", "S1"]
    after_f2 = ((T + timedelta(minutes=20)).isoformat(), "F2")
    assert [f.id for f in store.reports.recent_faults(None, before=after_f2, county_id="ca")] == ["F0"]
    assert [f.id for f in store.reports.recent_faults(frozenset({"A1", "B1"}), county_id="cb")] == ["F1"]
    many: Any = frozenset({"A1", "B2", *(f"Z{i}" for i in range(30))})
    assert [s.id for s in store.reports.recent_stoppages(many, county_id="ca")] == ["S5", "S0"]
    assert list(store.reports.recent_faults(None, county_id="nowhere")) == []
