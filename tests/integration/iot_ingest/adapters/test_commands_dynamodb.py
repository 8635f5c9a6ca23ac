"""The listener's command queue over DynamoDB Local: a poll costs one query whatever the terminals held."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from iot_ingest.adapters.store import StoreCommandQueue
from iot_ingest.ports import CommandStatus, CommandUpdate
from monitoring.clock import FixedClock
from monitoring.commands.models import CommandStatus as Stored
from monitoring.storage.dynamodb.adapter import DynamoDBBackend
from tests.contract.storage import builders as b
from tests.support.dynamodb_tables import backend_fixture

pytestmark = pytest.mark.integration
NOW = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)


backend = backend_fixture("cq")


def _ops(backend: DynamoDBBackend) -> dict[str, int]:
    got = {k: v.requests for k, v in backend.meter.snapshot().items()}
    backend.meter.reset()
    return got


def test_poll_for_many_held_terminals_is_one_query_and_status_is_written_back(backend: DynamoDBBackend) -> None:
    clock = FixedClock(NOW)
    store = backend.store(clock=clock)
    store.commands.enqueue(b.command("c1", NOW - timedelta(seconds=5), mn="MN0007"))
    store.commands.enqueue(b.command("c2", NOW - timedelta(seconds=4), mn="MN9999"))  # not held here
    store.commands.enqueue(b.command("old", NOW - timedelta(hours=1), mn="MN0003", ttl_s=60))  # overdue
    queue = StoreCommandQueue(store, clock)
    held = [f"MN{i:04d}" for i in range(500)]

    async def poll() -> tuple[list[str], list[str], dict[str, int], dict[str, int]]:
        backend.meter.reset()
        expired = await queue.expire(NOW)  # a poll: expiry, then delivery, from one answer of the index
        pending = await queue.pending("task-a", held)
        poll_ops = _ops(backend)
        await queue.update(CommandUpdate("c1", CommandStatus.SENT, previous=CommandStatus.PENDING, attempts=1))
        return expired, [c.id for c in pending], poll_ops, _ops(backend)

    expired, pending, poll_ops, update_ops = asyncio.run(poll())
    # One query of the pending index for 500 held terminals, plus the expiry's conditional write
    assert pending == ["c1"] and expired == ["old"]
    assert poll_ops == {"Query": 1, "GetItem": 2, "PutItem": 1}  # the transition: its pointer, its item, the write
    # A status write-back: a compare-and-set on the status the listener last wrote: pointer + item, one put
    assert update_ops == {"GetItem": 2, "PutItem": 1}
    assert store.commands.get("c1").status is Stored.SENT and store.commands.get("old").status is Stored.EXPIRED
    assert [c.command_id for c in store.commands.pending_all()] == ["c2"]


def test_write_back_after_a_lost_one_moves_on_from_the_stored_status(backend: DynamoDBBackend) -> None:
    store = backend.store(clock=FixedClock(NOW))
    store.commands.enqueue(b.command("c1", NOW - timedelta(seconds=5), mn="MN0007"))
    queue = StoreCommandQueue(store, FixedClock(NOW))

    async def steps() -> None:
        await queue.update(CommandUpdate("c1", CommandStatus.SENT, previous=CommandStatus.PENDING, attempts=1))
        # the `accepted` write-back was lost (store outage); the final one names `accepted` as its previous
        await queue.update(CommandUpdate("c1", CommandStatus.SUCCEEDED, previous=CommandStatus.ACCEPTED,
                                         detail="ExeRtn=1"))  # fmt: skip
        # a stale task's write-back naming a status the command has long left changes nothing
        await queue.update(CommandUpdate("c1", CommandStatus.PENDING, previous=CommandStatus.SENT))

    asyncio.run(steps())
    stored = store.commands.get("c1")
    assert stored.status is Stored.SUCCEEDED and stored.exe_rtn == "1" and stored.attempts == 1


def test_session_start_expires_a_command_left_sent_by_a_task_that_died(backend: DynamoDBBackend) -> None:
    store = backend.store(clock=FixedClock(NOW))
    store.commands.enqueue(b.command("stuck", NOW - timedelta(hours=1), mn="MN0007", ttl_s=600))
    store.commands.transition("stuck", Stored.PENDING, Stored.SENT, at=NOW - timedelta(hours=1), count_attempt=True)
    store.commands.enqueue(b.command("next", NOW - timedelta(seconds=5), mn="MN0007"))
    # When the terminal's session starts on another task, past the stuck command's deadline
    pending = asyncio.run(StoreCommandQueue(store, FixedClock(NOW)).pending("task-b", ["MN0007"]))
    # Then the stuck one is expired and the waiting one is delivered
    assert [c.id for c in pending] == ["next"]
    assert store.commands.get("stuck").status is Stored.EXPIRED
