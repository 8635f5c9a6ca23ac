"""Two listener tasks sharing DynamoDB leases (DynamoDB Local): a terminal that reconnects to the other task."""

from __future__ import annotations

import asyncio

import pytest

from iot_ingest.adapters.leases import DynamoDBLeases
from iot_ingest.memory import MemoryDirectory, TerminalEntry
from monitoring.storage.dynamodb import schema
from monitoring.storage.dynamodb.adapter import DynamoDBBackend
from monitoring.storage.dynamodb.leases import DynamoDBSessionLeases
from monitoring.storage.dynamodb.tables import table_name
from tests.integration.iot_ingest.harness import MN, PW, frame, running, until
from tests.support.dynamodb_tables import backend_fixture

pytestmark = pytest.mark.integration
backend = backend_fixture("lt")


def test_terminal_on_a_second_task_is_a_duplicate_and_the_first_task_drops_its_session(
    backend: DynamoDBBackend,
) -> None:
    table = table_name(backend.table_prefix, schema.STATE)
    owner = DynamoDBSessionLeases(backend.client, table)

    async def scenario() -> None:
        directory = MemoryDirectory({MN: TerminalEntry(PW)})
        async with running(listener_id="task-a", lease_seconds=1.5) as a, running(listener_id="task-b") as b:
            for h in (a, b):  # each task its own adapter, as separate processes would have
                h.server.downlink.leases = DynamoDBLeases(DynamoDBSessionLeases(backend.client, table))
                h.server.state.directory = directory
            ta = await a.connect()
            await ta.send(frame(i=0))
            assert await ta.recv()
            assert await until(lambda: owner.owner(MN) == "task-a", 5.0)
            # When the terminal (its old connection half-open behind the NLB) connects to task B
            tb = await b.connect()
            await tb.send(frame(i=1))
            assert await tb.recv()
            # Then B holds the lease and reports a duplicate MN naming the other task, as one listener does
            assert await until(lambda: bool(b.events.of_type("duplicate_mn")), 5.0)
            (dup,) = b.events.of_type("duplicate_mn")
            assert dup.mn == MN and dup.detail["old_listener"] == "task-a"
            assert owner.owner(MN) == "task-b"
            # and task A closes its stale session at its next renewal; B's session stays
            assert await ta.closed_by_peer(5.0)
            assert a.server.metrics.get("disconnects", "lease_lost") == 1
            assert MN in b.server.state.sessions and MN not in a.server.state.sessions
            await tb.close()
            # B released the lease when the session closed
            assert await until(lambda: owner.owner(MN) is None, 5.0)

    asyncio.run(scenario())
