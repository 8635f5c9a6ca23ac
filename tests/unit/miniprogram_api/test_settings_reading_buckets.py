"""The API reads the county host's reading buckets only from DynamoDB: asked to on another store, it refuses to
start, naming the setting."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from miniprogram_api.chalicelib.settings import ApiSettings
from miniprogram_api.chalicelib.wiring import open_store
from monitoring.storage.dynamodb.readings import DynamoDBReadingsRepository

pytestmark = pytest.mark.unit
KEY = "k" * 32


def test_reading_buckets_need_the_dynamodb_store() -> None:
    assert ApiSettings(token_key=KEY).reading_buckets is False  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="API_READING_BUCKETS needs API_STORE_BACKEND=dynamodb, not sqlite"):
        ApiSettings(token_key=KEY, reading_buckets=True)  # type: ignore[arg-type]


def test_reading_buckets_reach_the_readings_repository() -> None:
    settings = ApiSettings(
        token_key=KEY,  # type: ignore[arg-type]
        store_backend="dynamodb",
        dynamodb_region="cn-north-1",
        dynamodb_endpoint="http://127.0.0.1:9",  # nothing listens: opening makes no request
        reading_buckets=True,
    )
    store = open_store(settings)
    try:
        assert isinstance(store.readings, DynamoDBReadingsRepository) and store.readings.reading_buckets
    finally:
        store.close()
