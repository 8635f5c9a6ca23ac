"""The rules' topology from a real sqlite registry: a point planned by the survey with no terminal bound yet
(调试, no MN) is not watched, while a running point whose terminal is missing still is (it raises offline)."""

from __future__ import annotations

from monitoring.registry.models import PointStatus
from monitoring.rules.store_inputs import load_topology
from monitoring.storage.sqlite import open_store
from tests.contract.storage import builders as b


def test_only_a_planned_point_without_a_terminal_is_left_out() -> None:
    store = open_store(":memory:")
    reg = store.registry
    b.seed_jurisdictions(reg)
    reg.put_enterprise(b.enterprise("e1"))
    reg.put_facility(b.facility("f1"))
    reg.put_terminal(b.terminal("MN0001", enterprise_id="e1"))
    reg.put_point(b.point("bound", mn="MN0001", channel="01", status=PointStatus.RUNNING))
    reg.put_point(b.point("commissioning", mn="MN0001", channel="02", status=PointStatus.COMMISSIONING))
    reg.put_point(b.point("lost", status=PointStatus.RUNNING))  # its terminal reports under an unknown MN
    reg.put_point(b.point("planned", status=PointStatus.COMMISSIONING))  # surveyed, not installed
    reg.put_point(b.point("off", mn="MN0001", channel="03", status=PointStatus.DISABLED))
    terminals = {t.mn: t for t in reg.list_terminals("rugao")}
    topology, _ = load_topology(reg, reg.list_enterprises("rugao"), terminals)
    assert sorted(p.id for p in topology.points_of("e1")) == ["bound", "commissioning", "lost"]


def test_backfill_notes_are_read_from_the_last_tick_on_and_purged_after_a_day_hourly() -> None:
    from datetime import UTC, datetime, timedelta

    from monitoring.readings.models import Reading, ReadingKind
    from monitoring.rules.store_inputs import BACKFILL_PREFIX, StoreRuleInputs, note_late_readings

    store = open_store(":memory:")
    t = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)

    def note(point: str, data_time: datetime, received: datetime) -> None:
        note_late_readings(store.rule_state, [Reading(point, data_time, ReadingKind.MINUTE, {"p": 1.0})], received)

    note("old", t - timedelta(days=2), t - timedelta(days=1, minutes=5))  # a note older than a day
    note("seen", t - timedelta(hours=3), t - timedelta(minutes=10))  # noted before the last tick
    note("new", t - timedelta(hours=2), t - timedelta(seconds=30))  # noted since the last tick
    inputs = StoreRuleInputs(store, store.rule_state, "rugao")
    # The first tick reopens only what was noted since the last tick, and deletes the day-old note
    assert inputs.late_arrivals(t - timedelta(minutes=1), t) == {"new": t - timedelta(hours=2)}
    assert [k.rsplit(":", 1)[1] for k in store.rule_state.keys(BACKFILL_PREFIX)] == ["seen", "new"]
    # A purge reads every note: at most hourly. Half an hour after one, "seen" is a day old and still there ...
    for hours, left in ((23.5, 2), (24, 2), (24.6, 0)):
        now = t + timedelta(hours=hours)
        assert inputs.late_arrivals(now - timedelta(minutes=1), now) == {}
        assert len(store.rule_state.keys(BACKFILL_PREFIX)) == left, hours  # ... until the next hourly purge
