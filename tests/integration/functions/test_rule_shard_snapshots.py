"""The rule worker through its wiring: with RULES_SNAPSHOT_BUCKET it leaves the shard's windows in S3 (moto), and a
new container (a cold start) evaluating the shard's next tick starts from them instead of reading whole windows."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from functions import _wiring
from functions.every_minute_schedule_rules import forget_plan
from functions.on_rule_shard import evaluate_shard
from monitoring.clock import FixedClock
from monitoring.rules.shards import Shard
from monitoring.rules.warm_snapshot import decode, snapshot_key
from tests.contract.storage import builders as b
from tests.integration.functions.test_rule_fan_out import REGION, TICK, _enterprise

pytestmark = pytest.mark.integration
BUCKET = "gk-rule-snapshots"


def _cold_start(tmp_path: Path, bucket: str, at: Any) -> None:
    settings = _wiring.Settings(
        store_backend="sqlite",
        sqlite_path=str(tmp_path / "platform.db"),
        rules_snapshot_bucket=bucket,
        dynamodb_region=REGION,
    )
    _wiring.configure(settings, clock=FixedClock(at))
    forget_plan()


@pytest.fixture
def s3(fake_aws_env: None) -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name=REGION)
        client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        yield client
    _wiring.configure(None)


def test_a_cold_container_starts_from_the_snapshot_the_last_tick_left(tmp_path: Path, s3: Any) -> None:
    _cold_start(tmp_path, BUCKET, TICK)
    store = _wiring.get_store()
    b.seed_jurisdictions(store.registry)
    for eid in ("e1", "e2"):
        _enterprise(store, eid)
    first = Shard("rugao", 0, 1, TICK, ("e1", "e2"))
    # When the shard's tick runs in one container
    assert evaluate_shard(first)["enterprises"] == 2
    # Then its windows (and its state documents) are in the bucket, under the county and shard
    data = s3.get_object(Bucket=BUCKET, Key=snapshot_key("rugao", 0))["Body"].read()
    snap = decode(data, "rugao", 0)
    assert snap is not None and snap.tick == TICK and snap.state is not None
    assert sorted(snap.windows) == ["e1-c", "e1-p", "e2-c", "e2-p"]
    assert all(len(samples) > 60 for _, _, samples in snap.windows.values())
    store.close()
    # When the next tick reaches a new container
    later = TICK + timedelta(minutes=1)
    _cold_start(tmp_path, BUCKET, later)
    second = evaluate_shard(Shard("rugao", 0, 1, later, ("e1", "e2")))
    warm = _wiring.warm_shards_for("rugao")
    assert warm is not None and warm.sources == {"snapshot": 4, "cold": 0}
    assert second["enterprises"] == 2 and second["failed"] == 0 and second["windows"] == {"snapshot": 4}
    newer = decode(s3.get_object(Bucket=BUCKET, Key=snapshot_key("rugao", 0))["Body"].read(), "rugao", 0)
    assert newer is not None and newer.tick == later
    _wiring.get_store().close()


def test_without_a_bucket_no_snapshot_is_kept(tmp_path: Path, s3: Any) -> None:
    _cold_start(tmp_path, "", TICK)
    store = _wiring.get_store()
    b.seed_jurisdictions(store.registry)
    _enterprise(store, "e1")
    assert evaluate_shard(Shard("rugao", 0, 1, TICK, ("e1",)))["enterprises"] == 1
    assert _wiring.get_rule_snapshots() is None and "Contents" not in s3.list_objects_v2(Bucket=BUCKET)
    store.close()
