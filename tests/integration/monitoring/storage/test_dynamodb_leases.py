"""On DynamoDB Local: session leases across listener tasks (newest wins, the loser told, dead tasks ignored)."""

from __future__ import annotations

import pytest

from monitoring.storage.dynamodb import schema
from monitoring.storage.dynamodb.adapter import DynamoDBBackend
from monitoring.storage.dynamodb.leases import REFRESH_S, DynamoDBSessionLeases
from monitoring.storage.dynamodb.tables import table_name
from tests.support.dynamodb_tables import backend_fixture

pytestmark = pytest.mark.integration
MN = "MN0001"


class Wall:
    def __init__(self) -> None:
        self.t = 1_800_000_000.0

    def __call__(self) -> float:
        return self.t


backend = backend_fixture("ls")


def _task(backend: DynamoDBBackend, wall: Wall) -> DynamoDBSessionLeases:
    return DynamoDBSessionLeases(backend.client, table_name(backend.table_prefix, schema.STATE), wall=wall)


def test_newest_session_wins_and_the_old_task_learns_it_on_renewal(backend: DynamoDBBackend) -> None:
    wall = Wall()
    a, b = _task(backend, wall), _task(backend, wall)
    # Given the terminal's session on task A
    assert a.claim(MN, "task-a", 60) is None
    assert a.renew([MN], "task-a", 60) == set()
    # When it reconnects to task B while A's session is still open (half-open behind the NLB)
    wall.t += 5
    assert b.claim(MN, "task-b", 60) == "task-a"
    # Then B holds it, A's next renewal says A lost it (once), and A's release leaves B's lease alone
    assert a.owner(MN) == "task-b"
    assert a.renew([MN], "task-a", 60) == {MN}
    assert a.renew([MN], "task-a", 60) == set()
    a.release(MN, "task-a")
    assert a.owner(MN) == "task-b"
    b.release(MN, "task-b")
    assert b.owner(MN) is None


def test_a_dead_task_lease_is_no_duplicate(backend: DynamoDBBackend) -> None:
    wall = Wall()
    a, b = _task(backend, wall), _task(backend, wall)
    a.claim(MN, "task-a", 60)
    # When task A stops renewing (it died) and the terminal reconnects to B after A's heartbeat lapsed
    wall.t += 61
    # Then B takes the MN without calling it a duplicate
    assert b.claim(MN, "task-b", 60) is None
    assert b.owner(MN) == "task-b"


def test_a_session_reclaimed_after_the_kick_is_not_lost(backend: DynamoDBBackend) -> None:
    wall = Wall()
    a, b = _task(backend, wall), _task(backend, wall)
    a.claim(MN, "task-a", 60)
    wall.t += 1
    assert b.claim(MN, "task-b", 60) == "task-a"
    # When the terminal comes back to A before A's renewal ran
    wall.t += 1
    assert a.claim(MN, "task-a", 60) == "task-b"
    # Then A keeps its newer session and B is the one told
    assert a.renew([MN], "task-a", 60) == set()
    assert b.renew([MN], "task-b", 60) == {MN}


def test_long_sessions_refresh_their_item_once_a_day_and_cost_no_request_per_held_mn(backend: DynamoDBBackend) -> None:
    wall = Wall()
    a = _task(backend, wall)
    held = [f"MN{i:04d}" for i in range(50)]
    for mn in held:
        a.claim(mn, "task-a", 60)
    backend.meter.reset()
    # A renewal with 50 sessions: the heartbeat and the inbox query, nothing per MN
    assert a.renew(held, "task-a", 60) == set()
    assert {k: v.requests for k, v in backend.meter.snapshot().items()} == {"PutItem": 1, "Query": 1}
    # A day later each held item's TTL is pushed once (a conditional update per MN)
    wall.t += REFRESH_S
    backend.meter.reset()
    assert a.renew(held, "task-a", 60) == set()
    assert backend.meter.snapshot()["UpdateItem"].requests == 50
