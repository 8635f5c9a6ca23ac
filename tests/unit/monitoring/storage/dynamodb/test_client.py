"""Error translation and key text of the DynamoDB adapter (no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from botocore.exceptions import ClientError
from pynamodb.exceptions import DoesNotExist, PutError, QueryError

from monitoring.errors import ConflictError, NotFoundError, StorageUnavailableError
from monitoring.storage.dynamodb._client import seq_key, time_key, time_range, translate, write_all

pytestmark = pytest.mark.unit


def _client_error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "m"}}, "PutItem")


def test_translate_failed_condition_raises_conflict() -> None:
    # Given a PutError caused by a failed condition / Then the domain sees a ConflictError
    with pytest.raises(ConflictError) as info, translate("put x"):
        raise PutError("failed", _client_error("ConditionalCheckFailedException"))
    assert isinstance(info.value.__cause__, PutError)


def test_translate_does_not_exist_raises_not_found() -> None:
    with pytest.raises(NotFoundError), translate("get x"):
        raise DoesNotExist()


def test_translate_throttling_raises_storage_unavailable() -> None:
    with pytest.raises(StorageUnavailableError, match="ProvisionedThroughputExceededException"), translate("query"):
        raise QueryError("throttled", _client_error("ProvisionedThroughputExceededException"))


def test_translate_leaves_other_exceptions_alone() -> None:
    with pytest.raises(KeyError), translate("x"):
        raise KeyError("bug")


def test_time_key_is_fixed_width_utc_and_sorts_like_time() -> None:
    # Given instants in two time zones
    china = datetime(2026, 11, 28, 10, 0, tzinfo=UTC).astimezone(ZoneInfo("Asia/Shanghai"))
    # Then the key is UTC text of fixed width
    assert time_key(china) == "2026-11-28T10:00:00.000000Z"
    later = datetime(2026, 11, 28, 10, 0, 0, 1, tzinfo=UTC)
    assert time_key(later) > time_key(china) and len(time_key(later)) == len(time_key(china))


def test_time_range_is_half_open_at_microsecond_resolution() -> None:
    start = datetime(2026, 11, 28, tzinfo=UTC)
    assert time_range(start, start + timedelta(seconds=1)) == (
        "2026-11-28T00:00:00.000000Z",
        "2026-11-28T00:00:00.999999Z",
    )
    assert time_range(start, start) is None


def test_seq_key_sorts_numerically() -> None:
    assert seq_key(9) < seq_key(10) < seq_key(10**11)


def test_write_all_writes_each_key_once_and_keeps_batch_order() -> None:
    # Given a batch with a duplicate of its first item, and a store that already holds "c"
    written: list[str] = []
    stored = {"c"}

    def write(item: str) -> bool:
        written.append(item)
        return item not in stored

    # When the batch is written / Then the first occurrence wins and results follow the batch order
    assert write_all(["a", "b", "a", "c"], lambda x: x, write) == [True, True, False, False]
    assert sorted(written) == ["a", "b", "c"]


def test_write_all_raises_the_first_error_after_every_write_finished() -> None:
    done: list[int] = []

    def write(item: int) -> bool:
        if item == 1:
            raise StorageUnavailableError("throttled")
        done.append(item)
        return True

    with pytest.raises(StorageUnavailableError):
        write_all([0, 1, 2, 3], lambda x: x, write)
    assert sorted(done) == [0, 2, 3]
