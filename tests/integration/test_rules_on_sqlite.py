"""The rule engine over the real stores: registry and readings in sqlite, alarms in sqlite, replay CLI.

Covers the seams unit tests cannot: StoreRuleInputs (registry → topology, readings → samples, association
parameters → overrides), backfill marks, the sqlite alarm store under the engine, and `python -m monitoring
replay` explaining an alarm from a database file.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitoring.cli import run
from monitoring.evaluation.config import load_defaults
from monitoring.evaluation.ports import SampleReader
from monitoring.readings.models import Reading, ReadingKind
from monitoring.registry.models import AssociationParams, FacilityKind
from monitoring.rules.service import Emergency, Stores, evaluate_rules
from monitoring.rules.state_buffer import BufferedRuleState
from monitoring.rules.store_inputs import StoreRuleInputs, note_late_readings
from monitoring.storage.ports import Store
from monitoring.storage.rules_memory import MemoryRuleState
from monitoring.storage.sqlite import open_store
from tests.contract.storage import builders as b

pytestmark = pytest.mark.integration
T0 = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)


def _seed(store: Store) -> None:
    reg = store.registry
    b.seed_jurisdictions(reg)
    reg.put_enterprise(b.enterprise("e1"))
    reg.put_facility(b.facility("f1", rated_power_kw=100.0))
    reg.put_facility(b.facility("f2", code="TA001", name="引风机", kind=FacilityKind.CONTROL, rated_power_kw=30.0))
    reg.put_point(b.point("p1", mn="MN0001"))
    reg.put_point(b.point("c1", facility_id="f2", role=FacilityKind.CONTROL, mn="MN0002"))
    reg.put_association(b.association("a1", params=AssociationParams(confirm_s=900)))
    reg.put_terminal(b.terminal("MN0001", enterprise_id="e1", minute_interval_min=1))
    reg.put_terminal(b.terminal("MN0002", enterprise_id="e1", minute_interval_min=1))


def _readings(point: str, start: datetime, minutes: int, p: float, received: datetime | None = None) -> list[Reading]:
    return [
        Reading(
            point,
            start + timedelta(minutes=i),
            ReadingKind.MINUTE,
            {"p": p, "ua": 230.0, "ub": 230.0, "uc": 230.0},
            mn="MN0001" if point == "p1" else "MN0002",
            received_at=received or start + timedelta(minutes=i, seconds=20),
        )
        for i in range(minutes)
    ]


def _reader(store: Store) -> SampleReader:
    assert store.sample_reader is not None  # sqlite has the one-query reader
    return store.sample_reader()


def test_engine_on_sqlite_raises_on_data_time_after_backfill_and_replay_explains(tmp_path: Path) -> None:
    path = tmp_path / "gk.db"
    store = open_store(path)
    try:
        _seed(store)
        # the cached one-query reader, as the wiring uses it: backfill must reach it through the marks
        inputs = StoreRuleInputs(store, store.rule_state, "rugao", reader=_reader(store))
        config = inputs.config(load_defaults())
        # association parameters from the registry became overrides (confirm_s=900 -> 15 min)
        assert config.params("control_stopped", enterprise="e1", association="a1")["min_duration_min"] == 15
        stores = Stores(inputs, store.rule_state, store.alarms, store.audit, store.reports)
        store.readings.put_readings(_readings("p1", T0, 180, 60.0))
        store.readings.put_readings(_readings("c1", T0, 60, 20.0))
        store.readings.put_readings(_readings("c1", T0 + timedelta(minutes=100), 80, 20.0))
        for minute in range(30, 181, 5):  # each enterprise in one transaction, as the wiring does on sqlite
            evaluate_rules(stores, config, Emergency(), T0 + timedelta(minutes=minute), transaction=store.batch)
        assert [a.rule for a in store.alarms.list()] == ["terminal_offline"]
        # the fan's stored readings (stopped) arrive three hours late
        late = _readings("c1", T0 + timedelta(minutes=60), 40, 0.0, received=T0 + timedelta(hours=6))
        store.readings.put_readings(late)
        assert note_late_readings(store.rule_state, late, T0 + timedelta(hours=6)) == 1
        evaluate_rules(stores, config, Emergency(), T0 + timedelta(hours=6, minutes=1), transaction=store.batch)
        by_rule = {a.rule: a for a in store.alarms.list()}
        assert by_rule["control_stopped"].data_start in (T0 + timedelta(minutes=60), T0 + timedelta(minutes=61))
        # the 01:03 interruption is retracted; the terminal has since gone quiet again (no data after 03:00)
        offline = by_rule["terminal_offline"]
        assert [e.retracted for e in offline.episodes] == [True, False]
        assert offline.live_episodes[0].start == T0 + timedelta(minutes=182)
    finally:
        store.close()
    # And the replay CLI finds and explains the same stop from the database, writing nothing
    out = io.StringIO()
    code = run(
        ["--db", str(path), "replay", "--from", "2026-11-23T08:00", "--to", "2026-11-23T11:00", "--enterprise", "e1"],
        out,
    )
    text = out.getvalue()
    assert code == 0, text
    assert "治污设施停运" in text and "阈值：min_duration_min=15" in text and "读数 c1" in text
    assert "共 1 条报警" in text


def test_fast_reader_returns_what_the_repository_returns(tmp_path: Path) -> None:
    path = tmp_path / "gk.db"
    store = open_store(path)
    try:
        _seed(store)
        store.readings.put_readings(_readings("p1", T0, 30, 60.0))
        store.readings.put_readings(_readings("c1", T0, 30, 20.0))
        slow = StoreRuleInputs(store, store.rule_state, "rugao")
        reader = _reader(store)
        window = (T0 + timedelta(minutes=5), T0 + timedelta(minutes=25))
        assert reader.samples(["p1", "c1", "nope"], *window) == slow.samples(["p1", "c1", "nope"], *window)
        # a later call that slides the window is served from cache + tail and still matches
        store.readings.put_readings(_readings("p1", T0 + timedelta(minutes=30), 5, 61.0))
        later = (T0 + timedelta(minutes=10), T0 + timedelta(minutes=35))
        assert reader.samples(["p1", "c1"], *later) == slow.samples(["p1", "c1"], *later)
    finally:
        store.close()


def test_a_tick_writes_rule_state_in_one_transaction_and_a_failing_enterprise_leaves_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "gk.db"
    store = open_store(path)
    try:
        _seed(store)
        store.registry.put_enterprise(b.enterprise("e2"))
        inputs = StoreRuleInputs(store, store.rule_state, "rugao")
        config = inputs.config(load_defaults())
        stores = Stores(inputs, store.rule_state, store.alarms, store.audit, store.reports)
        real_put = BufferedRuleState.put

        def put_then_fail_for_e2(self: BufferedRuleState, key: str, value: dict[str, object]) -> None:
            real_put(self, key, value)  # buffered for e2, then e2's evaluation fails
            if "e2" in key:
                raise RuntimeError("bug while evaluating e2")

        monkeypatch.setattr(BufferedRuleState, "put", put_then_fail_for_e2)
        commits: list[int] = []

        def transaction() -> object:
            commits.append(1)
            return store.batch()

        puts: list[str] = []
        real_state_put = store.rule_state.put
        monkeypatch.setattr(store.rule_state, "put", lambda key, value: (puts.append(key), real_state_put(key, value)))
        # When one tick evaluates both enterprises
        result = evaluate_rules(stores, config, Emergency(), T0 + timedelta(minutes=30), transaction=transaction)  # type: ignore[arg-type]
        # Then e2 failed, the tick's state went to the store in one transaction at its end, and none of it is e2's
        assert result.failed == ["e2"]
        assert len(commits) == 1
        assert "tick" in puts and any("e1" in k for k in puts) and not any("e2" in k for k in puts)
        keys = store.rule_state.keys("")
        assert any("e1" in k for k in keys) and not any("e2" in k for k in keys)
    finally:
        store.close()


def test_treatment_line_lead_and_lag_override_the_order_rule_only_when_the_sheet_sets_them(tmp_path: Path) -> None:
    # Given one line with 启动提前 120 s and 停止滞后 900 s (an RTO purge) and one that leaves both empty
    store = open_store(tmp_path / "gk.db")
    try:
        _seed(store)
        store.registry.put_association(
            b.association("a2", name="RTO", params=AssociationParams(start_lead_s=120, stop_lag_s=900))
        )
        config = StoreRuleInputs(store, MemoryRuleState(), "rugao").config(load_defaults())
    finally:
        store.close()
    # Then the first line's fan must run 2 min before production starts and 15 min after it stops
    strict = config.params("start_stop_order", enterprise="e1", association="a2")
    assert (strict["start_lead_min"], strict["stop_lag_min"]) == (2, 15)
    # And the other keeps the defaults that honest practice never trips (docs/rules.md, family 3)
    default = config.params("start_stop_order", enterprise="e1", association="a1")
    assert (default["start_lead_min"], default["start_grace_min"]) == (0, 5)
    assert (default["stop_lag_min"], default["stop_grace_min"]) == (0, 2)
