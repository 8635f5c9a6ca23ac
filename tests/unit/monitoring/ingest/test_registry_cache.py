"""The registry cache follows the registry's change mark: an edit reaches decode at its next look, nothing else is
dropped, and a store without a mark keeps the TTL."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime, timedelta

from monitoring.clock import FixedClock
from monitoring.ingest.registry_cache import RegistryCache
from monitoring.registry.changes import CHANGE_BUCKETS, ChangeMark, change_bucket
from monitoring.registry.terminal import Terminal, hash_password
from monitoring.storage.ports import Store
from tests.unit.monitoring.ingest.conftest import MN, NOW, PW, bind, register


class Marks:
    """A registry's mark as a test sets it; counts the reads."""

    def __init__(self, mark: Mapping[int, int] | None) -> None:
        self.mark, self.reads = mark, 0
        self.moved_at: dict[int, datetime] = {}

    def registry_changes(self) -> ChangeMark | None:
        self.reads += 1
        return None if self.mark is None else ChangeMark(dict(self.mark), dict(self.moved_at))


def _other_bucket_mn() -> str:
    return next(m for m in (f"8888888000{i:04d}" for i in range(100)) if change_bucket(m) != change_bucket(MN))


def test_change_buckets_are_stable_and_spread() -> None:
    assert change_bucket(MN) == change_bucket(str(MN))
    assert len({change_bucket(f"8888888000{i:04d}") for i in range(2000)}) == CHANGE_BUCKETS


def test_a_moved_bucket_drops_its_entries_and_keeps_the_others(clock: FixedClock) -> None:
    # Given two terminals in different buckets, cached under a mark
    other = _other_bucket_mn()
    marks = Marks({})
    cache = RegistryCache(clock, ttl=timedelta(hours=1), check_every=timedelta(seconds=0))
    cache.follow(marks)
    cache.remember_terminal(MN, None)
    cache.remember_terminal(other, None)
    # When the mark moves for MN's bucket only
    marks.mark = {change_bucket(MN): 1}
    cache.follow(marks)
    # Then MN is read again and the other terminal is still served from the cache
    assert cache.terminal(MN) == (False, None)
    assert cache.terminal(other) == (True, None)
    # And an unchanged mark drops nothing
    cache.remember_terminal(MN, None)
    cache.follow(marks)
    assert cache.terminal(MN) == (True, None)


def test_the_mark_is_read_at_most_every_check_interval(clock: FixedClock) -> None:
    marks = Marks({})
    cache = RegistryCache(clock, check_every=timedelta(seconds=30))
    for _ in range(5):
        cache.follow(marks)
    assert marks.reads == 1
    clock.advance(timedelta(seconds=30))
    cache.follow(marks)
    assert marks.reads == 2


def test_an_entry_cached_while_its_bucket_settles_is_read_once_more(clock: FixedClock) -> None:
    # Given a bucket that just moved (an eventually consistent index may still answer from before the edit)
    marks = Marks({})
    cache = RegistryCache(clock, ttl=timedelta(hours=1), check_every=timedelta(0), settle=timedelta(seconds=60))
    cache.follow(marks)
    marks.mark = {change_bucket(MN): 1}
    cache.follow(marks)
    # When decode re-reads and caches the terminal at once
    cache.remember_points(MN, [])
    # Then that entry expires when the settling time ends, and one cached later lives for the TTL
    clock.advance(timedelta(seconds=61))
    assert cache.points(MN) is None
    cache.remember_points(MN, [])
    clock.advance(timedelta(minutes=44))
    assert cache.points(MN) == ()


def test_safety_ttl_expiries_are_spread_over_its_last_quarter(clock: FixedClock) -> None:
    # Given a cold start caching many terminals at once under a 1 h TTL
    cache = RegistryCache(clock, ttl=timedelta(hours=1))
    mns = [f"8888888000{i:04d}" for i in range(400)]
    for mn in mns:
        cache.remember_terminal(mn, None)
    # Then none expires before 45 minutes, all have by 60, and they do not expire together
    clock.advance(timedelta(minutes=45) - timedelta(seconds=1))
    assert all(cache.terminal(mn)[0] for mn in mns)
    gone: list[int] = []
    for _ in range(16):  # to 60:59
        clock.advance(timedelta(minutes=1))
        gone.append(sum(not cache.terminal(mn)[0] for mn in mns))
    assert gone[-1] == len(mns) and max(b - a for a, b in zip([0, *gone], gone, strict=False)) < len(mns) // 5


def test_without_a_mark_entries_live_for_the_ttl(clock: FixedClock) -> None:
    marks = Marks(None)
    cache = RegistryCache(clock, ttl=timedelta(seconds=60), check_every=timedelta(0))
    cache.follow(marks)
    cache.remember_terminal(MN, None)
    cache.follow(marks)
    assert cache.terminal(MN) == (True, None)
    clock.advance(timedelta(seconds=60))
    assert cache.terminal(MN) == (False, None)


def test_the_first_mark_read_trusts_nothing_cached_before_it(clock: FixedClock) -> None:
    cache = RegistryCache(clock, ttl=timedelta(hours=1))
    cache.remember_terminal(MN, None)
    cache.follow(Marks({}))
    assert cache.terminal(MN) == (False, None)


def test_a_cold_start_rereads_what_it_cached_in_the_index_lag_of_a_recent_edit(clock: FixedClock) -> None:
    # Given an edit that moved MN's bucket 10 s before a container's first look at the mark, and an edit of another
    # bucket long ago
    other = _other_bucket_mn()
    marks = Marks({change_bucket(MN): 3, change_bucket(other): 1})
    marks.moved_at = {change_bucket(MN): NOW - timedelta(seconds=10), change_bucket(other): NOW - timedelta(hours=2)}
    cache = RegistryCache(clock, ttl=timedelta(hours=1), check_every=timedelta(seconds=30))  # settle: 60 s
    # When the cold container caches both answers (MN's possibly from before the edit: the index lags)
    cache.follow(marks)
    cache.remember_points(MN, [])
    cache.remember_points(other, [])
    # Then MN's entry is read again once the edit has settled (60 s after it), the other one is kept
    clock.advance(timedelta(seconds=49))
    cache.follow(marks)
    assert cache.points(MN) == ()
    clock.advance(timedelta(seconds=2))
    cache.follow(marks)
    assert cache.points(MN) is None and cache.points(other) == ()
    # And what it caches now lives for the TTL (the mark did not move again)
    cache.remember_points(MN, [])
    clock.advance(timedelta(minutes=44))
    cache.follow(marks)
    assert cache.points(MN) == ()


def test_memory_store_moves_the_mark_for_config_writes_only(store: Store) -> None:
    # Given a registered, bound terminal
    register(store)
    before = store.registry.registry_changes()
    assert before is not None and before.counts.get(change_bucket(MN), 0) >= 2  # the terminal and its point
    # When decode records it seen: no move (its own state write)
    store.registry.record_terminal_seen(MN, NOW)
    assert store.registry.registry_changes() == before
    # When its point is re-bound to another terminal: both terminals' buckets move
    other = _other_bucket_mn()
    store.registry.put_terminal(Terminal(mn=other, county_id="rugao", password_hash=hash_password(PW, n=2)))
    found = store.registry.registry_changes()
    assert found is not None
    mid = found.counts
    point = store.registry.points_for_mn(MN)[0]
    store.registry.put_point(dataclasses.replace(point, mn=other))
    found = store.registry.registry_changes()
    assert found is not None
    after = found.counts
    assert after[change_bucket(MN)] == mid[change_bucket(MN)] + 1
    assert after[change_bucket(other)] == mid[change_bucket(other)] + 1
    # And a new point bound
    bind(store, channel="02")
    found = store.registry.registry_changes()
    assert found is not None and found.counts[change_bucket(MN)] == after[change_bucket(MN)] + 1
