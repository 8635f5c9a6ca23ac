"""The adapter list of the storage contract suite: every test in this folder runs once per entry.

Adding an adapter is one line in ADAPTERS: `pytest.param(<factory>, id="<name>")`, where the factory takes
(tmp_path, clock) and returns a `monitoring.storage.ports.Store` (optionally a generator factory that yields it
and cleans up). Mark slow or optional backends with `marks=` (e.g. a skipif when DynamoDB Local is absent).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from monitoring.clock import FixedClock
from monitoring.storage.memory import memory_store
from monitoring.storage.ports import Store
from monitoring.storage.sqlite import open_store
from tests.contract.storage.dynamodb_adapters import dynamodb_local_bucket_store, dynamodb_local_store, moto_store

NOW = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)  # 10:00 China time


def _memory(tmp_path: Path, clock: FixedClock) -> Store:
    return memory_store(clock=clock)


def _sqlite(tmp_path: Path, clock: FixedClock) -> Store:
    return open_store(tmp_path / "contract.db", clock=clock)


StoreFactory = Callable[[Path, FixedClock], Any]

ADAPTERS: list[Any] = [
    pytest.param(_memory, id="memory"),
    pytest.param(_sqlite, id="sqlite"),
    pytest.param(moto_store, id="moto"),
    pytest.param(dynamodb_local_store, id="dynamodb_local"),
]
# The readings contract also runs on minute and real-time readings stored as the county host's reading buckets
# (test_readings*.py only: the other repositories are the same as dynamodb_local's).
READINGS_ADAPTERS: list[Any] = [*ADAPTERS, pytest.param(dynamodb_local_bucket_store, id="dynamodb_local_buckets")]
READINGS_MODULES = ("test_readings", "test_readings_values", "test_readings_hours")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "store" in metafunc.fixturenames:
        readings = metafunc.module.__name__.rpartition(".")[2] in READINGS_MODULES
        metafunc.parametrize("store", READINGS_ADAPTERS if readings else ADAPTERS, indirect=True)


@pytest.fixture
def store(request: pytest.FixtureRequest, tmp_path: Path, clock: FixedClock) -> Iterator[Store]:
    factory: StoreFactory = request.param
    # Factories marked `needs_request` reach session fixtures (DynamoDB Local) through the request.
    made = factory(tmp_path, clock, request) if getattr(factory, "needs_request", False) else factory(tmp_path, clock)
    if isinstance(made, Iterator):  # a generator factory owns its own setup/teardown
        yield next(made)
        next(made, None)
        return
    try:
        yield made
    finally:
        made.close()
