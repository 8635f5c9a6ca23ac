"""The listener's ports over monitoring's sqlite store (iot_ingest/adapters/store.py)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from iot_ingest.adapters.store import RegistryDirectory, StoreCommandQueue, StoreEventSink
from iot_ingest.ports import AuthStatus, CommandStatus, CommandUpdate, Event
from monitoring.clock import FixedClock
from monitoring.commands.models import CommandStatus as StoredStatus
from monitoring.events.models import EventKind
from monitoring.field.commands import CommandKind, create_command
from monitoring.registry.terminal import hash_password
from monitoring.storage.sqlite import open_store
from tests.contract.storage import builders as b

pytestmark = pytest.mark.integration


def test_spent_unregistered_budget_is_an_event_the_bureau_sees(tmp_path: Path) -> None:
    # Given the listener's event for a source address whose unregistered budget is spent
    store = open_store(tmp_path / "db.sqlite")
    at = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)
    event = Event("unregistered_throttled", at, "listener-1", mn="FAKE00000001", peer="203.0.113.7:40001",
                  session="s1", detail={"scope": "source", "source": "203.0.113.7", "window_s": 3600.0})  # fmt: skip
    # When the event sink of the local platform receives it
    asyncio.run(StoreEventSink(store).emit(event))
    # Then it is stored under its own kind, with the address and the scope
    stored = store.events.events_for_mn("FAKE00000001", at - timedelta(hours=1), at + timedelta(hours=1))
    assert [e.kind for e in stored] == [EventKind.UNREGISTERED_THROTTLED]
    assert stored[0].detail["scope"] == "source" and stored[0].detail["source"] == "203.0.113.7"
    assert stored[0].kind.label == "未登记终端数据超限"
    store.close()


def test_a_password_change_is_announced_when_handed_out_and_when_settled_so_the_old_password_stops(
    tmp_path: Path,
) -> None:
    # Given a terminal whose old password the directory has already accepted (and caches for 10 minutes)
    now = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)
    store = open_store(tmp_path / "db.sqlite")
    b.seed_jurisdictions(store.registry)
    mn = "010000A89000160000000001"
    store.registry.put_terminal(b.terminal(mn, password_hash=hash_password("123456", n=2)))
    directory = RegistryDirectory(store)
    announced: list[str] = []

    def announce(m: str) -> None:
        announced.append(m)
        directory.refresh(m)

    queue = StoreCommandQueue(store, FixedClock(now), on_password_change=announce)
    other = create_command(store.commands, store.registry, mn=mn, kind=CommandKind.GET_TIME, args={},
                           requested_by="t", now=now)  # fmt: skip
    change = create_command(store.commands, store.registry, mn=mn, kind=CommandKind.SET_PASSWORD,
                            args={"new_password": "654321"}, requested_by="t", now=now)  # fmt: skip

    async def scenario() -> list[AuthStatus]:
        seen = [await directory.check(mn, "123456")]
        # When the queue hands both commands out and the terminal accepts the password change
        pending = await queue.pending("task-a", [mn])
        assert {c.id for c in pending} == {other.command_id, change.command_id}
        seen += [await directory.check(mn, "654321"), await directory.check(mn, "123456")]  # both while under way
        await queue.update(CommandUpdate(change.command_id, CommandStatus.SENT, previous=CommandStatus.PENDING))
        await queue.update(CommandUpdate(change.command_id, CommandStatus.SUCCEEDED, previous=CommandStatus.SENT))
        # Then the next check refuses the old password at once, though it was accepted seconds ago
        seen += [await directory.check(mn, "123456"), await directory.check(mn, "654321")]
        return seen

    ok, refused = AuthStatus.OK, AuthStatus.AUTH_FAILED
    assert asyncio.run(scenario()) == [ok, ok, ok, refused, ok]
    assert announced == [mn, mn]  # handed out, settled; the other command is not a password change
    store.close()


def test_a_host_expires_every_overdue_pending_command_but_hands_out_and_settles_only_its_own(tmp_path: Path) -> None:
    # Given a host whose directory owns one terminal, and commands of its terminal, of another county's terminal
    # and of a terminal deleted since, some past their deadline; one of the other county's was sent by its host
    now = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)
    store = open_store(tmp_path / "db.sqlite")
    ours, theirs, gone = "MNOURS0001", "MNTHEIRS01", "MNGONE0001"
    earlier = now - timedelta(hours=2)
    for command_id, mn, at in [("ours-stale", ours, earlier), ("theirs-stale", theirs, earlier),
                               ("gone-stale", gone, earlier), ("theirs-live", theirs, now),
                               ("theirs-sent", theirs, earlier)]:  # fmt: skip
        store.commands.enqueue(b.command(command_id, at, mn=mn, ttl_s=60))
    store.commands.transition("theirs-sent", StoredStatus.PENDING, StoredStatus.SENT, at=earlier, count_attempt=True)
    queue = StoreCommandQueue(store, FixedClock(now), owns=lambda mn: mn == ours)

    async def scenario() -> tuple[list[str], list[str]]:
        expired = await queue.expire(now)
        # When the other county's terminal starts a session here (it is never served here; the queue would not
        # hand it out or settle its commands even so)
        offered = [c.id for c in await queue.pending("host-b", [theirs])]
        return expired, offered

    expired, offered = asyncio.run(scenario())
    # Then every pending command past its deadline expired here, whoever its terminal's host (a deleted terminal's
    # too: nothing else would ever expire it); the live one stays pending for its own host, and the one its host
    # sent is not settled here
    assert sorted(expired) == ["gone-stale", "ours-stale", "theirs-stale"]
    status = {c: store.commands.get(c).status for c in ("gone-stale", "theirs-stale", "theirs-live", "theirs-sent")}
    assert status == {"gone-stale": StoredStatus.EXPIRED, "theirs-stale": StoredStatus.EXPIRED,
                      "theirs-live": StoredStatus.PENDING, "theirs-sent": StoredStatus.SENT}  # fmt: skip
    assert offered == []
    store.close()
