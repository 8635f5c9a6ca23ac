"""On DynamoDB Local: decode's reading puts, built without PynamoDB's model, store exactly the item the model
saved, stay conditional (a duplicate is refused, not overwritten), and report an outage as one."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from monitoring.clock import FixedClock
from monitoring.errors import StorageUnavailableError
from monitoring.readings.models import Reading, ReadingKind
from monitoring.storage.dynamodb._client import put_new, time_key
from monitoring.storage.dynamodb.adapter import DynamoDBBackend
from monitoring.storage.dynamodb.compact import reading_body
from monitoring.storage.dynamodb.models import Connection
from monitoring.storage.dynamodb.readings import _ttl
from monitoring.storage.retention import RetentionPolicy, expires_at

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


@pytest.fixture
def backend(dynamodb_local_url: str, fake_aws_env: None) -> Iterator[DynamoDBBackend]:
    conn = Connection(region="cn-north-1", host=dynamodb_local_url, aws_access_key_id="l", aws_secret_access_key="l")
    made = DynamoDBBackend(conn, f"rp{uuid.uuid4().hex[:12]}")
    made.create_tables(enable_ttl=False)
    yield made
    made.delete_tables()
    made.close()


def _reading(point: str, minute: int, ua: float = 231.5) -> Reading:
    at = NOW - timedelta(minutes=minute)
    values = {"ua": ua, "ia": 12.25, "p": 8.0, "ep_fwd": 1234.5}
    return Reading(point, at, ReadingKind.MINUTE, values, {"ua": "N", "ia": "N", "p": "N", "ep_fwd": "N"},
                   {"Ua01": {"Max": "232.0", "Min": "231.0"}}, "MN0001", at + timedelta(seconds=5))  # fmt: skip


def _stored(backend: DynamoDBBackend, reading: Reading) -> dict[str, Any]:
    key = {"pk": {"S": f"rd#{reading.point_id}#minute"}, "sk": {"S": time_key(reading.data_time)}}
    found = backend.client.get_item(TableName=f"{backend.table_prefix}-readings", Key=key, ConsistentRead=True)
    return dict(found["Item"])


def test_a_reading_is_stored_as_the_model_stored_it(backend: DynamoDBBackend) -> None:
    # Given one reading saved through the PynamoDB model as before, and its twin (another point) by the store
    policy = RetentionPolicy(minute_days=35)
    store = backend.store(retention=policy, clock=FixedClock(NOW))
    old, new = _reading("p-old", 1), _reading("p-new", 1)
    model = backend.models.readings
    ttl = expires_at(old.data_time, policy.reading_days(old.kind))
    model(f"rd#{old.point_id}#minute", time_key(old.data_time), t="rd", z=reading_body(old), expires_at=_ttl(ttl)).save(
        condition=model.pk.does_not_exist()
    )
    assert store.readings.put_readings([new]) == [True]
    # Then both items hold the same attributes, byte for byte (the point's name in the key aside)
    before, after = _stored(backend, old), _stored(backend, new)
    assert before.pop("pk") == {"S": "rd#p-old#minute"} and after.pop("pk") == {"S": "rd#p-new#minute"}
    assert after == before and set(after) == {"sk", "t", "z", "expires_at"}
    # And a reading without a TTL (kept for ever) has no TTL attribute
    kept = backend.store(retention=RetentionPolicy(minute_days=None), clock=FixedClock(NOW))
    assert kept.readings.put_readings([_reading("p-kept", 2)]) == [True]
    assert "expires_at" not in _stored(backend, _reading("p-kept", 2))


def test_a_duplicate_is_refused_and_the_first_reading_stays(backend: DynamoDBBackend) -> None:
    store = backend.store(clock=FixedClock(NOW))
    first, other = _reading("p1", 3, ua=230.0), _reading("p1", 3, ua=999.0)  # same key, other values
    assert store.readings.put_readings([first]) == [True]
    assert store.readings.put_readings([other, _reading("p1", 4)]) == [False, True]
    assert store.readings.readings("p1", ReadingKind.MINUTE, NOW - timedelta(hours=1), NOW) == [
        _reading("p1", 4),
        first,
    ]


def test_a_put_without_an_answer_or_with_a_service_error_is_an_outage(backend: DynamoDBBackend) -> None:
    item = {"pk": {"S": "rd#x#minute"}, "sk": {"S": time_key(NOW)}, "t": {"S": "rd"}, "z": {"B": b"\x01"}}
    # A table that is not there: the service's error, not a refused condition
    with pytest.raises(StorageUnavailableError, match="ResourceNotFoundException"):
        put_new(backend.client, f"{backend.table_prefix}-missing", item, "put reading")
    # Nobody listening on the endpoint: no answer at all
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    conn = Connection(region="cn-north-1", host=f"http://127.0.0.1:{port}", aws_access_key_id="l",
                      aws_secret_access_key="l", max_retry_attempts=0, connect_timeout_seconds=1)  # fmt: skip
    down = DynamoDBBackend(conn, backend.table_prefix)
    try:
        with pytest.raises(StorageUnavailableError, match="put reading"):
            down.store().readings.put_readings([_reading("p2", 1)])
    finally:
        down.close()
