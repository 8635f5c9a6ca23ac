"""A DynamoDB Local started for one bench run (or $DYNAMODB_LOCAL_URL's) with a backend on new tables."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from monitoring.storage.dynamodb.adapter import DynamoDBBackend
from tests.support import dynamodb_local
from tests.support.dynamodb_tables import fresh_backend


@contextmanager
def local_backend(label: str) -> Iterator[DynamoDBBackend]:
    """Tables `<label><random>-*`, dropped at the end, then DynamoDB Local stopped (if this run started it)."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ.setdefault(name, "bench")  # clients the bench opens itself never find real credentials
    local = dynamodb_local.start()
    try:
        with fresh_backend(local.url, label) as backend:
            yield backend
    finally:
        local.stop()
