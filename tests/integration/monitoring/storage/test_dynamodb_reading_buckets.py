"""On DynamoDB Local: `merge_bucket` keeps the union of a bucket's readings (new, redone, late, raced) and
`bucket_times` lists what a bucket holds."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from monitoring.clock import FixedClock
from monitoring.errors import InvalidInputError
from monitoring.readings.models import Reading, ReadingKind
from monitoring.storage import codec
from monitoring.storage.dynamodb._client import time_key
from monitoring.storage.dynamodb.adapter import DynamoDBBackend
from monitoring.storage.dynamodb.reading_buckets import bucket_start, decode_bucket
from monitoring.storage.dynamodb.readings import DynamoDBReadingsRepository
from monitoring.storage.retention import RetentionPolicy, expires_at
from tests.support.dynamodb_tables import backend_fixture

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
T0 = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
DEMO = json.loads(
    (Path(__file__).parents[3] / "unit/monitoring/storage/dynamodb/demo_records.json").read_text(encoding="utf-8")
)
POINT = codec.loads(Reading, json.dumps(DEMO["reading"])).point_id
START = bucket_start(POINT, T0, 15)

backend = backend_fixture("rb")


def _demo(minute: int, *, ua: float | None = None) -> Reading:
    base = codec.loads(Reading, json.dumps(DEMO["reading"]))
    at = START + timedelta(minutes=minute)
    values = {**base.values, "ep_fwd": base.values["ep_fwd"] + minute * 1.75}
    if ua is not None:
        values["ua"] = ua
    return Reading(base.point_id, at, base.kind, values, base.flags, base.raw, base.mn, at + timedelta(seconds=93))


def _repo(backend: DynamoDBBackend, **kwargs: Any) -> DynamoDBReadingsRepository:
    readings = backend.store(clock=FixedClock(NOW), **kwargs).readings
    assert isinstance(readings, DynamoDBReadingsRepository)
    return readings


def _item(backend: DynamoDBBackend, start: datetime = START) -> dict[str, Any]:
    key = {"pk": {"S": f"rb#{POINT}#minute"}, "sk": {"S": time_key(start)}}
    found = backend.client.get_item(TableName=f"{backend.table_prefix}-readings", Key=key, ConsistentRead=True)
    return dict(found["Item"])


def _held(backend: DynamoDBBackend) -> list[Reading]:
    return [r for _, r in decode_bucket(_item(backend)["z"]["B"], POINT, ReadingKind.MINUTE)]


def test_a_new_bucket_is_written_once_with_its_ttl_from_the_newest_reading(backend: DynamoDBBackend) -> None:
    policy = RetentionPolicy(minute_days=35)
    repo = backend.store(clock=FixedClock(NOW), retention=policy).readings
    assert isinstance(repo, DynamoDBReadingsRepository)
    readings = [_demo(m) for m in (2, 0, 1)]
    assert repo.merge_bucket(POINT, ReadingKind.MINUTE, START, readings) == 3
    item = _item(backend)
    assert item["t"] == {"S": "rb"} and item["v"] == {"N": "1"}
    assert item["expires_at"] == {"N": str(expires_at(_demo(2).data_time, 35))}
    assert _held(backend) == sorted(readings, key=lambda r: r.data_time)
    assert repo.bucket_times(POINT, ReadingKind.MINUTE, START) == {r.data_time for r in readings}
    assert repo.bucket_times(POINT, ReadingKind.MINUTE, START + timedelta(minutes=15)) == set()


def test_redoing_a_merge_writes_nothing(backend: DynamoDBBackend) -> None:
    repo = _repo(backend)
    readings = [_demo(m) for m in range(5)]
    assert repo.merge_bucket(POINT, ReadingKind.MINUTE, START, readings) == 5
    before = _item(backend)
    assert repo.merge_bucket(POINT, ReadingKind.MINUTE, START, readings) == 0
    assert repo.merge_bucket(POINT, ReadingKind.MINUTE, START, readings[1:3]) == 0
    assert _item(backend) == before  # same version, same body


def test_a_late_reading_joins_the_bucket_and_a_stored_reading_is_never_replaced(backend: DynamoDBBackend) -> None:
    repo = _repo(backend)
    assert repo.merge_bucket(POINT, ReadingKind.MINUTE, START, [_demo(0, ua=230.0), _demo(2)]) == 2
    late = [_demo(0, ua=999.0), _demo(1), _demo(14)]  # minute 0 again with other values: the stored one wins
    assert repo.merge_bucket(POINT, ReadingKind.MINUTE, START, late) == 2
    assert _item(backend)["v"] == {"N": "2"}
    assert _held(backend) == [_demo(0, ua=230.0), _demo(1), _demo(2), _demo(14)]


def test_concurrent_merges_lose_nothing(backend: DynamoDBBackend) -> None:
    repo = _repo(backend)
    minutes = list(range(0, 60))
    halves = [[_demo(m) for m in minutes if m % 2 == side] for side in (0, 1)]
    counts: list[int] = []
    barrier = threading.Barrier(2)

    def merge(readings: list[Reading]) -> None:
        barrier.wait()
        for i in range(0, len(readings), 3):  # many small merges, interleaved with the other thread's
            counts.append(repo.merge_bucket(POINT, ReadingKind.MINUTE, START, readings[i : i + 3]))

    threads = [threading.Thread(target=merge, args=(half,)) for half in halves]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(counts) == 60
    assert [r.data_time for r in _held(backend)] == [_demo(m).data_time for m in minutes]


def test_readings_outside_the_bucket_are_refused(backend: DynamoDBBackend) -> None:
    repo = _repo(backend)
    with pytest.raises(InvalidInputError, match="outside"):
        repo.merge_bucket(POINT, ReadingKind.MINUTE, START, [_demo(60)])
    with pytest.raises(InvalidInputError, match="outside"):
        repo.merge_bucket(POINT, ReadingKind.MINUTE, START + timedelta(minutes=1), [_demo(0)])
    with pytest.raises(InvalidInputError, match="bucket of"):
        repo.merge_bucket("other", ReadingKind.MINUTE, START, [_demo(0)])
    assert repo.merge_bucket(POINT, ReadingKind.MINUTE, START, []) == 0
