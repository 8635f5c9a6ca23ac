"""The one opener: a store by backend name, every repository in it; an unknown backend is bad input."""

from __future__ import annotations

from typing import Any, cast

import pytest

from monitoring.errors import InvalidInputError
from monitoring.storage.opener import StoreLocation, open_store_at

pytestmark = pytest.mark.unit


def test_memory_store_holds_every_repository() -> None:
    store = open_store_at(StoreLocation(backend="memory"))
    try:
        for repo in ("registry", "readings", "events", "archive", "commands", "alarms", "audit", "rule_state"):
            assert getattr(store, repo) is not None, repo
        assert store.reports is not None and store.emergency is not None
    finally:
        store.close()


def test_an_unknown_backend_is_bad_input() -> None:
    with pytest.raises(InvalidInputError, match="postgres"):
        open_store_at(StoreLocation(backend=cast(Any, "postgres")))


def test_reading_buckets_on_a_store_without_them_is_bad_input() -> None:
    with pytest.raises(InvalidInputError, match="reading buckets are a DynamoDB layout"):
        open_store_at(StoreLocation(backend="sqlite", reading_buckets=True))
