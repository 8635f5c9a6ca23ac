"""On DynamoDB Local: readings and aggregates are stored as compact bodies and read back exactly, next to items
written in the two earlier layouts (JSON `body`, zlib JSON `z`), which live on until their TTL."""

from __future__ import annotations

import json
import zlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from monitoring.clock import FixedClock
from monitoring.readings.models import Aggregate, AggregatePeriod, QuantityStats, Reading, ReadingKind
from monitoring.storage import codec
from monitoring.storage.dynamodb import compact
from monitoring.storage.dynamodb._client import time_key
from monitoring.storage.dynamodb.adapter import DynamoDBBackend
from monitoring.storage.ports import Store
from tests.support.dynamodb_tables import backend_fixture

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
DEMO = json.loads(
    (Path(__file__).parents[3] / "unit/monitoring/storage/dynamodb/demo_records.json").read_text(encoding="utf-8")
)


backend = backend_fixture("cr")


@pytest.fixture
def store(backend: DynamoDBBackend) -> Store:
    return backend.store(clock=FixedClock(NOW))


def _demo(minute: int) -> Reading:
    base = codec.loads(Reading, json.dumps(DEMO["reading"]))
    at = datetime(2026, 11, 24, 1, 0, tzinfo=UTC) + timedelta(minutes=minute)
    values = {**base.values, "ep_fwd": base.values["ep_fwd"] + minute * 1.75}
    return Reading(base.point_id, at, base.kind, values, base.flags, base.raw, base.mn, at + timedelta(seconds=93))


def _item(backend: DynamoDBBackend, pk: str, at: datetime) -> dict[str, Any]:
    table = f"{backend.table_prefix}-readings"
    found = backend.client.get_item(TableName=table, Key={"pk": {"S": pk}, "sk": {"S": time_key(at)}})
    return dict(found["Item"])


def _put_legacy(backend: DynamoDBBackend, pk: str, at: datetime, record: object, *, zlibbed: bool, t: str) -> None:
    text = codec.dumps(record)
    body = {"z": {"B": zlib.compress(text.encode(), 6)}} if zlibbed else {"body": {"S": text}}
    item = {"pk": {"S": pk}, "sk": {"S": time_key(at)}, "t": {"S": t}, **body}
    backend.client.put_item(TableName=f"{backend.table_prefix}-readings", Item=item)


def test_a_demo_reading_is_stored_compact_and_read_back_exactly(backend: DynamoDBBackend, store: Store) -> None:
    reading = _demo(0)
    assert store.readings.put_reading(reading)
    item = _item(backend, f"rd#{reading.point_id}#minute", reading.data_time)
    assert item["z"]["B"][0] == compact.READING_V1 and "body" not in item
    assert len(item["z"]["B"]) <= 280  # was 722 B as zlib JSON
    assert store.readings.latest(reading.point_id, ReadingKind.MINUTE) == reading
    got = store.readings.readings(reading.point_id, ReadingKind.MINUTE, reading.data_time, NOW)
    assert got == [reading] and codec.dumps(got[0]) == codec.dumps(reading)
    assert not store.readings.put_reading(reading)  # still idempotent: the duplicate is refused


def test_items_of_all_three_layouts_are_read_together_in_time_order(backend: DynamoDBBackend, store: Store) -> None:
    # Given minute 0 as JSON text, minute 1 as zlib JSON (items of both live 35 days), minutes 2–3 compact
    first, second, third, fourth = (_demo(m) for m in range(4))
    pk = f"rd#{first.point_id}#minute"
    _put_legacy(backend, pk, first.data_time, first, zlibbed=False, t="rd")
    _put_legacy(backend, pk, second.data_time, second, zlibbed=True, t="rd")
    assert store.readings.put_readings([third, fourth]) == [True, True]
    # Then every reader sees the four, in order and exact
    got = store.readings.readings(first.point_id, ReadingKind.MINUTE, first.data_time, NOW)
    assert got == [first, second, third, fourth]
    assert store.readings.latest(first.point_id, ReadingKind.MINUTE) == fourth
    settled = store.readings.settled_readings(first.point_id, ReadingKind.MINUTE, first.data_time, NOW)  # type: ignore[attr-defined]
    assert settled == got
    # And a legacy item still refuses its duplicate (same key, whatever the body)
    assert store.readings.put_readings([second]) == [False]


def test_a_reading_the_layout_cannot_carry_is_stored_as_zlib_json(backend: DynamoDBBackend, store: Store) -> None:
    reading = Reading("p9", NOW - timedelta(minutes=5), ReadingKind.MINUTE, {"p": 1.5}, raw={"X": {"Rtd": "a\x1fb"}})
    assert store.readings.put_reading(reading)
    assert _item(backend, "rd#p9#minute", reading.data_time)["z"]["B"][:1] == b"\x78"
    assert store.readings.readings("p9", ReadingKind.MINUTE, reading.data_time, NOW) == [reading]


def test_aggregates_old_and_new_are_read_together(backend: DynamoDBBackend, store: Store) -> None:
    # Given hour 0 as JSON text, hour 1 as zlib JSON, hours 2 and 3 compact (hour 3 without samples)
    demo = codec.loads(Aggregate, json.dumps(DEMO["aggregate"]))
    hours = [demo.start + timedelta(hours=h) for h in range(4)]
    old_text, old_zlib, new = (replace(demo, start=at, samples=60 - i) for i, at in enumerate(hours[:3]))
    empty = Aggregate(demo.point_id, AggregatePeriod.HOUR, hours[3], 0)
    pk = f"ag#{demo.point_id}#hour"
    _put_legacy(backend, pk, old_text.start, old_text, zlibbed=False, t="ag")
    _put_legacy(backend, pk, old_zlib.start, old_zlib, zlibbed=True, t="ag")
    store.readings.put_aggregate(new)
    store.readings.put_aggregate(empty)
    assert _item(backend, pk, new.start)["z"]["B"][0] == compact.AGGREGATE_V1
    # Then they read back exactly, and the hours with samples are found in every layout
    end = hours[3] + timedelta(hours=1)
    assert store.readings.aggregates(demo.point_id, AggregatePeriod.HOUR, hours[0], end) == [
        old_text,
        old_zlib,
        new,
        empty,
    ]
    with_data = store.readings.hours_with_data([demo.point_id], hours[0], end)
    assert with_data == {demo.point_id: set(hours[:3])}


def test_an_aggregate_with_a_foreign_stat_is_stored_as_zlib_json(backend: DynamoDBBackend, store: Store) -> None:
    odd = Aggregate("p8", AggregatePeriod.DAY, NOW, 2, {"kwh_custom": QuantityStats(2, 1.0, 2.0, 1.5)})
    store.readings.put_aggregate(odd)
    assert _item(backend, "ag#p8#day", NOW)["z"]["B"][:1] == b"\x78"
    assert store.readings.aggregates("p8", AggregatePeriod.DAY, NOW, NOW + timedelta(days=1)) == [odd]
