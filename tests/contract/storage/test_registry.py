"""Contract: the registry repository (versioned documents, lookups, uniqueness, monotonic terminal state)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from monitoring.clock import FixedClock
from monitoring.errors import ConflictError, NotFoundError
from monitoring.registry.changes import change_bucket
from monitoring.registry.models import (
    AssociationParams,
    Contact,
    ContactRole,
    Exemption,
    ExemptionReason,
    FacilityKind,
    InstallStatus,
    PointCodeParts,
    PointStatus,
)
from monitoring.registry.terminal import GpsFix, verify_password
from monitoring.storage.ports import Store
from tests.contract.storage import builders as b

pytestmark = pytest.mark.contract
T0 = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


def test_registry_jurisdictions_put_twice_are_stored_once(store: Store) -> None:
    # Given jurisdictions written twice (an idempotent re-import)
    b.seed_jurisdictions(store.registry)
    b.seed_jurisdictions(store.registry)
    # Then each is listed once, in id order
    assert [c.county_id for c in store.registry.list_counties()] == ["rugao"]
    assert [t.name for t in store.registry.list_towns("rugao")] == ["城北街道", "江安镇"]
    assert [x.name for x in store.registry.list_branches("rugao")] == ["执法一局", "执法六局"]
    assert store.registry.get_town("rugao-jiangan").county_id == "rugao"
    assert store.registry.list_towns("elsewhere") == []


def test_registry_enterprise_round_trip_keeps_every_field(store: Store) -> None:
    # Given an enterprise with contacts and an exemption
    e = b.enterprise(
        credit_code="91320682MA1XXXXX0A",
        permit_no="91320682MA1XXXXX0A001V",
        industry="铸造",
        performance_grade="C",
        contacts=(Contact("张三", ContactRole.ENVIRONMENT_MANAGER, "13800000000"),),
        install_status=InstallStatus.NETWORKED,
        exemption=Exemption(ExemptionReason.UNSAFE, "王科长", T0, "配电房无空间"),
        list_year=2022,
        list_seq=3,
    )
    # When it is created and read back
    stored = store.registry.put_enterprise(e)
    # Then it is identical apart from the version
    assert stored.version == 1
    assert store.registry.get_enterprise("e1") == dataclasses.replace(e, version=1)


def test_registry_enterprise_put_with_stale_version_raises_conflict(store: Store) -> None:
    # Given an enterprise that two editors read at version 1
    first = store.registry.put_enterprise(b.enterprise())
    # When one saves, then the other saves its stale copy
    store.registry.put_enterprise(dataclasses.replace(first, industry="化工"))
    # Then the second write is refused and the first survives
    with pytest.raises(ConflictError):
        store.registry.put_enterprise(dataclasses.replace(first, industry="纺织"))
    assert store.registry.get_enterprise("e1").industry == "化工"
    assert store.registry.get_enterprise("e1").version == 2


def test_registry_create_of_existing_enterprise_raises_conflict(store: Store) -> None:
    store.registry.put_enterprise(b.enterprise())
    with pytest.raises(ConflictError):
        store.registry.put_enterprise(b.enterprise())  # version 0 = "create"


def test_registry_missing_records_raise_not_found(store: Store) -> None:
    for call in (
        lambda: store.registry.get_enterprise("nope"),
        lambda: store.registry.get_point("nope"),
        lambda: store.registry.get_terminal("NOPE"),
        lambda: store.registry.get_county("nope"),
        lambda: store.registry.get_facility("nope"),
        lambda: store.registry.get_association("nope"),
    ):
        with pytest.raises(NotFoundError):
            call()
    assert store.registry.find_enterprise("nope") is None
    assert store.registry.find_terminal("NOPE") is None


def test_registry_list_enterprises_filters_by_town_and_branch(store: Store) -> None:
    # Given enterprises in two towns and two branches
    store.registry.put_enterprise(b.enterprise("e1", list_seq=2))
    store.registry.put_enterprise(b.enterprise("e2", list_seq=1, town_id="rugao-jiangan", branch_id="rugao-b6"))
    store.registry.put_enterprise(b.enterprise("e3", list_seq=3, branch_id="rugao-b6"))
    # Then the filters select, and order follows the list's 序号
    assert [e.enterprise_id for e in store.registry.list_enterprises("rugao")] == ["e2", "e1", "e3"]
    assert [e.enterprise_id for e in store.registry.list_enterprises("rugao", town_id="rugao-chengbei")] == ["e1", "e3"]
    assert [e.enterprise_id for e in store.registry.list_enterprises("rugao", branch_id="rugao-b6")] == ["e2", "e3"]
    both = store.registry.list_enterprises("rugao", town_id="rugao-chengbei", branch_id="rugao-b6")
    assert [e.enterprise_id for e in both] == ["e3"]


def test_registry_moving_an_enterprise_updates_its_town_index(store: Store) -> None:
    first = store.registry.put_enterprise(b.enterprise("e1"))
    store.registry.put_enterprise(dataclasses.replace(first, town_id="rugao-jiangan"))
    assert store.registry.list_enterprises("rugao", town_id="rugao-chengbei") == []
    assert [e.enterprise_id for e in store.registry.list_enterprises("rugao", town_id="rugao-jiangan")] == ["e1"]


def test_registry_facilities_and_associations_round_trip(store: Store) -> None:
    store.registry.put_facility(b.facility("f1", rated_power_kw=55.0, process="喷涂"))
    store.registry.put_facility(b.facility("f2", code="TA001", name="活性炭风机", kind=FacilityKind.CONTROL))
    params = AssociationParams(control_on_kw=3.0, start_lead_s=120, stop_lag_s=600, extra={"rto_purge_s": 900.0})
    store.registry.put_association(b.association(params=params))
    assert [f.code for f in store.registry.list_facilities("e1")] == ["MF0001", "TA001"]
    assert store.registry.get_facility("f1").rated_power_kw == 55.0
    line = store.registry.list_associations("e1")[0]
    assert line.params == params and line.params.extra["rto_purge_s"] == 900.0
    assert line.production_facility_ids == ("f1",)


def test_registry_point_round_trip_and_lookup_by_mn_and_code(store: Store) -> None:
    # Given two points bound to two channels of one terminal
    parts = PointCodeParts(permit_code="91320682MA1XXXXX0A001V", facility_code="MF0001", circuit_no="1")
    store.registry.put_point(b.point("p1", mn="MN0001", channel="01", code_parts=parts, ct_ratio=40.0))
    store.registry.put_point(b.point("p2", mn="MN0001", channel="02"))
    store.registry.put_point(b.point("p3"))
    # Then lookups find them
    assert [p.point_id for p in store.registry.points_for_mn("MN0001")] == ["p1", "p2"]
    assert [p.point_id for p in store.registry.find_points_by_code("CODE-p3")] == ["p3"]
    assert store.registry.get_point("p1").code_parts == parts
    assert store.registry.get_point("p1").ct_ratio == 40.0
    assert [p.point_id for p in store.registry.list_points("e1")] == ["p1", "p2", "p3"]


def test_registry_rebinding_a_point_moves_it_between_terminals(store: Store) -> None:
    p = store.registry.put_point(b.point("p1", mn="MN0001"))
    store.registry.put_point(dataclasses.replace(p, mn="MN0002"))
    assert store.registry.points_for_mn("MN0001") == []
    assert [x.point_id for x in store.registry.points_for_mn("MN0002")] == ["p1"]


def test_registry_change_mark_moves_for_what_decode_caches_and_not_for_its_state_writes(
    store: Store, clock: FixedClock
) -> None:
    # A store that keeps a mark (monitoring.registry.changes) moves the bucket of every MN a terminal or point write
    # touches; one that keeps none says so with None, and decode falls back to its TTL.
    def mark(mn: str) -> int | None:
        found = store.registry.registry_changes()
        return None if found is None else found.counts.get(change_bucket(mn), 0)

    def moved(before: int | None, mn: str) -> bool:
        return before is None or (mark(mn) or 0) > before

    one, two = "MN0001", next(m for m in ("MN0002", "MN0003", "MN0004") if change_bucket(m) != change_bucket("MN0001"))
    was = mark(one)
    t = store.registry.put_terminal(b.terminal(one))
    assert moved(was, one)
    store.registry.put_terminal(b.terminal(two))
    # Given a point on MN0001: re-binding it to the other terminal moves both buckets
    p = store.registry.put_point(b.point("p1", mn=one))
    was_one, was_two = mark(one), mark(two)
    store.registry.put_point(dataclasses.replace(p, mn=two))
    assert moved(was_one, one) and moved(was_two, two)
    # A password or profile edit moves it; decode's terminal-state write does not
    was = mark(one)
    t = store.registry.put_terminal(dataclasses.replace(store.registry.get_terminal(one), profile="acrel"))
    assert moved(was, one)
    was = mark(one)
    store.registry.record_terminal_seen(one, T0, peer="1.1.1.1:1", known=t)
    assert mark(one) == was
    # A store that keeps bump times (DynamoDB: its index lags) keeps one for every bucket that moved, never
    # earlier than the write (whole minutes, rounded up: a cold container's settling lasts at most a minute longer)
    clock.advance(timedelta(seconds=90))
    store.registry.put_terminal(store.registry.get_terminal(one))
    found = store.registry.registry_changes()
    if found is not None and found.moved_at:
        assert {change_bucket(one), change_bucket(two)} <= set(found.moved_at) == set(found.counts)
        assert found.moved_at[change_bucket(one)] == clock.now() + timedelta(seconds=30)


def test_registry_duplicate_point_code_raises_conflict(store: Store) -> None:
    store.registry.put_point(b.point("p1", point_code="X-1"))
    with pytest.raises(ConflictError):
        store.registry.put_point(b.point("p2", point_code="X-1"))


def test_registry_second_active_point_on_same_channel_raises_conflict(store: Store) -> None:
    store.registry.put_point(b.point("p1", mn="MN0001", channel="01"))
    with pytest.raises(ConflictError):
        store.registry.put_point(b.point("p2", mn="MN0001", channel="01"))
    # A disabled point may keep the old binding for the record.
    store.registry.put_point(b.point("p3", mn="MN0001", channel="01", status=PointStatus.DISABLED))


def test_registry_terminal_password_survives_storage_and_verifies(store: Store) -> None:
    stored = store.registry.put_terminal(b.terminal(model="ACREL-X", firmware="1.2", modbus_crc=True))
    back = store.registry.get_terminal("MN0001")
    assert back == stored
    assert verify_password(back, b.PASSWORD)
    assert not verify_password(back, "654321")
    assert b.PASSWORD not in repr(back) and "scrypt" not in repr(back)
    assert [t.mn for t in store.registry.list_terminals("rugao")] == ["MN0001"]


def test_registry_terminal_seen_moves_forward_only(store: Store) -> None:
    # Given a terminal seen at T0+10s
    store.registry.put_terminal(b.terminal())
    store.registry.record_terminal_seen("MN0001", T0 + timedelta(seconds=10), peer="1.1.1.1:1", clock_skew_s=3.0)
    # When a late batch reports T0 (older)
    t = store.registry.record_terminal_seen("MN0001", T0, peer="2.2.2.2:2", clock_skew_s=99.0)
    # Then nothing rolls back
    assert t.last_frame_at == T0 + timedelta(seconds=10)
    assert t.last_peer == "1.1.1.1:1" and t.clock_skew_s == 3.0 and t.online
    # And a newer frame advances it
    t = store.registry.record_terminal_seen("MN0001", T0 + timedelta(seconds=70), gps=GpsFix(32.39, 120.56, T0))
    assert t.last_frame_at == T0 + timedelta(seconds=70) and t.gps is not None and t.gps.lat == 32.39
    assert store.registry.get_terminal("MN0001") == t


def test_registry_offline_older_than_last_frame_is_ignored(store: Store) -> None:
    store.registry.put_terminal(b.terminal())
    store.registry.record_terminal_seen("MN0001", T0 + timedelta(seconds=60))
    # A disconnect noticed for an earlier session does not mark the reconnected terminal offline
    assert store.registry.set_terminal_offline("MN0001", T0).online
    assert not store.registry.set_terminal_offline("MN0001", T0 + timedelta(seconds=61)).online


def test_registry_batch_writes_are_visible_inside_and_after(store: Store) -> None:
    with store.registry.batch():
        store.registry.put_enterprise(b.enterprise("e1"))
        assert store.registry.get_enterprise("e1").version == 1
        store.registry.put_enterprise(b.enterprise("e2"))
    assert [e.enterprise_id for e in store.registry.list_enterprises("rugao")] == ["e1", "e2"]


NOW_W = T0 + timedelta(minutes=10)  # the sheets' writer's clock
SAME_SHEET = ("MN0001", "MN0127")  # two MNs of one liveness sheet (checked below)


def test_registry_liveness_sheets_show_a_later_frame_on_every_terminal_read(store: Store) -> None:
    # Given a terminal whose item last saw a frame at T0, and its sheet a later one
    store.registry.put_terminal(b.terminal())
    store.registry.record_terminal_seen("MN0001", T0)
    later = T0 + timedelta(minutes=7)
    written = store.registry.record_terminals_alive("rugao", {"MN0001": later}, now=NOW_W)
    assert [s.time_of("MN0001") for s in written] == [later]
    # Then every read shows the later time (online), and the county's sheets list it
    assert store.registry.get_terminal("MN0001").last_frame_at == later
    found = store.registry.find_terminal("MN0001")
    assert found is not None and found.online and found.last_frame_at == later
    assert [t.last_frame_at for t in store.registry.list_terminals("rugao")] == [later]
    assert store.registry.terminal_liveness("rugao") == {"MN0001": later}
    assert store.registry.terminal_liveness("other") == {}
    # And a later item write wins over the sheet
    store.registry.record_terminal_seen("MN0001", later + timedelta(minutes=1), peer="1.1.1.1:2")
    assert store.registry.get_terminal("MN0001").last_frame_at == later + timedelta(minutes=1)


def test_registry_liveness_sheets_move_forward_only_and_writers_do_not_lose_each_other(store: Store) -> None:
    from monitoring.registry.liveness import liveness_sheet

    one, two = SAME_SHEET
    assert liveness_sheet(one) == liveness_sheet(two)
    # Given a sheet written by one writer, who keeps it as `known`
    (mine,) = store.registry.record_terminals_alive("rugao", {one: T0 + timedelta(minutes=5)}, now=NOW_W)
    # When an older time comes: nothing is written
    assert store.registry.record_terminals_alive("rugao", {one: T0}, now=NOW_W, known={mine.sheet: mine}) == []
    # And another writer moves the sheet on meanwhile
    store.registry.record_terminals_alive("rugao", {two: T0 + timedelta(minutes=6)}, now=NOW_W)
    # Then the first writer's next write on its stale copy re-reads and keeps both
    store.registry.record_terminals_alive(
        "rugao", {one: T0 + timedelta(minutes=10)}, now=NOW_W, known={mine.sheet: mine}
    )
    assert store.registry.terminal_liveness("rugao") == {
        one: T0 + timedelta(minutes=10),
        two: T0 + timedelta(minutes=6),
    }


def test_registry_a_disconnect_after_the_sheets_last_frame_is_not_undone_by_the_sheet(store: Store) -> None:
    store.registry.put_terminal(b.terminal())
    store.registry.record_terminal_seen("MN0001", T0)
    store.registry.record_terminals_alive("rugao", {"MN0001": T0 + timedelta(minutes=5)}, now=NOW_W)
    # A disconnect older than the sheet's frame is stale; a newer one holds, and the old sheet does not revive it
    assert store.registry.set_terminal_offline("MN0001", T0 + timedelta(minutes=4)).online
    assert not store.registry.set_terminal_offline("MN0001", T0 + timedelta(minutes=6)).online
    assert not store.registry.get_terminal("MN0001").online
    assert not store.registry.list_terminals("rugao")[0].online
    # Until a later frame comes
    store.registry.record_terminals_alive("rugao", {"MN0001": T0 + timedelta(minutes=8)}, now=NOW_W)
    assert store.registry.get_terminal("MN0001").online


def test_registry_a_malformed_liveness_sheet_is_read_as_absent(store: Store) -> None:
    from monitoring.registry.liveness import liveness_sheet

    store.registry.put_terminal(b.terminal())
    store.registry.record_terminal_seen("MN0001", T0)
    key = f"rugao#{liveness_sheet('MN0001')}"
    # Given hostile or corrupted sheets: a time that is not a number, and a body stored under another key
    bad = {"county_id": "rugao", "sheet": liveness_sheet("MN0001"), "seen": {"MN0001": "soon"}, "version": 1}
    store.registry._put_doc("liveness", key, bad, {}, expected_version=None)  # type: ignore[attr-defined]
    moved = {"county_id": "other", "sheet": 5, "seen": {}, "version": 1}
    store.registry._put_doc("liveness", "rugao#5", moved, {}, expected_version=None)  # type: ignore[attr-defined]
    # Then every read still answers, with the item's own time
    assert store.registry.get_terminal("MN0001").last_frame_at == T0
    assert [t.last_frame_at for t in store.registry.list_terminals("rugao")] == [T0]
    assert store.registry.terminal_liveness("rugao") == {}
    # And a writer writes the malformed sheet afresh (nothing in it was readable): the new time is shown
    (fresh,) = store.registry.record_terminals_alive("rugao", {"MN0001": T0 + timedelta(minutes=5)}, now=NOW_W)
    assert fresh.version == 2 and fresh.time_of("MN0001") == T0 + timedelta(minutes=5)  # the stored one was 1
    assert store.registry.get_terminal("MN0001").last_frame_at == T0 + timedelta(minutes=5)
    assert store.registry.record_terminals_alive("rugao", {"MN0001": T0 + timedelta(minutes=6)}, now=NOW_W)
