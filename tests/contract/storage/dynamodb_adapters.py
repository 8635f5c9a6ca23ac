"""The DynamoDB entries of the contract suite's adapter list: moto (in-process) and DynamoDB Local (a real
DynamoDB implementation in a JVM, started once per session by tests/conftest.py).

Each test gets its own freshly created tables (a unique prefix), with TTL left off: the suite runs on a fixed
clock, while DynamoDB Local's TTL sweeper uses the wall clock and would delete the suite's items.
`purge_expired` is allowed to scan, which is what the suite checks; in AWS, DynamoDB's TTL does that job.

moto's in-process backend handles concurrent requests without a lock, so two conditional puts of the same key
can both succeed (seen: two chain links with one seq under the suite's four-thread append test). A real
DynamoDB (and DynamoDB Local) applies each request atomically; `_serialised_moto` restores that by letting one
mocked request through at a time, so the suite tests our code rather than moto's thread safety.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws
from moto.core.botocore_stubber import BotocoreStubber

from monitoring.clock import FixedClock
from monitoring.readings.models import Reading, ReadingKind
from monitoring.storage.dynamodb.adapter import DynamoDBBackend
from monitoring.storage.dynamodb.models import Connection
from monitoring.storage.dynamodb.reading_buckets import bucket_start
from monitoring.storage.dynamodb.readings import DynamoDBReadingsRepository
from monitoring.storage.dynamodb.rule_samples import DynamoDBSampleReader
from monitoring.storage.ports import Store
from tests.conftest import FAKE_AWS_ENV
from tests.support.dynamodb_tables import fresh_backend, unique_prefix

REGION = FAKE_AWS_ENV["AWS_DEFAULT_REGION"]


_MOTO_LOCK = threading.Lock()


@contextmanager
def _serialised_moto() -> Iterator[None]:
    """mock_aws with each mocked request applied atomically, as a real DynamoDB endpoint does."""
    original = BotocoreStubber.__call__

    def one_at_a_time(self: BotocoreStubber, *args: Any, **kwargs: Any) -> Any:
        with _MOTO_LOCK:
            return original(self, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch, mock_aws():
        patch.setattr(BotocoreStubber, "__call__", one_at_a_time)
        yield


def moto_store(tmp_path: Path, clock: FixedClock, request: pytest.FixtureRequest) -> Iterator[Store]:
    """A store on moto's in-process DynamoDB (fresh state per test)."""
    request.getfixturevalue("fake_aws_env")
    with _serialised_moto():
        backend = DynamoDBBackend(Connection(region=REGION), unique_prefix("ct"))
        backend.create_tables(enable_ttl=False)
        try:
            yield backend.store(clock=clock, purge_by_scan=True)
        finally:
            backend.close()


def dynamodb_local_store(tmp_path: Path, clock: FixedClock, request: pytest.FixtureRequest) -> Iterator[Store]:
    """A store on the session's DynamoDB Local, in tables created for this test and dropped after it."""
    url = request.getfixturevalue("dynamodb_local_url")
    request.getfixturevalue("fake_aws_env")
    with fresh_backend(url, "ct", region=REGION) as backend:
        yield backend.store(clock=clock, purge_by_scan=True)


moto_store.needs_request = True  # type: ignore[attr-defined]
dynamodb_local_store.needs_request = True  # type: ignore[attr-defined]


class BucketWritingReadings(DynamoDBReadingsRepository):
    """The county host's layout without its buffer: minute and real-time readings go straight into 5-minute
    reading buckets (new = not yet in the bucket), everything else as before; readers read both layouts. The
    readings contract then holds the bucket readers to what every other backend answers."""

    BUCKET_MINUTES = 5

    def _insert_readings(self, items: Sequence[tuple[Reading, int | None]]) -> list[bool]:
        out: list[bool] = []
        for reading, ttl in items:
            if reading.kind not in (ReadingKind.MINUTE, ReadingKind.REALTIME):
                out.extend(super()._insert_readings([(reading, ttl)]))
                continue
            start = bucket_start(reading.point_id, reading.data_time, self.BUCKET_MINUTES)
            out.append(self.merge_bucket(reading.point_id, reading.kind, start, [reading]) == 1)
        return out


def dynamodb_local_bucket_store(tmp_path: Path, clock: FixedClock, request: pytest.FixtureRequest) -> Iterator[Store]:
    """`dynamodb_local_store` whose minute and real-time readings are stored as reading buckets."""
    url = request.getfixturevalue("dynamodb_local_url")
    request.getfixturevalue("fake_aws_env")
    with fresh_backend(url, "cb", region=REGION) as backend:
        store = backend.store(clock=clock, purge_by_scan=True, reading_buckets=True)
        readings = BucketWritingReadings(
            backend.models.readings,
            backend.client,
            retention=store.retention,
            clock=clock,
            scan_purge=True,
            reading_buckets=True,
        )
        yield replace(store, readings=readings, sample_reader=partial(DynamoDBSampleReader, readings))


dynamodb_local_bucket_store.needs_request = True  # type: ignore[attr-defined]
