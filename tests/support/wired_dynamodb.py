"""The handlers' own wiring (`functions._wiring`) on new DynamoDB Local tables, for the handlers' integration tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from functions import _wiring
from monitoring.clock import Clock
from monitoring.storage.dynamodb.adapter import DynamoDBBackend
from monitoring.storage.ports import Store
from tests.support.dynamodb_tables import REGION, unique_prefix


@contextmanager
def wired_dynamodb(url: str, label: str, clock: Clock, **settings: Any) -> Iterator[tuple[Store, DynamoDBBackend]]:
    """`_wiring` configured on tables `<label><random>-*` at `url` (the environment's fake credentials, which the
    handlers' clients use) and `clock`, plus `settings`; the wired store and its backend (its capacity meter).
    Afterwards the tables are dropped and `_wiring` goes back to the environment."""
    configured = _wiring.Settings(
        store_backend="dynamodb",
        dynamodb_endpoint=url,
        dynamodb_region=REGION,
        dynamodb_table_prefix=unique_prefix(label),
        **settings,
    )
    _wiring.configure(configured, clock=clock)
    store = _wiring.get_store()
    backend = getattr(store.close, "__self__", None)
    assert isinstance(backend, DynamoDBBackend)
    backend.create_tables(enable_ttl=False)
    try:
        yield store, backend
    finally:
        backend.delete_tables()
        _wiring.configure(None)
        store.close()
