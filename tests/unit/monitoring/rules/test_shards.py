"""Rule shards: every county's enterprises split into balanced, disjoint, deterministic shards; messages checked."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from monitoring.errors import InvalidInputError
from monitoring.registry.models import Branch, County, Exemption, ExemptionReason, Town, TownKind
from monitoring.rules.shards import Shard, plan_county, plan_ticks, resume, retick, scheduled_minute, superseded
from monitoring.rules.state_docs import TickMark
from monitoring.storage.memory import memory_store
from tests.contract.storage import builders as b

TICK = datetime(2026, 11, 28, 2, 35, tzinfo=UTC)


@pytest.mark.parametrize(("n", "per_shard", "sizes"), [(0, 5, []), (1, 5, [1]), (5, 5, [5]), (6, 5, [3, 3]),
                                                       (301, 100, [76, 75, 75, 75]), (7, 1, [1] * 7)])  # fmt: skip
def test_county_splits_into_balanced_disjoint_shards_covering_every_enterprise(
    n: int, per_shard: int, sizes: list[int]
) -> None:
    ids = [f"e{i:04d}" for i in range(n)]
    shards = plan_county("rugao", ids, TICK, per_shard)
    assert [len(s.enterprise_ids) for s in shards] == sizes
    assert [e for s in shards for e in s.enterprise_ids] == sorted(ids)  # each exactly once
    assert all((s.index, s.count, s.tick) == (i, len(sizes), TICK) for i, s in enumerate(shards))


def test_plan_is_deterministic_whatever_order_the_registry_lists_in() -> None:
    ids = [f"e{i}" for i in range(250)]
    shuffled = ids[:]
    random.Random(7).shuffle(shuffled)
    assert plan_county("rugao", ids, TICK, 60) == plan_county("rugao", shuffled + ids[:3], TICK, 60)


def test_shard_size_out_of_range_is_refused() -> None:
    with pytest.raises(InvalidInputError):
        plan_county("rugao", ["e1"], TICK, 0)


def test_every_county_is_planned_and_exempt_enterprises_are_left_out() -> None:
    store = memory_store()
    reg = store.registry
    b.seed_jurisdictions(reg)
    reg.put_county(County("rudong", "如东县", "南通市", "江苏省"))
    reg.put_town(Town("rudong-t1", "rudong", "掘港街道", TownKind.STREET))
    reg.put_branch(Branch("rudong-b1", "rudong", "执法一局"))
    for i in range(5):
        reg.put_enterprise(b.enterprise(f"g{i}"))
    for i in range(3):
        reg.put_enterprise(b.enterprise(f"d{i}", county_id="rudong", town_id="rudong-t1", branch_id="rudong-b1"))
    reg.put_enterprise(b.enterprise("g9", exemption=Exemption(ExemptionReason.LONG_TERM_SHUTDOWN, "张三", TICK)))
    shards = plan_ticks(reg, TICK, 2)
    by_county: dict[str, list[tuple[str, ...]]] = {}
    for s in shards:
        by_county.setdefault(s.county_id, []).append(s.enterprise_ids)
    assert by_county == {"rudong": [("d0", "d1"), ("d2",)], "rugao": [("g0", "g1"), ("g2", "g3"), ("g4",)]}


def test_message_round_trip_and_retick() -> None:
    (shard,) = plan_county("rugao", ["e2", "e1"], TICK, 10)
    assert Shard.from_message(shard.to_message()) == shard
    later = retick([shard], TICK + timedelta(minutes=1))[0]
    assert later.enterprise_ids == ("e1", "e2") and later.tick == TICK + timedelta(minutes=1)
    # decode's progress as the scheduler read it travels with the message: a time, or none noted yet
    assert "decoded_until" not in shard.to_message() and not shard.waits_for_decode
    for decoded in (TICK - timedelta(seconds=70), None):
        waiting = replace(shard, waits_for_decode=True, decoded_until=decoded)
        assert waiting.to_message()["decoded_until"] == (decoded.isoformat() if decoded else None)
        assert Shard.from_message(waiting.to_message()) == waiting


@pytest.mark.parametrize(
    "change",
    [
        {"shard": 2},  # index not below count
        {"shard": True},
        {"shards": "2"},
        {"tick": "2026-11-28T02:35:00"},  # no offset
        {"tick": "yesterday"},
        {"enterprises": "e1"},
        {"enterprises": ["e1", 3]},
        {"county": ""},
        {"decoded_until": "2026-11-28T02:35:00"},  # no offset
        {"decoded_until": "soon"},
        {"decoded_until": 5},
    ],
)
def test_malformed_messages_are_refused(change: dict) -> None:
    doc = {"county": "rugao", "shard": 0, "shards": 2, "tick": TICK.isoformat(), "enterprises": ["e1"]}
    with pytest.raises(InvalidInputError):
        Shard.from_message(doc | change)
    with pytest.raises(InvalidInputError):
        Shard.from_message({k: v for k, v in doc.items() if k != "tick"})


def test_a_shard_is_superseded_once_it_evaluated_this_tick_or_a_later_one() -> None:
    store = memory_store()
    (shard,) = plan_county("rugao", ["e1"], TICK, 10)
    assert not superseded(store.rule_state, shard)
    TickMark(TICK - timedelta(minutes=1)).save(store.rule_state, shard.tick_key)
    assert not superseded(store.rule_state, shard)
    TickMark(TICK).save(store.rule_state, shard.tick_key)
    assert superseded(store.rule_state, shard)
    # another county's or shard's mark says nothing about this one
    other = Shard("rudong", 0, 1, TICK, ("x",))
    assert not superseded(store.rule_state, other)
    assert shard.tick_keys == ("tick:rugao:0", "tick:rugao:0", "tick")


def test_resume_carries_on_from_the_shards_own_mark_else_the_countys_first_shard_never_superseded_by_it() -> None:
    store = memory_store()
    shard = Shard("rugao", 2, 3, TICK, ("e9",))
    assert resume(store.rule_state, shard) == (False, None)
    TickMark(TICK - timedelta(minutes=5)).save(store.rule_state, "tick")
    assert resume(store.rule_state, shard) == (False, TICK - timedelta(minutes=5))  # the single runner's
    TickMark(TICK).save(store.rule_state, "tick:rugao:0")  # shard 0 already did this minute: not this shard
    assert resume(store.rule_state, shard) == (False, TICK)
    TickMark(TICK - timedelta(minutes=1)).save(store.rule_state, shard.tick_key)
    assert resume(store.rule_state, shard) == (False, TICK - timedelta(minutes=1))
    TickMark(TICK).save(store.rule_state, shard.tick_key)
    assert resume(store.rule_state, shard) == (True, TICK)


def test_scheduled_minute_floors_eventbridge_time() -> None:
    assert scheduled_minute("2026-11-28T02:35:59Z", TICK) == TICK
    assert scheduled_minute(None, TICK + timedelta(seconds=7)) == TICK
    assert scheduled_minute("2026-11-28T10:35:00+08:00", TICK) == TICK.astimezone(timezone(timedelta(hours=8)))
    with pytest.raises(InvalidInputError):
        scheduled_minute("2026-11-28T02:35:00", TICK)


@pytest.mark.parametrize(("raw", "every", "tick"), [
    ("2026-11-28T02:35:00Z", 5, "02:35"), ("2026-11-28T02:39:59Z", 5, "02:35"), ("2026-11-28T02:44:00Z", 15, "02:30"),
    ("2026-11-28T02:59:30Z", 10, "02:50"), ("2026-11-28T02:35:10Z", 2, "02:34"), ("2026-11-28T02:35:10Z", 3, "02:33"),
    ("2026-11-28T10:44:00+08:00", 15, "02:30"),  # the same tick in Beijing time
])  # fmt: skip
def test_scheduled_minute_floors_to_the_cadence_on_the_minutes_of_the_hour(raw: str, every: int, tick: str) -> None:
    # A late or retried invocation (or a rate schedule deployed at an odd minute) names its cadence's tick
    h, m = map(int, tick.split(":"))
    assert scheduled_minute(raw, TICK, every) == datetime(2026, 11, 28, h, m, tzinfo=UTC)
    assert scheduled_minute(None, datetime(2026, 11, 28, h, m + every - 1, 59, tzinfo=UTC), every).minute == m


@pytest.mark.parametrize("every", [0, 4, 7, 20, 30, 60])
def test_scheduled_minute_refuses_a_cadence_that_does_not_divide_the_half_hour_into_whole_ticks(every: int) -> None:
    with pytest.raises(InvalidInputError, match="not one of"):
        scheduled_minute("2026-11-28T02:35:00Z", TICK, every)
