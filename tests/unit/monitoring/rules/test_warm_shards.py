"""A container trusts its windows only as of the tick it evaluated: otherwise the shard's snapshot or its own older
windows, with the points that got backfill since reopened; without either, a full read."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta

import pytest

from monitoring.evaluation.models import Sample
from monitoring.readings.models import Reading, ReadingKind
from monitoring.rules.sample_cache import CachedSampleReader
from monitoring.rules.shards import Shard
from monitoring.rules.store_inputs import StoreRuleInputs, note_late_readings
from monitoring.rules.warm_shards import WarmShards
from monitoring.rules.warm_snapshot import snapshot_key
from monitoring.storage.opener import StoreLocation, open_store_at
from monitoring.storage.ports import Store
from tests.support.archive_objects import VersionedObjects
from tests.unit.monitoring.rules.stored_samples import Stored
from tests.unit.monitoring.rules.world import MIN, at

pytestmark = pytest.mark.unit
POINTS = ["P1", "P2"]
WINDOW = timedelta(minutes=80)


class World:
    """Stored readings, the rule state (backfill marks), the snapshot bucket, and containers over them."""

    def __init__(self, store: Store) -> None:
        self.stored = Stored()
        self.state = store.rule_state
        self.inputs = StoreRuleInputs(store, store.rule_state, "rugao")
        self.blobs = VersionedObjects()
        for pid in POINTS:
            for i in range(200):
                self.stored.add(pid, at("00:00") + i * MIN, 10.0)

    def container(self, *, snapshots: bool = True) -> tuple[CachedSampleReader, WarmShards]:
        cache = CachedSampleReader(self.stored.fetch, refresh_every=10_000)
        return cache, WarmShards(cache, self.inputs.backfill_noted, self.blobs if snapshots else None)

    def tick(
        self, container: tuple[CachedSampleReader, WarmShards], tick: datetime, previous: datetime | None
    ) -> Mapping[str, list[Sample]]:
        """What a shard's tick asks of the reader: its windows made true, late marks since `previous`, the read."""
        cache, warm = container
        shard = Shard("rugao", 0, 1, tick, ("E1",))
        warm.before(shard, POINTS, previous)
        if previous is not None:
            self.inputs_reader_invalidate(cache, previous)
        got = cache.samples(POINTS, tick - WINDOW, tick)
        warm.after(shard, POINTS)
        return got

    def inputs_reader_invalidate(self, cache: CachedSampleReader, previous: datetime) -> None:
        # The engine's own step (late_arrivals): points with backfill noted since the previous tick are reopened.
        cache.invalidate(sorted(self.inputs.backfill_noted(POINTS, previous)))

    def backfill(self, pid: str, data_time: datetime, received: datetime, p: float) -> None:
        self.stored.add(pid, data_time, p)
        reading = Reading(pid, data_time, ReadingKind.MINUTE, {"p": p}, received_at=received)
        note_late_readings(self.state, [reading], received)

    def truth(self, tick: datetime) -> Mapping[str, list[Sample]]:
        asked = list(self.stored.asked)
        try:
            return self.stored.fetch(POINTS, tick - WINDOW, tick)
        finally:
            self.stored.asked = asked  # not a read of the container's


@pytest.fixture
def world() -> Iterator[World]:
    store = open_store_at(StoreLocation(backend="memory"))
    yield World(store)
    store.close()


def test_a_container_that_missed_ticks_loads_the_snapshot_and_reads_only_the_tail(world: World) -> None:
    a, b = world.container(), world.container()
    t1, t2 = at("02:00"), at("02:01")
    world.tick(a, t1, None)
    assert world.blobs.requests["put"] == 1 and snapshot_key("rugao", 0) in world.blobs.versions
    world.stored.asked.clear()
    got = world.tick(b, t2, t1)  # b never saw the shard
    assert got == world.truth(t2)
    assert world.stored.read_minutes() == 2 * 6  # the 5-minute tail and the new minute, not 80 minutes a point
    assert b[1].sources["snapshot"] == 2


def test_without_snapshot_a_cold_container_reads_whole_windows(world: World) -> None:
    a, b = world.container(snapshots=False), world.container(snapshots=False)
    world.tick(a, at("02:00"), None)
    world.stored.asked.clear()
    assert world.tick(b, at("02:01"), at("02:00")) == world.truth(at("02:01"))
    assert world.stored.read_minutes() == 2 * 80


def test_a_corrupt_or_absent_snapshot_means_a_full_read(world: World) -> None:
    a, b = world.container(), world.container()
    world.tick(a, at("02:00"), None)
    data = world.blobs.get(snapshot_key("rugao", 0))
    assert data is not None
    world.blobs.put(snapshot_key("rugao", 0), data[:-20])  # truncated
    world.stored.asked.clear()
    assert world.tick(b, at("02:01"), at("02:00")) == world.truth(at("02:01"))
    assert world.stored.read_minutes() == 2 * 80 and b[1].sources["cold"] == 2


def test_backfill_between_ticks_on_other_containers_reaches_a_container_coming_back(world: World) -> None:
    """A evaluates 02:00, B 02:01 and 02:02; backfill for P1 at 01:30 is noted at 02:00:30, between A's and B's
    ticks. A comes back at 02:03 with its own windows of 02:00: P1's window must hold the backfilled reading."""
    a, b = world.container(snapshots=False), world.container(snapshots=False)
    world.stored.rows["P1"] = [s for s in world.stored.rows["P1"] if s.at != at("01:30")]
    world.tick(a, at("02:00"), None)
    world.backfill("P1", at("01:30"), at("02:00") + timedelta(seconds=30), 99.0)
    world.tick(b, at("02:01"), at("02:00"))
    world.tick(b, at("02:02"), at("02:01"))
    got = world.tick(a, at("02:03"), at("02:02"))  # the engine's own late marks (since 02:02) no longer name P1
    assert any(s.at == at("01:30") and s.p == 99.0 for s in got["P1"])
    assert got == world.truth(at("02:03"))
    assert a[1].sources["own"] == 2


def test_the_snapshot_carries_backfill_the_writer_had_reopened(world: World) -> None:
    a, b, c = world.container(), world.container(), world.container()
    world.stored.rows["P2"] = [s for s in world.stored.rows["P2"] if s.at != at("01:40")]
    world.tick(a, at("02:00"), None)
    world.backfill("P2", at("01:40"), at("02:00") + timedelta(seconds=10), 55.0)
    world.tick(b, at("02:01"), at("02:00"))  # b: the snapshot of 02:00, P2 reopened by the tick's late marks
    got = world.tick(c, at("02:02"), at("02:01"))  # c: b's snapshot
    assert got == world.truth(at("02:02")) and c[1].sources["snapshot"] == 2


def test_an_older_snapshot_is_used_with_the_points_backfilled_since_reopened(world: World) -> None:
    """Ticks 02:01-02:03 ran but their snapshots were lost (an S3 outage): the one of 02:00 is used, and P1, with
    backfill noted at 02:01 (which the engine's own marks, since 02:02, no longer name), is read afresh."""
    a, b = world.container(), world.container()
    world.stored.rows["P1"] = [s for s in world.stored.rows["P1"] if s.at != at("01:50")]
    world.tick(a, at("02:00"), None)
    world.backfill("P1", at("01:50"), at("02:01") + timedelta(seconds=5), 77.0)
    world.stored.asked.clear()
    got = world.tick(b, at("02:04"), at("02:03"))
    assert got == world.truth(at("02:04"))
    assert any(s.at == at("01:50") for s in got["P1"])
    assert world.stored.read_minutes() == 80 + 9  # P1 afresh; P2 from the snapshot: 01:55 to 02:04


def test_a_container_keeps_the_windows_of_its_last_shards_only(world: World) -> None:
    cache = CachedSampleReader(world.stored.fetch, refresh_every=10_000)
    warm = WarmShards(cache, world.inputs.backfill_noted, None, max_shards=2)
    for index in range(3):
        shard = Shard("rugao", index, 3, at("02:00"), (f"E{index}",))
        points = [f"Q{index}"]
        warm.before(shard, points, None)
        cache.samples(points, at("00:40"), at("02:00"))
        warm.after(shard, points)
    # the first shard's windows are gone (a snapshot or a read brings them back when it comes again)
    assert cache.export(["Q0", "Q1", "Q2"]).keys() == {"Q1", "Q2"}
