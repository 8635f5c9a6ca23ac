"""Maintenance over a store: inspections due per terminal, repair obligations from fault reports and offline /
power-loss alarms met by repair records, inspection records with readings beside the platform's, providers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitoring.errors import InvalidInputError, NotFoundError
from monitoring.maintenance.checklist import checklist
from monitoring.maintenance.models import MaintenanceEntry, MaintenanceKind, ServiceProvider, new_entry_id
from monitoring.maintenance.schedule import InspectionState, RepairState
from monitoring.maintenance.service import (
    inspections,
    record_inspection,
    record_repair,
    repair_obligations,
    set_provider,
)
from monitoring.readings.models import Reading, ReadingKind
from monitoring.storage.memory import memory_store
from tests.support.maintenance_world import build, fault_report, offline_alarm

pytestmark = pytest.mark.unit
NOW = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)
ALL_OK = {k: True for k in checklist()}


def _commissioned(store, mn: str, enterprise_id: str, at: datetime) -> None:  # type: ignore[no-untyped-def]
    from monitoring.maintenance.models import CheckResult, Verdict

    check = CheckResult("voltage", "三相电压", Verdict.PASS, "ok")
    store.maintenance.put_entry(MaintenanceEntry(new_entry_id(), enterprise_id, MaintenanceKind.COMMISSIONING, at,
                                                 "inst", at, mn=mn, checks=(check,), passed=True))  # fmt: skip


def test_inspections_due_from_commissioning_then_from_the_last_full_inspection() -> None:
    store = memory_store()
    world = build(store, NOW)
    _commissioned(store, "MN0001", "e1", NOW - timedelta(days=20))
    by_mn = {d.mn: d for d in inspections(store, "rugao", NOW)}
    assert by_mn["MN0001"].state is InspectionState.OVERDUE
    assert by_mn["MN0002"].state is InspectionState.NOT_STARTED
    # a note in the log is no inspection; a full one (every checklist item) restarts the clock
    store.maintenance.put_entry(MaintenanceEntry(new_entry_id(), "e1", MaintenanceKind.INSPECTION, NOW, "x", NOW,
                                                 mn="MN0001", items=("看了一眼",)))  # fmt: skip
    assert inspections(store, "rugao", NOW, ["e1"])[0].state is InspectionState.OVERDUE
    done = record_inspection(store, mn="MN0001", by=world.provider.id, at=NOW - timedelta(hours=1), now=NOW,
                             checklist=ALL_OK)  # fmt: skip
    (due,) = inspections(store, "rugao", NOW, ["e1"])
    assert (due.state, due.last_entry_id, due.due_at) == (InspectionState.OK, done.entry_id, done.at + timedelta(14))


def test_an_inspection_marks_every_item_and_keeps_readings_beside_the_platforms() -> None:
    store = memory_store()
    world = build(store, NOW)
    store.readings.put_reading(Reading("p1", NOW - timedelta(minutes=1), ReadingKind.REALTIME, {"p": 41.5}))
    with pytest.raises(InvalidInputError, match="缺少：封签"):
        record_inspection(store, mn="MN0001", by=world.provider.id, at=NOW, now=NOW,
                          checklist={k: True for k in ALL_OK if k != "seal"})  # fmt: skip
    with pytest.raises(InvalidInputError, match="未知的检查项"):
        record_inspection(store, mn="MN0001", by="x", at=NOW, now=NOW, checklist=ALL_OK | {"paint": True})
    with pytest.raises(InvalidInputError, match="未知的读数项目"):
        record_inspection(store, mn="MN0001", by="x", at=NOW, now=NOW, checklist=ALL_OK, readings=[("p1", "Pa", 1.0)])
    with pytest.raises(InvalidInputError, match="不在终端"):
        record_inspection(store, mn="MN0001", by="x", at=NOW, now=NOW, checklist=ALL_OK, readings=[("p2", "p", 1.0)])
    entry = record_inspection(store, mn="MN0001", by=world.provider.id, at=NOW, now=NOW,
                              checklist=ALL_OK | {"seal": False}, readings=[("p1", "p", 40.0), ("p1", "ia", 3.0)],
                              text="封签破损，已更换")  # fmt: skip
    stored = store.maintenance.get_entry(entry.entry_id)
    assert stored.checklist["seal"] is False and list(stored.checklist) == list(checklist())
    pa, ia = stored.readings
    assert (pa.seen, pa.platform, pa.platform_at) == (40.0, 41.5, NOW - timedelta(minutes=1))
    assert (ia.seen, ia.platform) == (3.0, None)


def test_repair_obligations_open_from_faults_and_alarms_and_are_met_by_repairs() -> None:
    store = memory_store()
    world = build(store, NOW)
    opened = NOW - timedelta(hours=30)
    offline_alarm(store, "al-gone", "e1", "MN0001", opened, state="retracted")  # never held: nothing owed
    offline_alarm(store, "al-off", "e1", "MN0001", opened)
    offline_alarm(store, "al-blip", "e2", "MN0002", opened, ended=opened + timedelta(minutes=5))
    offline_alarm(store, "al-other", "e2", "MN0002", NOW, rule="control_stopped")  # not a terminal fault
    fault_report(store, "fr-1", "e2", "p2", NOW - timedelta(hours=2))
    found = {o.id: o for o in repair_obligations(store, NOW)}
    assert set(found) == {"alarm:al-off", "alarm:al-blip", "fault:fr-1"}
    assert found["alarm:al-off"].state is RepairState.OVERDUE and found["alarm:al-off"].mn == "MN0001"
    assert found["alarm:al-blip"].state is RepairState.RECOVERED
    assert (found["fault:fr-1"].state, found["fault:fr-1"].mn) == (RepairState.OPEN, "MN0002")
    assert [o.id for o in repair_obligations(store, NOW, ["e2"])] == ["alarm:al-blip", "fault:fr-1"]

    with pytest.raises(InvalidInputError, match="早于"):
        record_repair(store, obligation_id="fault:fr-1", by="x", at=NOW - timedelta(hours=3), now=NOW, text="修好")
    store.registry.record_terminal_seen("MN0002", NOW - timedelta(minutes=1), peer="127.0.0.1:1")
    fixed = record_repair(store, obligation_id="fault:fr-1", by=world.other_installer.id, at=NOW, now=NOW, text="重启")
    assert fixed.back_online is True  # a frame after the fault was reported: the platform says it is back
    late = record_repair(store, obligation_id="alarm:al-off", by=world.provider.id, at=NOW, now=NOW,
                         text="更换通信模块", parts=["4G 模块"])  # fmt: skip
    assert (late.mn, late.parts, late.back_online) == ("MN0001", ("4G 模块",), False)
    found = {o.id: o for o in repair_obligations(store, NOW)}
    assert (found["alarm:al-off"].state, found["alarm:al-off"].entry_id) == (RepairState.DONE_LATE, late.entry_id)
    with pytest.raises(InvalidInputError, match="已有维修记录"):
        record_repair(store, obligation_id="alarm:al-off", by="x", at=NOW, now=NOW, text="再修")
    with pytest.raises(NotFoundError):
        record_repair(store, obligation_id="alarm:al-gone", by="x", at=NOW, now=NOW, text="修")


def test_a_provider_names_enabled_installer_accounts_only() -> None:
    store = memory_store()
    world = build(store, NOW)
    with pytest.raises(InvalidInputError, match="不是本县可用的运维"):
        set_provider(store, ServiceProvider("e2", "乙公司", (world.branch.id,), "admin", NOW))
    with pytest.raises(InvalidInputError, match="不存在"):
        set_provider(store, ServiceProvider("e2", "乙公司", ("nobody",), "admin", NOW))
    set_provider(store, ServiceProvider("e2", "乙公司", (world.other_installer.id,), "admin", NOW))
    assert store.maintenance.provider_for("e2").account_ids == (world.other_installer.id,)  # type: ignore[union-attr]
