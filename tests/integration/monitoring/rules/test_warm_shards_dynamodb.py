"""Rule shards on DynamoDB Local handed to containers at random, with snapshots in S3 (moto server) or without:
the same alarms as one container evaluating every tick, late backfill between ticks on other containers included."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from functions.adapters.archive_objects import S3Objects
from monitoring.alarms.models import Alarm
from monitoring.clock import FixedClock
from monitoring.evaluation.config import load_defaults
from monitoring.readings.models import Reading, ReadingKind
from monitoring.rules.shards import plan_county, resume
from monitoring.rules.state_cache import RuleStateCache
from monitoring.rules.store_inputs import StoreRuleInputs, note_late_readings
from monitoring.rules.warm_shards import WarmShards, evaluate_warm_shard
from monitoring.storage.dynamodb.adapter import DynamoDBBackend
from monitoring.storage.ports import Store
from tests.contract.storage import builders as b
from tests.support.dynamodb_tables import fresh_backend
from tests.support.moto_server import moto_server

pytestmark = pytest.mark.integration
REGION = "cn-north-1"
T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
ENTERPRISES = ("e1", "e2", "e3")
GAP = range(100, 125)  # e2's fan readings of these minutes arrive late, at minute BACKFILL_AT, all zero (stopped)
BACKFILL_AT = 140
TICKS = range(134, 164)
# One shard: a container's reader is the county's, so a tick of another shard on it would reopen e2's fan too
# (late marks name points county-wide) and hide a container that missed the backfill.
PER_SHARD = 3


def _minute(i: int) -> datetime:
    return T0 + timedelta(minutes=i)


def _seed(store: Store) -> None:
    reg = store.registry
    b.seed_jurisdictions(reg)
    for eid in ENTERPRISES:
        b.register_fan_enterprise(reg, eid)
        rows = []
        for i in range(max(TICKS) + 1):
            rows.append(Reading(f"{eid}-p", _minute(i), ReadingKind.MINUTE, {"p": 60.0}, received_at=_minute(i)))
            if eid == "e2" and i in GAP:
                continue
            fan = 0.0 if eid == "e1" and i >= 150 else 20.0  # e1's fan stops at minute 150 while production runs
            rows.append(Reading(f"{eid}-c", _minute(i), ReadingKind.MINUTE, {"p": fan}, received_at=_minute(i)))
        store.readings.put_readings(rows)


@dataclass
class Container:
    inputs: StoreRuleInputs
    config: Any
    warm: WarmShards
    state: RuleStateCache


def _run(store: Store, clock: FixedClock, containers: int, blobs: S3Objects | None, seed: int = 7) -> list[Container]:
    pool = []
    for _ in range(containers):
        reader = store.sample_reader() if store.sample_reader is not None else None
        inputs = StoreRuleInputs(store, store.rule_state, "rugao", reader=reader)
        cache = getattr(reader, "cache", None)
        assert cache is not None
        state = RuleStateCache()
        warm = WarmShards(cache, inputs.backfill_noted, blobs, state)
        pool.append(Container(inputs, inputs.config(load_defaults()), warm, state))
    rng = random.Random(seed)
    for i in TICKS:
        if i == BACKFILL_AT:  # decode stores e2's buffered fan readings and notes them as backfill
            received = _minute(i) + timedelta(seconds=30)
            late = [Reading("e2-c", _minute(m), ReadingKind.MINUTE, {"p": 0.0}, received_at=received) for m in GAP]
            store.readings.put_readings(late)
            note_late_readings(store.rule_state, late, received)
        tick = _minute(i) + timedelta(minutes=1)
        clock.set(tick + timedelta(seconds=2))
        for shard in plan_county("rugao", list(ENTERPRISES), tick, PER_SHARD):
            c = rng.choice(pool)
            _, previous = resume(store.rule_state, shard)
            evaluate_warm_shard(
                shard, c.inputs, store, c.config, c.warm, previous=previous, transaction=store.batch, cache=c.state
            )
    return pool


def _alarms(store: Store) -> list[Alarm]:
    return sorted((replace(a, id="") for a in store.alarms.list(limit=1000)), key=lambda a: (a.rule, a.subject))


@pytest.fixture
def s3_url(fake_aws_env: None) -> Iterator[str]:
    with moto_server() as url:
        yield url


@pytest.fixture
def backends(dynamodb_local_url: str, fake_aws_env: None) -> Iterator[list[DynamoDBBackend]]:
    with ExitStack() as stack:
        yield [stack.enter_context(fresh_backend(dynamodb_local_url, "ws", region=REGION)) for _ in range(3)]


def test_containers_at_random_with_or_without_snapshots_raise_what_one_container_raises(
    backends: list[DynamoDBBackend], s3_url: str
) -> None:
    s3 = boto3.client("s3", region_name=REGION, endpoint_url=s3_url)
    s3.create_bucket(Bucket="rules", CreateBucketConfiguration={"LocationConstraint": REGION})
    results = []
    for backend, containers, blobs in (
        (backends[0], 1, None),
        (backends[1], 4, S3Objects(s3, "rules")),
        (backends[2], 4, None),
    ):
        clock = FixedClock(T0)
        store = backend.store(clock=clock)
        _seed(store)
        pool = _run(store, clock, containers, blobs)
        sources = sum((c.warm.sources for c in pool), start=type(pool[0].warm.sources)())
        state_reads = sum(u.requests for t, u in backend.meter.by_table().items() if t.endswith("-state"))
        results.append((_alarms(store), sources, state_reads))
    (single, one, _), (snapshots, with_s3, reads_s3), (own, without, reads_own) = results
    # The backfill showed e2's fan stopped for 25 minutes while production ran; e1's fan stops at minute 150
    raised = {(a.rule, a.subject, len(a.live_episodes)) for a in single}
    assert ("control_stopped", "e2-a/e2-c", 1) in raised and ("control_stopped", "e1-a/e1-c", 1) in raised
    assert snapshots == single and own == single
    # Where the containers' windows came from: one container is always warm; four load snapshots or fall back
    # on their own older windows, reopening the backfilled point
    assert set(one) <= {"warm", "cold"} and one["cold"] == 6  # the first tick
    assert with_s3["snapshot"] > 0 and without["own"] > 0 and without["snapshot"] == 0
    # The snapshot carries the tick's rule-state documents too: a container behind adopts them (stamp checked)
    # (a tick adopting them reads none of its 3 enterprises' watermarks, daily figures, status: about 9 gets fewer;
    # a container behind without snapshots makes one more query, for the backfill notes since its own tick)
    behind = with_s3["snapshot"] // 6
    assert reads_own - reads_s3 >= 3 * behind > 0, (reads_own, reads_s3, behind)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="rules")["Contents"]]
    assert keys == ["rules-snapshots/rugao/0.json.gz"]
