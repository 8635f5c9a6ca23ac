"""On DynamoDB Local: `merge_bucket` keeps the union of a bucket's readings (new, redone, late, raced) and
`bucket_times` lists what a bucket holds."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
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


# ---- readers over both layouts ------------------------------------------------------------------------------
SIZE = timedelta(minutes=15)


def _side_by_side(backend: DynamoDBBackend) -> tuple[DynamoDBReadingsRepository, list[Reading]]:
    """Minute items for minutes 0-19 (Lambda decode, or before the switch), buckets for 15-59 (the host): the
    layouts overlap in minutes 15-19, as after a redelivery to both."""
    repo = _repo(backend, reading_buckets=True)
    repo.put_readings([_demo(m) for m in range(20)])
    for first in (15, 30, 45):
        bucket = START + timedelta(minutes=first)
        assert repo.merge_bucket(POINT, ReadingKind.MINUTE, bucket, [_demo(m) for m in range(first, first + 15)]) == 15
    return repo, [_demo(m) for m in range(60)]


def test_a_range_across_bucket_boundaries_reads_both_layouts_merged(backend: DynamoDBBackend) -> None:
    repo, every = _side_by_side(backend)
    kind = ReadingKind.MINUTE
    # a range starting inside a bucket and ending inside another, across the layouts' overlap
    start, end = START + timedelta(minutes=12), START + timedelta(minutes=47)
    assert repo.readings(POINT, kind, start, end) == every[12:47]
    assert repo.settled_readings(POINT, kind, start, end) == every[12:47]
    assert repo.readings(POINT, kind, start, end, limit=10) == every[12:22]
    rows = repo.values(POINT, kind, start, end, ["ep_fwd"])
    assert [(row.data_time, row.values) for row in rows] == [
        (r.data_time, {"ep_fwd": r.values["ep_fwd"]}) for r in every[12:47]
    ]  # noqa: E501
    # a range starting inside a bucket that no minute item covers: the bucket that starts before the range holds it
    assert repo.readings(POINT, kind, START + timedelta(minutes=33), end) == every[33:47]
    # the start of a bucket and an empty range
    assert repo.readings(POINT, kind, START + timedelta(minutes=30), START + timedelta(minutes=31)) == [every[30]]
    assert repo.readings(POINT, kind, start, start) == []
    # keyed: known keys come back as None from either layout, each key once
    known = {time_key(every[m].data_time) for m in (13, 17, 40)}
    keyed = repo.settled_readings_keyed(POINT, kind, start, end, known)
    assert [k for k, _ in keyed] == [time_key(r.data_time) for r in every[12:47]]
    assert [k for k, r in keyed if r is None] == sorted(known)
    assert all(r == every[12 + i] for i, (_, r) in enumerate(keyed) if r is not None)


def test_without_the_option_the_buckets_are_not_read(backend: DynamoDBBackend) -> None:
    _side_by_side(backend)
    repo = _repo(backend)
    assert repo.readings(POINT, ReadingKind.MINUTE, START, START + timedelta(hours=1)) == [_demo(m) for m in range(20)]
    assert repo.latest(POINT, ReadingKind.MINUTE) == _demo(19)


def test_latest_is_the_newest_of_both_layouts(backend: DynamoDBBackend) -> None:
    repo, every = _side_by_side(backend)
    assert repo.latest(POINT, ReadingKind.MINUTE) == every[59]  # a bucket newer than the newest minute item
    later = START + timedelta(hours=1, minutes=3)
    newer = _demo(63)
    repo.put_readings([newer])  # a minute item newer than every bucket
    assert newer.data_time == later and repo.latest(POINT, ReadingKind.MINUTE) == newer


def test_latest_ignores_bucketed_readings_beyond_the_future_tolerance(backend: DynamoDBBackend) -> None:
    repo = _repo(backend, reading_buckets=True)
    horizon = NOW + repo.future_tolerance
    kind = ReadingKind.MINUTE
    for point in ("p-mixed", "p-beyond"):
        own = bucket_start(point, horizon, 15)  # the bucket holding the horizon (it starts at or before it)
        beyond = _at(point, horizon + timedelta(seconds=1))  # still in that bucket: the horizon is a whole minute
        assert own <= horizon and beyond.data_time < own + SIZE
        assert repo.merge_bucket(point, kind, own + SIZE, [_at(point, own + SIZE)]) == 1  # wholly beyond
        assert repo.merge_bucket(point, kind, START, [_at(point, START + timedelta(minutes=3))]) == 1
        held = [_at(point, own), beyond] if point == "p-mixed" else [beyond]
        assert repo.merge_bucket(point, kind, own, held) == len(held)
    # the bucket holding the horizon answers with its reading at or before it
    assert repo.latest("p-mixed", kind) == _at("p-mixed", bucket_start("p-mixed", horizon, 15))
    # it holds only readings beyond the horizon: the bucket before answers
    assert repo.latest("p-beyond", kind) == _at("p-beyond", START + timedelta(minutes=3))


def _at(point: str, at: datetime) -> Reading:
    base = _demo(0)
    return Reading(point, at, base.kind, base.values, base.flags, base.raw, base.mn, None)


def _requests(backend: DynamoDBBackend) -> list[tuple[str, str]]:
    """Every request the backend's client sends from now on, as (operation, partition key it names)."""
    sent: list[tuple[str, str]] = []

    def record(*, model: Any, params: dict[str, Any], **_: Any) -> None:
        values = params.get("ExpressionAttributeValues") or {}
        keys = [v["S"] for v in values.values() if "S" in v and v["S"].startswith(("rd#", "rb#"))]
        sent.append((model.name, keys[0][:3] if keys else ""))

    backend.client.meta.events.register("before-parameter-build.dynamodb", record)
    return sent


@pytest.mark.parametrize("buckets", [False, True], ids=["off", "on"])
def test_each_reader_queries_the_minute_items_and_with_the_option_the_buckets(
    backend: DynamoDBBackend, buckets: bool
) -> None:
    _side_by_side(backend)
    repo = _repo(backend, reading_buckets=buckets)
    sent = _requests(backend)
    kind, start, end = ReadingKind.MINUTE, START, START + timedelta(minutes=50)
    reads: list[Callable[[], object]] = [
        lambda: repo.readings(POINT, kind, start, end),
        lambda: repo.values(POINT, kind, start, end, ["p"]),
        lambda: repo.settled_readings(POINT, kind, start, end),
        lambda: repo.settled_readings_keyed(POINT, kind, start, end, ()),
        lambda: repo.latest(POINT, kind),
    ]
    for read in reads:
        sent.clear()
        read()
        assert sent == ([("Query", "rd#"), ("Query", "rb#")] if buckets else [("Query", "rd#")])


def test_only_minute_and_real_time_readings_are_bucketed(backend: DynamoDBBackend) -> None:
    repo = _repo(backend, reading_buckets=True)
    hour = Reading(POINT, START, ReadingKind.HOUR, {"ep_fwd": 1.0})
    with pytest.raises(InvalidInputError, match="hour readings are not bucketed"):
        repo.merge_bucket(POINT, ReadingKind.HOUR, START, [hour])
    repo.put_readings([hour])
    sent = _requests(backend)
    assert repo.readings(POINT, ReadingKind.HOUR, START, START + timedelta(hours=1)) == [hour]
    assert repo.latest(POINT, ReadingKind.HOUR) == hour
    assert sent == [("Query", "rd#"), ("Query", "rd#")]  # no bucket query for a kind never bucketed


def test_a_bucket_beyond_the_item_limit_is_refused_with_its_reason(backend: DynamoDBBackend) -> None:
    repo = _repo(backend)
    noise = [os.urandom(8_000).hex() for _ in range(60)]  # incompressible raw texts: ≈ 8 KB each after deflate
    huge = [_at_raw(m, noise[m]) for m in range(60)]
    with pytest.raises(InvalidInputError, match="beyond DynamoDB's item limit"):
        repo.merge_bucket(POINT, ReadingKind.MINUTE, START, huge)
    assert repo.bucket_times(POINT, ReadingKind.MINUTE, START) == set()


def _at_raw(minute: int, text: str) -> Reading:
    at = START + timedelta(minutes=minute)
    return Reading(POINT, at, ReadingKind.MINUTE, {"ua": 230.0}, raw={"X01": {"Info": text}}, mn="MN1")


def test_overlapping_buckets_of_two_sizes_read_ascending_each_reading_once(backend: DynamoDBBackend) -> None:
    # Given the host's bucket size changed 5 → 15: a 5-minute bucket (written before) inside a 15-minute one
    # (written after), which holds readings on both sides of it and, redelivered, one of its readings too
    repo = _repo(backend, reading_buckets=True)
    kind = ReadingKind.MINUTE
    five = bucket_start(POINT, START + timedelta(minutes=6), 5)
    inner = [m for m in range(15) if five <= START + timedelta(minutes=m) < five + timedelta(minutes=5)]
    assert repo.merge_bucket(POINT, kind, five, [_demo(m) for m in inner]) == len(inner)
    outer = [m for m in range(15) if m not in inner] + [inner[1]]
    assert repo.merge_bucket(POINT, kind, START, [_demo(m) for m in outer]) == len(outer)
    # When a window over both is read
    every = [_demo(m) for m in range(15)]
    window = (START, START + timedelta(minutes=15))
    # Then each reader returns them ascending, each once
    assert repo.readings(POINT, kind, *window) == every
    assert repo.settled_readings(POINT, kind, *window) == every
    keyed = repo.settled_readings_keyed(POINT, kind, *window, set())
    assert [k for k, _ in keyed] == [time_key(r.data_time) for r in every]
