"""Contract: the county change mark of the people-written documents every rule tick reads (where a store keeps one)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from monitoring.emergency.models import EmergencyAlert, EnterpriseMeasures, HaltOrder, Level, LevelMeasures
from monitoring.errors import ConflictError
from monitoring.registry.models import Branch, County, Town, TownKind
from monitoring.reports.models import Decision, FaultKind, FaultReport, StoppageKind, StoppageRequest
from monitoring.storage.ports import Store
from tests.contract.storage import builders as b

pytestmark = pytest.mark.contract
T = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def _two_counties(store: Store) -> None:
    b.seed_jurisdictions(store.registry)
    store.registry.put_county(County("haian", "海安市", "南通市", "江苏省"))
    store.registry.put_town(Town("haian-t1", "haian", "城东镇", TownKind.TOWN))
    store.registry.put_branch(Branch("haian-b1", "haian", "执法一局"))
    store.registry.put_enterprise(b.enterprise("E1"))
    store.registry.put_enterprise(b.enterprise("H1", county_id="haian", town_id="haian-t1", branch_id="haian-b1"))


def test_every_write_a_rule_tick_reads_changes_its_countys_mark_and_no_other(store: Store) -> None:
    _two_counties(store)
    marks = {c: store.reports.people_changes(c) for c in ("rugao", "haian")}
    if marks["rugao"] is None:  # memory and sqlite keep no mark: every tick reads the documents again
        return
    fault = FaultReport("F1", "E1", FaultKind.CONTROL_EQUIPMENT, ("C1",), T, T, "u", "故障")
    stop = StoppageRequest("S1", "E1", StoppageKind.CONTROL_STOP, ("C1",), T, T + timedelta(hours=4), "检修", T, "u")
    writes: list[Callable[[], None]] = [
        lambda: store.reports.put_fault(fault),
        lambda: store.reports.replace_fault(replace(fault, acknowledged_by="b"), expected=fault),
        lambda: store.reports.put_stoppage(stop),
        lambda: store.reports.replace_stoppage(replace(stop, decision=Decision.APPROVED), expected=stop),
        lambda: store.emergency.put_measures(EnterpriseMeasures("E1", {Level.RED: LevelMeasures(("P1",), 0.5, ())})),
        lambda: store.emergency.put_halt(HaltOrder("H1", "E1", T, None, "停产整治")),
    ]
    for write in writes:
        write()
        now = {c: store.reports.people_changes(c) for c in ("rugao", "haian")}
        assert now["rugao"] != marks["rugao"] and now["haian"] == marks["haian"]
        marks = now
    # An alert may reach any county's enterprises: it changes every county's mark
    store.emergency.put_alert(
        EmergencyAlert("A1", Level.RED, T, T + timedelta(days=1), "红色预警", None, None, "应急科")
    )
    assert all(store.reports.people_changes(c) != marks[c] for c in ("rugao", "haian"))
    # A write refused as a conflict changes nothing
    marks = {c: store.reports.people_changes(c) for c in ("rugao", "haian")}
    with pytest.raises(ConflictError):
        store.reports.replace_fault(replace(fault, resolved_at=T), expected=fault)
    assert {c: store.reports.people_changes(c) for c in ("rugao", "haian")} == marks
