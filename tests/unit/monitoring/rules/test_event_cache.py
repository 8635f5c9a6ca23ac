"""TerminalEventCache on the memory store: what a warm tick serves from memory, and when it reads the store."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from monitoring.clock import FixedClock
from monitoring.events.models import Event, EventKind
from monitoring.rules.event_cache import TerminalEventCache
from monitoring.rules.store_inputs import EVENT_KINDS
from monitoring.storage.base.events import NOTED_KINDS
from monitoring.storage.memory import MemoryEventsRepository, memory_store
from monitoring.storage.sqlite import open_store

T = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)
WINDOW = (T - 45 * MIN, T)


def _unnoted(repo: MemoryEventsRepository, event: Event) -> None:
    """Store an event without its arrival note: visible only to a tick that queries the store."""
    repo._insert_events([(event, None)])


def _setup() -> tuple[FixedClock, MemoryEventsRepository, TerminalEventCache]:
    clock = FixedClock(T)
    repo = memory_store(clock=clock).events
    assert isinstance(repo, MemoryEventsRepository)
    return clock, repo, TerminalEventCache()


def test_a_warm_tick_serves_a_terminal_without_notes_from_memory_and_rereads_a_noted_one() -> None:
    clock, repo, cache = _setup()
    cache.begin_tick(repo, T)
    assert cache.events(repo, "MN1", *WINDOW) == [] and cache.events(repo, "MN2", *WINDOW) == []
    # Given an event nobody noted (proves what is served from memory) and, a minute later, a noted one on MN2
    hidden = Event("MN1", EventKind.POWER_LOSS, T - 10 * MIN)
    _unnoted(repo, hidden)
    clock.set(T + 30 * timedelta(seconds=1))
    loss = Event("MN2", EventKind.POWER_LOSS, T - 20 * MIN)  # an old event, arrived late
    repo.put_event(loss)
    # When the next tick runs warm
    cache.begin_tick(repo, T + MIN)
    window = (T - 44 * MIN, T + MIN)
    # Then MN1 is served from memory (the unnoted event unseen) and MN2 is read again
    assert cache.events(repo, "MN1", *window) == []
    assert cache.events(repo, "MN2", *window) == [loss]


def test_a_cold_cache_a_long_pause_and_a_store_without_notes_read_every_terminal() -> None:
    clock, repo, cache = _setup()
    cache.begin_tick(repo, T)
    cache.events(repo, "MN1", *WINDOW)
    hidden = Event("MN1", EventKind.POWER_LOSS, T - 10 * MIN)
    _unnoted(repo, hidden)
    # A tick more than 15 minutes after this container's last one cannot trust the notes it did not read
    cache.begin_tick(repo, T + 16 * MIN)
    assert cache.events(repo, "MN1", T - 30 * MIN, T + 16 * MIN) == [hidden]
    # A fresh cache reads everything
    fresh = TerminalEventCache()
    fresh.begin_tick(repo, T + 17 * MIN)
    assert fresh.events(repo, "MN1", T - 30 * MIN, T + 17 * MIN) == [hidden]
    # A store that keeps no notes (sqlite here) says "anything may have changed": every tick reads again
    sqlite_repo = open_store(":memory:", clock=FixedClock(T)).events
    cache = TerminalEventCache()
    cache.begin_tick(sqlite_repo, T)
    assert cache.events(sqlite_repo, "MN1", *WINDOW) == []
    sqlite_repo.put_event(hidden)
    cache.begin_tick(sqlite_repo, T + MIN)
    assert cache.events(sqlite_repo, "MN1", T - 44 * MIN, T + MIN) == [hidden]


def test_a_window_reaching_further_back_reads_only_the_part_before_the_kept_range() -> None:
    clock, repo, cache = _setup()
    early = Event("MN1", EventKind.POWER_LOSS, T - 3 * 60 * MIN)
    late = Event("MN1", EventKind.POWER_RESTORE, T - 30 * MIN)
    repo.put_events([early, late])
    clock.set(T + 5 * MIN)  # the notes are from before the first tick
    cache.begin_tick(repo, T + 5 * MIN)
    assert cache.events(repo, "MN1", *WINDOW) == [late]
    # A catch-up window (e.g. the daily pass) starts hours earlier: the part before is read and kept
    assert cache.events(repo, "MN1", T - 4 * 60 * MIN, T) == [early, late]
    assert cache.events(repo, "MN1", T - 4 * 60 * MIN, T - 60 * MIN) == [early]


def test_each_terminal_is_read_again_every_refresh_of_tick_time() -> None:
    clock, repo, cache = _setup()
    cache = TerminalEventCache(refresh=3 * MIN)
    cache.begin_tick(repo, T)
    cache.events(repo, "MN1", *WINDOW)
    hidden = Event("MN1", EventKind.POWER_LOSS, T - 10 * MIN)
    _unnoted(repo, hidden)
    seen_at = []
    for i in range(1, 4):
        cache.begin_tick(repo, T + i * MIN)
        if cache.events(repo, "MN1", T - 45 * MIN + i * MIN, T + i * MIN):
            seen_at.append(i)
    assert len(seen_at) == 3 - min(seen_at) + 1 and min(seen_at) <= 3  # read once within 3 ticks, then kept


def test_every_event_kind_the_rules_judge_is_noted_when_stored() -> None:
    assert set(EVENT_KINDS) == NOTED_KINDS


class CountingEvents:
    """The memory repository, counting which MNs' events are queried."""

    def __init__(self, inner: MemoryEventsRepository) -> None:
        self.inner = inner
        self.read: Counter[str] = Counter()

    def events_for_mn(
        self, mn: str, start: datetime, end: datetime, *, limit: int = 10_000, consistent: bool = True
    ) -> list[Event]:
        self.read[mn] += 1
        return self.inner.events_for_mn(mn, start, end, limit=limit, consistent=consistent)

    def mns_with_new_events(self, since: datetime) -> set[str] | None:
        return self.inner.mns_with_new_events(since)


@pytest.mark.parametrize("shards", [3, 12])
def test_a_container_evaluating_many_shards_a_tick_reads_every_terminal_again_once_a_refresh_period(
    shards: int,
) -> None:
    # Given one county's event cache in a container evaluating `shards` of its shards every 5-minute tick, each
    # MN due every hour (12 ticks), and events nobody noted (only a read of the store sees them)
    _, memory, _ = _setup()
    repo = CountingEvents(memory)
    cache = TerminalEventCache(refresh=60 * MIN)
    mns = {i: [f"MN{i:02d}{j:02d}" for j in range(10)] for i in range(shards)}
    for group in mns.values():
        for mn in group:
            _unnoted(memory, Event(mn, EventKind.POWER_LOSS, T - 10 * MIN))

    def tick(t: datetime) -> None:
        for group in mns.values():  # each shard's tick begins on its own
            cache.begin_tick(repo, t)
            for mn in group:
                assert [e.mn for e in cache.events(repo, mn, T - 45 * MIN, t)] == [mn]

    tick(T)
    repo.read.clear()
    # When the next twelve ticks run warm in the same container
    for n in range(1, 13):
        tick(T + 5 * n * MIN)
    # Then every MN of every shard was read again exactly once
    assert repo.read == Counter(mn for group in mns.values() for mn in group)
