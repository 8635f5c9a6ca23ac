"""Fresh tables on DynamoDB Local for one test (or one bench run): a backend under a prefix of its own, dropped after.

TTL stays off: tests and benches write fixed data times, and DynamoDB Local's TTL sweeper uses the wall clock.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from monitoring.storage.dynamodb.adapter import DynamoDBBackend
from monitoring.storage.dynamodb.models import Connection

REGION = "cn-north-1"


def unique_prefix(label: str) -> str:
    """`label` and 12 random hex digits: tables no other test (or earlier run on the same JVM) has."""
    return f"{label}{uuid.uuid4().hex[:12]}"


@contextmanager
def fresh_backend(
    url: str, label: str, *, region: str = REGION, env_credentials: bool = False, explicit_key: str = ""
) -> Iterator[DynamoDBBackend]:
    """A backend on new tables `<label><random>-*` at `url`, deleted and closed afterwards. Its credentials are
    fake ones of its own, or with `env_credentials` the (fake) environment's: DynamoDB Local keeps one database
    per access key, so code under test that opens its own client sees the tables only then."""
    # env_credentials: the DynamoDB adapter's process-wide botocore session's, which it resolved once (an earlier
    # test's environment may have set them): code in this process sees the tables. `key`: tables that code in
    # another process sees with that key in its environment.
    key = explicit_key if explicit_key else None if env_credentials else "local"
    conn = Connection(region=region, host=url, aws_access_key_id=key, aws_secret_access_key=key)
    backend = DynamoDBBackend(conn, unique_prefix(label))
    backend.create_tables(enable_ttl=False)
    try:
        yield backend
    finally:
        backend.delete_tables()
        backend.close()


def backend_fixture(label: str) -> Any:
    """A pytest fixture (assign it to the module's `backend`): fresh tables `<label><random>-*` for each test on the
    session's DynamoDB Local, fake AWS environment set, dropped after the test."""

    @pytest.fixture
    def backend(dynamodb_local_url: str, fake_aws_env: None) -> Iterator[DynamoDBBackend]:
        with fresh_backend(dynamodb_local_url, label) as made:
            yield made

    return backend
