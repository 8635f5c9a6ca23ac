"""The warm container's rule-state cache: fewer reads, the same judgements, and nothing trusted after another
writer, a failed tick or a change of shard."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest

from monitoring.alarms.models import Alarm
from monitoring.rules.state_cache import ENTERPRISE_PREFIXES, RuleStateCache
from monitoring.rules.state_docs import Watermarks
from monitoring.storage.rules_memory import MemoryRuleState
from tests.unit.monitoring.rules.world import World, at

pytestmark = pytest.mark.unit
NEVER = timedelta(days=10**6)  # a refresh period no test reaches: only the stamps decide


class CountingState(MemoryRuleState):
    """The memory repository, counting reads of enterprise documents."""

    def __init__(self) -> None:
        super().__init__()
        self.enterprise_reads = 0

    def get(self, key: str) -> dict[str, Any] | None:
        if key.startswith(ENTERPRISE_PREFIXES):
            self.enterprise_reads += 1
        return super().get(key)


class KeyCountingState(MemoryRuleState):
    """The memory repository, noting which documents are read."""

    def __init__(self) -> None:
        super().__init__()
        self.read: list[str] = []

    def get(self, key: str) -> dict[str, Any] | None:
        self.read.append(key)
        return super().get(key)


def _world() -> tuple[World, CountingState]:
    world = World()
    state = CountingState()
    world.stores = replace(world.stores, state=state)
    # Production runs all morning; the fan stops at 01:00 (a control_stopped alarm) and restarts at 02:00.
    world.running(at("00:00"), at("04:00"))
    return world, state


def _stopped_fan(world: World) -> None:
    world.feed("C1", at("01:00"), at("02:00"), 0.0)


def _reads(world: World, state: CountingState, now: Any, cache: RuleStateCache | None, **kw: Any) -> int:
    before = state.enterprise_reads
    world.tick(now, cache=cache, **kw)
    return state.enterprise_reads - before


def _summary(alarms: list[Alarm]) -> list[tuple[str, str, Any, Any]]:
    return [(a.rule, a.state.value, a.data_start, a.episodes[-1].end) for a in alarms]


def test_a_warm_tick_reads_no_enterprise_document_and_judges_as_an_uncached_run() -> None:
    # Given two copies of the same world, one ticking with a cache and one without
    cached, state = _world()
    plain, plain_state = _world()
    for w in (cached, plain):
        _stopped_fan(w)
    cache = RuleStateCache(refresh=NEVER)
    # When both tick every minute through the stop and the restart
    warm_reads = []
    t = at("00:50")
    while t <= at("03:00"):
        warm_reads.append(_reads(cached, state, t, cache))
        plain.tick(t)
        t += timedelta(minutes=1)
    # Then the cached run read its documents once (the first tick) and never again
    assert warm_reads[0] > 0 and sum(warm_reads[1:]) == 0
    # ... and reached the same alarms and the same stored documents as the uncached one
    assert _summary(cached.alarms()) == _summary(plain.alarms()) and cached.alarms("control_stopped")
    for key in plain_state.keys(""):
        if key.startswith(ENTERPRISE_PREFIXES):
            assert state.get(key) == plain_state.get(key), key


def test_another_writer_of_the_mark_makes_the_next_tick_read_again() -> None:
    world, state = _world()
    mine, other = RuleStateCache(refresh=NEVER), RuleStateCache(refresh=NEVER)
    _reads(world, state, at("01:00"), mine)
    assert _reads(world, state, at("01:01"), mine) == 0
    # When the shard's next tick runs in another container (or without a cache)
    assert _reads(world, state, at("01:02"), other) > 0
    # Then this container's next tick trusts none of its copies
    assert _reads(world, state, at("01:03"), mine) > 0
    assert _reads(world, state, at("01:04"), mine) == 0
    world.tick(at("01:05"))  # a tick without any cache leaves a mark without a stamp
    assert _reads(world, state, at("01:06"), mine) > 0


def test_a_tick_whose_flush_failed_leaves_nothing_trusted() -> None:
    world, state = _world()
    cache = RuleStateCache(refresh=NEVER)
    _reads(world, state, at("01:00"), cache)
    # When a tick writes the enterprise's documents but fails on its mark (the old mark, with this cache's stamp,
    # stays on top)
    real_put = state.put

    def put_failing_on_the_mark(key: str, value: dict[str, Any]) -> None:
        if key == "tick":
            raise RuntimeError("store outage")
        real_put(key, value)

    state.put = put_failing_on_the_mark  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        world.tick(at("01:30"), cache=cache)
    state.put = real_put  # type: ignore[method-assign]
    # Then the next tick reads the documents again instead of trusting copies older than the store's
    assert _reads(world, state, at("01:31"), cache) > 0


def test_documents_are_kept_per_tick_key_and_only_for_the_enterprises_the_tick_evaluated() -> None:
    world, state = _world()
    cache = RuleStateCache(refresh=NEVER)
    _reads(world, state, at("01:00"), cache, tick_keys=("tick:c:0",))
    # Another shard key of the same container does not see the first one's copies
    assert _reads(world, state, at("01:01"), cache, tick_keys=("tick:c:1",)) > 0
    assert _reads(world, state, at("01:02"), cache, tick_keys=("tick:c:1",)) == 0
    # A tick under a key without the enterprise drops its copies (it may be evaluated elsewhere meanwhile)
    world.tick(at("01:03"), cache=cache, tick_keys=("tick:c:1",), enterprise_ids=[])
    assert _reads(world, state, at("01:04"), cache, tick_keys=("tick:c:1",)) > 0


def test_each_document_is_still_read_again_every_refresh_of_tick_time() -> None:
    world, state = _world()
    cache = RuleStateCache(refresh=timedelta(minutes=4))
    reads = [_reads(world, state, at("01:00") + timedelta(minutes=i), cache) for i in range(13)]
    warm = reads[1:]
    # Three documents, each re-read on its own turn: every 4 ticks, spread by key, never all skipped for good
    assert 0 < sum(warm) <= 3 * (len(warm) // 4 + 1) and sum(warm) < 3 * len(warm)


def test_only_the_last_tick_keys_keep_documents() -> None:
    # Given a worker sent three shards in turn, each with its own enterprise, keeping at most two shards' copies
    state = CountingState()
    cache = RuleStateCache(refresh=NEVER, max_keys=2)
    stamps: dict[str, str] = {}
    for i in range(3):
        state.put(f"ent:E{i}", {"evaluated_until": f"0{i}"})
        view = cache.open(state, f"tick:c:{i}", None, at("01:00"))
        assert view.get(f"ent:E{i}") == {"evaluated_until": f"0{i}"}
        stamps[f"tick:c:{i}"] = cache.stamp()
        cache.commit(view, stamps[f"tick:c:{i}"])
    # When each shard comes back with this worker's stamp still on its mark
    reads = []
    for i in (2, 1, 0):
        before = state.enterprise_reads
        cache.open(state, f"tick:c:{i}", stamps[f"tick:c:{i}"], at("01:01")).get(f"ent:E{i}")
        reads.append(state.enterprise_reads - before)
    # Then the two newest are served from memory and the oldest, let go, is read again
    assert reads == [0, 0, 1]


def test_a_container_adopting_anothers_export_reads_nothing_while_the_mark_carries_its_stamp() -> None:
    world, state = _world()
    first, second = RuleStateCache(refresh=NEVER), RuleStateCache(refresh=NEVER)
    _reads(world, state, at("01:00"), first)
    exported = first.export("tick")
    assert exported is not None
    # When the second container adopts what the first one's tick left (a shard snapshot carries it)
    second.adopt("tick", *exported, tick=at("01:00"))
    # Then its tick reads no enterprise document ...
    assert _reads(world, state, at("01:01"), second) == 0
    # ... but a stale export (the mark moved on since) is forgotten: the third container reads again
    third = RuleStateCache(refresh=NEVER)
    third.adopt("tick", *exported, tick=at("01:00"))
    assert _reads(world, state, at("01:02"), third) > 0


@pytest.mark.parametrize("shards", [3, 12])
def test_a_container_evaluating_many_shards_a_tick_reads_every_document_again_once_a_refresh_period(
    shards: int,
) -> None:
    # Given one container evaluating `shards` shards every 5-minute tick, each document due every 15 minutes
    # (3 ticks): a container-wide tick counter would give each shard the same turn every time
    state = KeyCountingState()
    cache = RuleStateCache(refresh=timedelta(minutes=15), max_keys=shards)
    docs = {f"tick:c:{i}": [Watermarks.key_of(f"s{i}e{j}") for j in range(20)] for i in range(shards)}
    for keys in docs.values():
        for key in keys:
            state.put(key, {"evaluated_until": key})
    marks: dict[str, str | None] = dict.fromkeys(docs)

    def tick(t: datetime) -> Counter[str]:
        state.read.clear()
        for tick_key, keys in docs.items():
            view = cache.open(state, tick_key, marks[tick_key], t)
            assert [view.get(k) for k in keys] == [{"evaluated_until": k} for k in keys]
            marks[tick_key] = stamp = cache.stamp()
            cache.commit(view, stamp)
        return Counter(state.read)

    tick(at("03:00"))
    # When the next three ticks run warm in the same container
    per_tick = [tick(at("03:00") + timedelta(minutes=5 * n)) for n in (1, 2, 3)]
    # Then every document of every shard was read again exactly once, spread over the ticks
    total = sum(per_tick, Counter[str]())
    assert total == Counter(k for keys in docs.values() for k in keys)
    assert all(0 < sum(c.values()) < len(total) for c in per_tick)
