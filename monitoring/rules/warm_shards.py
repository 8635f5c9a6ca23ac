"""A container's rule windows trusted per point only as of the tick it last evaluated; otherwise the shard's snapshot.

More: docs/rules.md, "Module notes".
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime, timedelta
from typing import Any, Protocol

from monitoring.errors import StorageUnavailableError
from monitoring.evaluation.config import RuleConfig
from monitoring.evaluation.ports import RuleInputs
from monitoring.rules.people_cache import PeopleDocsCache
from monitoring.rules.ports import RulesRepositories
from monitoring.rules.sample_cache import Window
from monitoring.rules.service import TickResult, evaluate_tick
from monitoring.rules.shards import Shard
from monitoring.rules.state_cache import RuleStateCache
from monitoring.rules.warm_snapshot import SnapshotBlobs, WarmSnapshot, decode, encode, snapshot_key

log = logging.getLogger(__name__)
# Backfill marks live a day (store_inputs.late_arrivals purges them); windows older than this are read afresh.
MAX_STALE = timedelta(hours=12)
# (points, since) -> point -> newest minute (its mark's stamp, e.g. 20261124T0812) with backfill noted at or after
# `since` minus a minute, as `late_arrivals` counts marks
Backfilled = Callable[[Collection[str], datetime], Mapping[str, str]]


class WindowCache(Protocol):
    """What is kept of a point across ticks (monitoring.rules.sample_cache.CachedSampleReader)."""

    def export(self, point_ids: Sequence[str]) -> dict[str, Window]: ...
    def restore(self, windows: Mapping[str, Window]) -> None: ...
    def invalidate(self, point_ids: Sequence[str]) -> None: ...


def _stamp(t: datetime) -> str:
    return (t - timedelta(minutes=1)).strftime("%Y%m%dT%H%M")


class WarmShards:
    """One container's rule windows, each known to be true as of the tick that last refreshed it.

    The engine reopens a cached point only for backfill noted since the shard's previous tick, so a point is
    trusted as it stands only if this container evaluated that very tick. Otherwise it takes the newer of its own
    window and the shard's snapshot (one GET), reopens the points with backfill noted since that one's tick, and
    reads afresh a point that has neither. After the tick the shard's windows go to the snapshot (one PUT), with
    the rule-state documents the tick left in `state`, which a container behind adopts (state_cache.py). Only the
    `max_shards` shards evaluated last keep their windows here (a shard's ≈ 1,000 points hold tens of MB)."""

    def __init__(
        self,
        cache: WindowCache,
        backfilled: Backfilled,
        blobs: SnapshotBlobs | None = None,
        state: RuleStateCache | None = None,
        *,
        max_shards: int = 4,
    ) -> None:
        self._cache, self._backfilled, self._blobs, self._state = cache, backfilled, blobs, state
        self._max_shards = max(max_shards, 1)
        self._shard_ticks: dict[str, datetime] = {}  # tick key -> the last tick of it this container evaluated
        self._shard_points: dict[str, list[str]] = {}  # tick key -> its points, least recently evaluated first
        self._synced: dict[str, datetime] = {}  # point -> the tick whose reads its cached window reflects
        self.sources: Counter[str] = Counter()  # warm / own / snapshot / cold, by point (bench, logs)

    def before(self, shard: Shard, point_ids: Sequence[str], previous: datetime | None) -> None:
        """Make the cache true for `point_ids` as of the shard's `previous` tick (None: it has none)."""
        synced = {pid: self._synced.pop(pid, None) for pid in point_ids}  # re-set only after a tick that succeeds
        if previous is not None and all(at == previous for at in synced.values()):
            self.sources["warm"] += len(point_ids)
            return
        snap = self._load(shard) if previous is not None else None
        mine = self._shard_ticks.get(shard.tick_key)
        if snap is not None and snap.state is not None and self._state is not None and snap.state[0] == shard.tick_key:
            if mine is None or snap.tick > mine:  # its documents are trusted only if the mark carries its stamp
                self._state.adopt(*snap.state, tick=snap.tick)
        chosen: dict[str, datetime] = {}
        restore: dict[str, Window] = {}
        cold: list[str] = []
        for pid in point_ids:
            own, theirs = synced[pid], None if snap is None or pid not in snap.windows else snap.tick
            best = max((t for t in (own, theirs) if t is not None), default=None)
            if previous is None or best is None or best < previous - MAX_STALE:
                cold.append(pid)
                continue
            if own is None or (theirs is not None and theirs > own):
                assert snap is not None
                restore[pid] = snap.windows[pid]
                self.sources["snapshot"] += 1
            else:
                self.sources["own" if own < previous else "warm"] += 1
            chosen[pid] = min(best, previous)
        self.sources["cold"] += len(cold)
        self._cache.invalidate(cold)
        self._cache.restore(restore)
        behind = {pid: at for pid, at in chosen.items() if previous is not None and at < previous}
        if behind:
            noted = self._backfilled(sorted(behind), min(behind.values()))
            reopen = [pid for pid, at in behind.items() if pid in noted and noted[pid] >= _stamp(at)]
            self._cache.invalidate(reopen)

    def after(self, shard: Shard, point_ids: Sequence[str]) -> None:
        """The shard's tick succeeded: its windows are now true as of its tick; snapshot them for the next one."""
        for pid in point_ids:
            self._synced[pid] = shard.tick
        self._shard_ticks[shard.tick_key] = shard.tick
        self._shard_points.pop(shard.tick_key, None)
        self._shard_points[shard.tick_key] = list(point_ids)
        while len(self._shard_points) > self._max_shards:  # SQS hands a container any shard: keep the last few
            key = next(iter(self._shard_points))
            gone = [pid for pid in self._shard_points.pop(key) if self._synced.get(pid) == self._shard_ticks[key]]
            self._cache.invalidate(gone)
            for pid in gone:
                del self._synced[pid]
        if self._blobs is None:
            return
        kept = None if self._state is None else self._state.export(shard.tick_key)
        state = None if kept is None else (shard.tick_key, *kept)
        try:
            snap = WarmSnapshot(shard.county_id, shard.index, shard.tick, self._cache.export(point_ids), state)
            data = encode(snap)
            self._blobs.put(snapshot_key(shard.county_id, shard.index), data)
        except (StorageUnavailableError, ValueError) as exc:  # the next container reads the windows instead
            log.warning("rule snapshot not written", extra={"county": shard.county_id, "shard": shard.index,
                                                            "error": repr(exc)})  # fmt: skip

    def _load(self, shard: Shard) -> WarmSnapshot | None:
        if self._blobs is None:
            return None
        try:
            data = self._blobs.get(snapshot_key(shard.county_id, shard.index))
        except StorageUnavailableError as exc:
            log.warning("rule snapshot not read", extra={"county": shard.county_id, "error": repr(exc)})
            return None
        snap = None if data is None else decode(data, shard.county_id, shard.index)
        if data is not None and snap is None:
            log.warning("rule snapshot unusable", extra={"county": shard.county_id, "shard": shard.index})
        return snap


def shard_points(inputs: RuleInputs, shard: Shard) -> list[str]:
    topo = inputs.topology()
    return [p.id for eid in shard.enterprise_ids if eid in topo.enterprises for p in topo.points_of(eid)]


def evaluate_warm_shard(
    shard: Shard,
    inputs: RuleInputs,
    repos: RulesRepositories,
    config: RuleConfig,
    warm: WarmShards | None,
    *,
    previous: datetime | None,
    transaction: Callable[[], AbstractContextManager[Any]] = nullcontext,
    decoded_until: datetime | None = None,
    cache: RuleStateCache | None = None,
    people: tuple[PeopleDocsCache, str] | None = None,
) -> TickResult:
    """One shard's tick (`evaluate_tick`) with the container's windows made true first and snapshotted after;
    `previous`: the tick it carries on from (`shards.resume`)."""
    points = shard_points(inputs, shard) if warm is not None else []
    if warm is not None:
        warm.before(shard, points, previous)
    result = evaluate_tick(
        inputs,
        repos,
        config,
        shard.tick,
        transaction=transaction,
        enterprise_ids=shard.enterprise_ids,
        tick_keys=shard.tick_keys,
        decoded_until=decoded_until,
        cache=cache,
        people=people,
    )
    if warm is not None:
        warm.after(shard, points)
    return result
