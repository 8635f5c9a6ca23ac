"""The rule engine's state documents: typed, stored under the same keys and in the same shapes as before."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from datetime import date, timedelta

import pytest

from monitoring.rules.state_docs import DailyFigures, EnterpriseStatus, TickMark, Watermarks
from monitoring.storage.rules_memory import MemoryRuleState
from tests.unit.monitoring.rules.world import World, at

pytestmark = pytest.mark.unit

# Documents as the engine stored them before the state had types: they must keep being read and rewritten alike.
STORED = {
    "tick": {"last_tick": "2026-11-23T03:00:00+00:00"},
    "ent:E1": {
        "watched_since": "2026-11-23T00:58:00+00:00",
        "slow_until": "2026-11-23T02:40:00+00:00",
        "evaluated_until": "2026-11-23T02:58:00+00:00",
    },
    "daily:E1": {
        "day_done": "2026-11-24",
        "days": {"2026-11-24": {"energy": {"production": 1.5, "control": 0.5, "main": 2.0}, "baseline_kwh": None}},
        "profiles": {"P1": {"2026-11-24": {"9": 60.0}}},
        "baselines": {"P1": {"9": 60.0}},
    },
    "status:E1": {
        "at": "2026-11-23T02:57:00+00:00",
        "status": "producing",
        "running": ["P1"],
        "stopped": [],
        "unknown": ["M1"],
        "production_kw": 60.0,
        "control_kw": 20.0,
    },
}


def test_documents_stored_before_read_back_typed_and_rewrite_unchanged() -> None:
    repo = MemoryRuleState()
    for key, doc in STORED.items():
        repo.put(key, doc)
    tick = TickMark.load(repo)
    marks = Watermarks.load(repo, "E1")
    daily = DailyFigures.load(repo, "E1")
    status = EnterpriseStatus.load(repo, "E1")
    assert tick.last_tick == at("03:00")
    assert (marks.evaluated_until, marks.slow_until, marks.watched_since) == (at("02:58"), at("02:40"), at("00:58"))
    assert daily.day_done == date(2026, 11, 24) and daily.baselines == {"P1": {"9": 60.0}}
    assert status is not None and status.running == ("P1",) and status.at == at("02:57")
    for doc in (tick, marks, daily, status):
        doc.save(repo)
    assert {key: repo.get(key) for key in STORED} == STORED


def test_missing_documents_read_as_empty_and_absent_fields_are_not_written() -> None:
    repo = MemoryRuleState()
    assert TickMark.load(repo) == TickMark()
    assert Watermarks.load(repo, "E9") == Watermarks("E9")
    assert DailyFigures.load(repo, "E9") == DailyFigures("E9")
    assert EnterpriseStatus.load(repo, "E9") is None
    assert Watermarks("E9", evaluated_until=at("01:00")).to_dict() == {"evaluated_until": at("01:00").isoformat()}
    assert DailyFigures("E9", day_done=date(2026, 11, 22)).to_dict() == {"day_done": "2026-11-22"}


def test_a_tick_writes_each_document_under_its_key() -> None:
    # Given an enterprise running normally, two ticks apart
    w = World()
    w.running(at("00:00"), at("03:00"))
    w.tick(at("02:00"))
    w.tick(at("03:00"))
    # Then the state holds exactly the tick mark and the enterprise's watermarks, daily figures and status
    assert set(w.stores.state.keys("")) == {"tick", "ent:E1", "daily:E1", "status:E1"}
    assert TickMark.load(w.stores.state).last_tick == at("03:00")
    marks = Watermarks.load(w.stores.state, "E1")
    settle = timedelta(minutes=w.config.params("evaluation")["settle_min"])
    assert marks.evaluated_until == at("03:00") - settle
    assert marks.watched_since == at("02:00") - settle  # the first tick's horizon, kept by the second
    status = EnterpriseStatus.load(w.stores.state, "E1")
    # The status is written when the judgement begins (the first tick's last minute), not again while it holds
    assert (
        status is not None and status.status == "producing" and status.at == at("02:00") - settle - timedelta(minutes=1)
    )


def test_one_enterprise_evaluation_is_frozen() -> None:
    from monitoring.rules.enterprise_tick import EnterpriseTick, Stores
    from monitoring.rules.situation import Emergency

    w = World()
    topo = w.inputs.topology()
    stores: Stores = w.stores
    tick = EnterpriseTick(
        stores, w.config, Emergency(), topo, topo.enterprises["E1"], at("01:00"), at("00:58"), [], [], at("00:00"), {}
    )
    with pytest.raises(FrozenInstanceError):
        tick.horizon = at("02:00")  # type: ignore[misc]
    ctx = tick.context(at("00:00"), at("00:58"))
    assert ctx.n == 58 and ctx.watched_since == at("00:00") and ctx.halts == () and ctx.faults == []


class _CountingState(MemoryRuleState):
    def __init__(self) -> None:
        super().__init__()
        self.writes: list[str] = []

    def put(self, key: str, value: dict[str, object]) -> None:
        self.writes.append(key)
        super().put(key, value)


def test_steady_ticks_write_only_the_tick_mark_which_carries_the_watermark() -> None:
    from dataclasses import replace

    # Given an enterprise running normally, evaluated once
    w = World()
    w.stores = replace(w.stores, state=_CountingState())
    state = w.stores.state
    assert isinstance(state, _CountingState)
    w.running(at("00:00"), at("03:00"))
    w.tick(at("02:00"))
    settle = timedelta(minutes=w.config.params("evaluation")["settle_min"])
    span = timedelta(minutes=w.config.params("evaluation")["window_min"])
    # When the next ticks judge the same (slow rules aside, which move slow_until every 15 minutes)
    state.writes.clear()
    result = w.tick(at("02:01"))
    # Then only the tick mark is written; it names the enterprise and how far it was evaluated
    assert state.writes == ["tick"]
    mark = TickMark.load(state)
    assert mark.evaluated_until("E1") == at("02:01") - settle and mark.evaluated_until("E9") is None
    assert Watermarks.load(state, "E1").evaluated_until == at("02:00") - settle  # its own copy: older
    # And the window starts from the carried watermark, not from the enterprise's own (older) copy
    horizon = at("02:02") - settle
    assert w.tick(at("02:02")).windows["E1"] == (at("02:01") - settle - span, horizon)
    assert result.windows["E1"][1] == at("02:01") - settle
    # And a tick mark that does not name the enterprise falls back to its own copy (a fan-out shard, a failure)
    state.put("tick", {"last_tick": at("02:02").isoformat()})
    own = Watermarks.load(state, "E1").evaluated_until
    assert own is not None and w.tick(at("02:03")).windows["E1"][0] == own - span


def test_a_tick_judges_no_minute_after_the_time_decode_got_to() -> None:
    # Given decode that has only got to 01:50 when the 02:00 tick runs
    w = World()
    w.running(at("00:00"), at("03:00"))
    settle = timedelta(minutes=w.config.params("evaluation")["settle_min"])
    result = w.tick(at("02:00"), decoded_until=at("01:50") + timedelta(seconds=30))
    # Then the tick evaluates as if it ran at 01:50, and the next tick (decode caught up) carries on from there
    assert result.windows["E1"][1] == at("01:50") - settle
    assert TickMark.load(w.stores.state).evaluated_until("E1") == at("01:50") - settle
    later = w.tick(at("02:01"))
    assert later.windows["E1"][1] == at("02:01") - settle
