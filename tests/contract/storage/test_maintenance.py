"""Contract: maintenance log entries are create-only, found by id, listed per enterprise newest first with a
cursor; commissioning entries keep their checks."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from monitoring.errors import ConflictError, InvalidInputError, NotFoundError
from monitoring.maintenance.models import CheckResult, MaintenanceEntry, MaintenanceKind, Verdict, new_entry_id
from monitoring.storage.ports import Store
from tests.contract.storage.conftest import NOW

pytestmark = pytest.mark.contract


def _entry(enterprise_id: str = "e1", minutes: int = 0, **changes: object) -> MaintenanceEntry:
    entry = MaintenanceEntry(
        entry_id=new_entry_id(),
        enterprise_id=enterprise_id,
        kind=MaintenanceKind.INSPECTION,
        at=NOW + timedelta(minutes=minutes),
        by="acct-installer-1",
        recorded_at=NOW + timedelta(minutes=minutes, seconds=5),
        mn="MN0001",
        items=("接线紧固", "CT 外观"),
        text="例行巡检\n一切正常",
        photo_ids=("ph-" + "a" * 32,),
    )
    return dataclasses.replace(entry, **changes)  # type: ignore[arg-type]


def test_entries_round_trip_and_list_newest_first_with_a_cursor(store: Store) -> None:
    first, second, third, elsewhere = _entry(minutes=0), _entry(minutes=5), _entry(minutes=9), _entry("e2")
    for e in (first, elsewhere, third, second):
        store.maintenance.put_entry(e)
    assert store.maintenance.get_entry(first.entry_id) == first
    assert store.maintenance.entries_for("e1") == [third, second, first]
    page = store.maintenance.entries_for("e1", limit=2)
    assert page == [third, second]
    rest = store.maintenance.entries_for("e1", limit=2, before=(page[-1].at, page[-1].entry_id))
    assert rest == [first]
    assert store.maintenance.entries_for("e3") == []


def test_commissioning_entries_keep_their_checks(store: Store) -> None:
    checks = (
        CheckResult("voltage", "三相电压均有", Verdict.PASS, "230V / 229V / 231V", {"ua": 230.0, "ub": 229.0}),
        CheckResult("sequence", "相序正确（未接错相）", Verdict.UNKNOWN, "最新数据没有电压相角，无法判断"),
    )
    entry = _entry(kind=MaintenanceKind.COMMISSIONING, checks=checks, passed=False, items=())
    store.maintenance.put_entry(entry)
    back = store.maintenance.get_entry(entry.entry_id)
    assert back.checks == checks and back.passed is False and back.checks[0].values == {"ua": 230.0, "ub": 229.0}


def test_entries_are_create_only_and_missing_ones_are_not_found(store: Store) -> None:
    entry = _entry()
    store.maintenance.put_entry(entry)
    with pytest.raises(ConflictError):
        store.maintenance.put_entry(dataclasses.replace(entry, text="改写"))
    assert store.maintenance.get_entry(entry.entry_id).text == entry.text
    with pytest.raises(NotFoundError):
        store.maintenance.get_entry("mt-" + "0" * 24)
    with pytest.raises(InvalidInputError):
        store.maintenance.entries_for("e1", limit=0)


def test_entries_refuse_bad_content() -> None:
    with pytest.raises(InvalidInputError):
        _entry(items=("x" * 41,))
    with pytest.raises(InvalidInputError):
        _entry(photo_ids=tuple(f"ph-{i:032x}" for i in range(10)))
    with pytest.raises(InvalidInputError):
        _entry(text="bad\x00text")
    with pytest.raises(InvalidInputError):  # a hand-posted entry never carries checks
        _entry(checks=(CheckResult("gps", "有定位（GPS）", Verdict.PASS, "ok"),))


def test_inspection_and_repair_fields_round_trip(store: Store) -> None:
    from monitoring.maintenance.models import ReadingSeen

    seen = (ReadingSeen("p1", "Pa", 12.5, 12.25, NOW), ReadingSeen("p2", "Ia", 3.0))
    inspection = _entry(items=(), checklist={"appearance": True, "seal": False}, readings=seen)
    repair = _entry(kind=MaintenanceKind.REPAIR, items=(), obligation="alarm:a1", parts=("电源模块",),
                    back_online=True, minutes=1)  # fmt: skip
    for e in (inspection, repair):
        store.maintenance.put_entry(e)
    assert store.maintenance.get_entry(inspection.entry_id) == inspection
    assert store.maintenance.get_entry(inspection.entry_id).readings[1].platform is None
    assert store.maintenance.get_entry(repair.entry_id) == repair


def test_a_service_provider_is_one_per_enterprise_and_replaced(store: Store) -> None:
    from monitoring.maintenance.models import ServiceProvider

    first = ServiceProvider("e1", "如皋运维甲公司", ("acct-i1",), "acct-air", NOW, phone="0513-1234567")
    other = ServiceProvider("e2", "运维乙公司", ("acct-i2", "acct-i3"), "acct-air", NOW)
    assert store.maintenance.provider_for("e1") is None
    store.maintenance.put_provider(first)
    store.maintenance.put_provider(other)
    assert store.maintenance.provider_for("e1") == first
    changed = dataclasses.replace(first, name="运维丙公司", set_at=NOW + timedelta(days=1))
    store.maintenance.put_provider(changed)
    assert store.maintenance.provider_for("e1") == changed
    assert store.maintenance.providers() == [changed, other]
