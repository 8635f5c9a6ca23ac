"""Report lists over a store: scope, filters, newest first with cursor pages, deemed approval and late filing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitoring.errors import ConflictError, InvalidInputError
from monitoring.reports.models import Decision, FaultKind, FaultReport, StoppageKind, StoppageRequest
from monitoring.reports.service import acknowledge_fault
from monitoring.reports.views import fault_reports, stoppage_requests
from monitoring.storage.memory import memory_store
from monitoring.storage.ports import Store
from tests.contract.storage.builders import enterprise, seed_jurisdictions

pytestmark = pytest.mark.unit
T = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # a Monday


def _store() -> Store:
    store = memory_store()
    seed_jurisdictions(store.registry)
    store.registry.put_enterprise(enterprise("e1"))
    store.registry.put_enterprise(enterprise("e2", branch_id="rugao-b6"))
    for i, (eid, late) in enumerate((("e1", False), ("e2", True), ("e1", True))):
        start = T + timedelta(hours=i) - timedelta(hours=3 if late else 1)
        store.reports.put_fault(
            FaultReport(f"f{i}", eid, FaultKind.MONITORING, ("p1",), start, T + timedelta(hours=i), "u", "断电")
        )
        store.reports.put_stoppage(
            StoppageRequest(
                f"s{i}",
                eid,
                StoppageKind.CONTROL_STOP,
                ("p1",),
                T,
                T + timedelta(days=1),
                "检修",
                T + timedelta(hours=i),
                "u",
            )
        )
    return store


def test_faults_are_scoped_newest_first_and_paged() -> None:
    store = _store()
    items, nxt = fault_reports(store, None, limit=2)
    assert [f.id for f in items] == ["f2", "f1"] and nxt is not None
    assert [f.filed_late for f in items] == [True, True]
    rest, end = fault_reports(store, None, after=nxt, limit=2)
    assert [f.id for f in rest] == ["f0"] and end is None and rest[0].filed_late is False
    assert [f.id for f in fault_reports(store, frozenset({"e2"}))[0]] == ["f1"]
    assert fault_reports(store, frozenset({"e2"}), enterprises=["e1"])[0] == []
    with pytest.raises(InvalidInputError):
        fault_reports(store, None, limit=0)


def test_acknowledged_once_and_open_only_filter() -> None:
    store = _store()
    assert acknowledge_fault(store.reports, "f0", by="u-zf").acknowledged_by == "u-zf"
    with pytest.raises(ConflictError):
        acknowledge_fault(store.reports, "f0", by="u-zf")
    store.reports.put_fault(FaultReport("f9", "e1", FaultKind.MONITORING, ("p1",), T, T, "u", "x", resolved_at=T))
    assert "f9" not in [f.id for f in fault_reports(store, None, open_only=True)[0]]


def test_stoppages_show_the_deemed_approval_after_five_working_days() -> None:
    store = _store()
    views, _ = stoppage_requests(store, None, T + timedelta(days=1))
    assert {v.effective for v in views} == {Decision.PENDING}
    assert views[-1].deadline == datetime(2026, 11, 30, 16, 0, tzinfo=UTC)  # end of Monday 30 Nov, Beijing
    later, _ = stoppage_requests(store, None, T + timedelta(days=8))
    assert {v.effective for v in later} == {Decision.DEEMED_APPROVED}
    pending = stoppage_requests(store, None, T, decisions=frozenset({Decision.APPROVED}))[0]
    assert pending == []
