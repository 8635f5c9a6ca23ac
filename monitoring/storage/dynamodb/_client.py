"""Shared plumbing of the DynamoDB repositories: one botocore client per store, error translation, key text.

PynamoDB gives every model class its own connection and botocore client; creating a client costs about
0.1 s (service-model loading), so a store creates one from a process-wide session and binds it to all its
models and its transaction connection. Errors leave the adapter as the domain's (STYLE.md §7.3).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import botocore.config
import botocore.session
from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.connection import Connection as PynamoConnection
from pynamodb.exceptions import DoesNotExist, PynamoDBException, TransactWriteError

from monitoring.errors import ConflictError, NotFoundError, StorageUnavailableError
from monitoring.storage.dynamodb import schema
from monitoring.storage.dynamodb.models import Connection, Models

T = TypeVar("T")
_SESSION_LOCK = threading.Lock()
# Independent conditional writes of one batch go out concurrently (botocore clients are thread-safe); the
# client's connection pool (20) is larger than the pool, so no request waits for a socket.
WRITE_CONCURRENCY = 16
_WRITERS = ThreadPoolExecutor(max_workers=WRITE_CONCURRENCY, thread_name_prefix="dynamodb-write")
_SESSION: botocore.session.Session | None = None
CONDITION_FAILED = "ConditionalCheckFailedException"
_ONE_MICROSECOND = timedelta(microseconds=1)


def make_client(conn: Connection) -> Any:
    """A botocore DynamoDB client for `conn`, from a session shared by the whole process."""
    global _SESSION
    config = botocore.config.Config(
        connect_timeout=conn.connect_timeout_seconds,
        read_timeout=conn.read_timeout_seconds,
        retries={"total_max_attempts": 1 + conn.max_retry_attempts, "mode": "standard"},
        parameter_validation=False,  # PynamoDB builds the requests; validation only costs time
        max_pool_connections=20,
    )
    with _SESSION_LOCK:  # botocore sessions are not thread-safe while creating clients
        if _SESSION is None:
            _SESSION = botocore.session.get_session()
        return _SESSION.create_client(
            "dynamodb",
            region_name=conn.region,
            endpoint_url=conn.host,
            aws_access_key_id=conn.aws_access_key_id,
            aws_secret_access_key=conn.aws_secret_access_key,
            aws_session_token=conn.aws_session_token,
            config=config,
        )


def bind_client(models: Models, client: Any) -> PynamoConnection:
    """Make every model of the store (and the returned transaction connection) use `client`."""
    for model in models.all():
        setattr(model._get_connection().connection, "_client", client)  # noqa: B010 - PynamoDB has no public hook
    tx = PynamoConnection(region=client.meta.region_name, host=client.meta.endpoint_url)
    setattr(tx, "_client", client)  # noqa: B010
    return tx


@contextmanager
def translate(what: str) -> Iterator[None]:
    """Re-raise PynamoDB errors as domain errors: failed condition → ConflictError, missing → NotFoundError,
    anything else (throttling, network, service) → StorageUnavailableError, which callers may retry."""
    try:
        yield
    except DoesNotExist as exc:
        raise NotFoundError(f"{what}: not found") from exc
    except TransactWriteError as exc:
        reasons = [r.code for r in exc.cancellation_reasons if r is not None]
        if "ConditionalCheckFailed" in reasons:
            raise ConflictError(f"{what}: a condition failed ({', '.join(reasons)})") from exc
        raise StorageUnavailableError(f"{what}: transaction failed: {exc.cause_response_code or exc}") from exc
    except PynamoDBException as exc:
        if exc.cause_response_code == CONDITION_FAILED:
            raise ConflictError(f"{what}: condition failed") from exc
        raise StorageUnavailableError(f"{what}: {exc.cause_response_code or exc.msg}") from exc


def write_all(items: Sequence[T], key: Callable[[T], Hashable], write: Callable[[T], bool]) -> list[bool]:
    """Run `write` (a conditional insert returning True if it stored the item) on every item, concurrently.

    An item whose key already occurred earlier in the batch is a duplicate: it is not written and gets False,
    so the first occurrence wins exactly as with sequential writes. Returns when every write has finished,
    raising the first error in batch order."""
    first: dict[Hashable, int] = {}
    for index, item in enumerate(items):
        first.setdefault(key(item), index)
    unique = sorted(first.values())
    if len(unique) <= 1:
        results = {i: write(items[i]) for i in unique}
    else:
        futures = {i: _WRITERS.submit(write, items[i]) for i in unique}
        wait(futures.values())  # nothing is left running when an error propagates
        results = {i: future.result() for i, future in futures.items()}
    return [results.get(i, False) for i in range(len(items))]


def put_new(client: Any, table: str, item: dict[str, Any], what: str) -> bool:
    """PutItem `item` (DynamoDB's attribute-value JSON) unless its key exists; False when it does.

    The request PynamoDB's `save(condition=pk.does_not_exist())` sends, built directly: on decode's hot path the
    model and its request building cost a quarter of the request's CPU. Errors as `translate` raises them."""
    try:
        client.put_item(
            TableName=table,
            Item=item,
            ConditionExpression="attribute_not_exists (#0)",
            ExpressionAttributeNames={"#0": schema.PK},
            ReturnConsumedCapacity="TOTAL",
        )
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code == CONDITION_FAILED:
            return False
        raise StorageUnavailableError(f"{what}: {code or exc}") from exc
    except BotoCoreError as exc:  # no answer: connection refused or reset, timed out
        raise StorageUnavailableError(f"{what}: {exc}") from exc
    return True


def is_condition_failure(exc: PynamoDBException) -> bool:
    """True when a single-item write was refused by its condition."""
    return exc.cause_response_code == CONDITION_FAILED


def time_key(value: datetime) -> str:
    """Fixed-width UTC text that sorts like the instant: 2026-11-28T02:00:00.000000Z."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def time_range(start: datetime, end: datetime) -> tuple[str, str] | None:
    """Inclusive key bounds for [start, end) at microsecond resolution; None when the range is empty."""
    if end <= start:
        return None
    return time_key(start), time_key(end - _ONE_MICROSECOND)


def seq_key(seq: int) -> str:
    """Zero-padded chain position, so text order is numeric order."""
    return f"{seq:012d}"
