"""Contract: the downlink command queue (create-only, QN lookup, conditional transitions, expiry)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from monitoring.commands.models import CommandStatus
from monitoring.errors import ConflictError, InvalidInputError, NotFoundError
from monitoring.storage.ports import Store
from tests.contract.storage import builders as b
from tests.contract.storage.conftest import NOW

pytestmark = pytest.mark.contract
S = CommandStatus


def test_commands_enqueue_then_get_and_find_by_qn(store: Store) -> None:
    c = store.commands.enqueue(b.command("c1", NOW, qn="20261128100000001"))
    assert store.commands.get("c1") == c
    assert store.commands.find_by_qn("MN0001", "20261128100000001") == c
    assert store.commands.find_by_qn("MN0002", "20261128100000001") is None
    with pytest.raises(NotFoundError):
        store.commands.get("c404")


def test_commands_duplicate_id_or_qn_raises_conflict(store: Store) -> None:
    store.commands.enqueue(b.command("c1", NOW, qn="20261128100000001"))
    with pytest.raises(ConflictError):
        store.commands.enqueue(b.command("c1", NOW, qn="20261128100000002"))
    with pytest.raises(ConflictError):
        store.commands.enqueue(b.command("c2", NOW, qn="20261128100000001"))


def test_commands_pending_for_lists_unexpired_oldest_first(store: Store) -> None:
    store.commands.enqueue(b.command("c2", NOW + timedelta(seconds=2)))
    store.commands.enqueue(b.command("c1", NOW + timedelta(seconds=1)))
    store.commands.enqueue(b.command("c0", NOW, ttl_s=30))
    store.commands.enqueue(b.command("x", NOW, mn="MN0002"))
    assert [c.command_id for c in store.commands.pending_for("MN0001", NOW + timedelta(seconds=10))] == [
        "c0",
        "c1",
        "c2",
    ]
    assert [c.command_id for c in store.commands.pending_for("MN0001", NOW + timedelta(seconds=31))] == ["c1", "c2"]


def test_commands_pending_all_lists_every_mn_while_pending_only(store: Store) -> None:
    # Given pending commands of two terminals, one of them overdue, and one already sent
    store.commands.enqueue(b.command("c1", NOW + timedelta(seconds=1)))
    store.commands.enqueue(b.command("x", NOW, mn="MN0002", ttl_s=30))
    store.commands.enqueue(b.command("c2", NOW + timedelta(seconds=2)))
    store.commands.transition("c2", S.PENDING, S.SENT, at=NOW, count_attempt=True)
    # Then the pending index lists both terminals' pending ones, overdue included, oldest first
    assert [c.command_id for c in store.commands.pending_all()] == ["x", "c1"]
    # And a command leaves it when it leaves pending
    store.commands.transition("x", S.PENDING, S.EXPIRED, at=NOW + timedelta(seconds=31))
    assert [c.command_id for c in store.commands.pending_all()] == ["c1"]


def test_commands_full_lifecycle_records_attempts_and_results(store: Store) -> None:
    store.commands.enqueue(b.command("c1", NOW))
    sent = store.commands.transition("c1", S.PENDING, S.SENT, at=NOW, count_attempt=True)
    assert sent.attempts == 1 and sent.updated_at == NOW
    store.commands.transition("c1", S.SENT, S.ACCEPTED, at=NOW, qn_rtn="1")
    done = store.commands.transition("c1", S.ACCEPTED, S.SUCCEEDED, at=NOW, exe_rtn="1", result={"SystemTime": "x"})
    assert store.commands.get("c1") == done
    assert (done.status, done.qn_rtn, done.exe_rtn, dict(done.result)) == (S.SUCCEEDED, "1", "1", {"SystemTime": "x"})
    assert store.commands.pending_for("MN0001", NOW) == []
    assert [c.command_id for c in store.commands.for_mn("MN0001", statuses=[S.SUCCEEDED])] == ["c1"]


def test_commands_transition_from_a_stale_status_raises_conflict(store: Store) -> None:
    # Given a command two actors believe is pending
    store.commands.enqueue(b.command("c1", NOW))
    store.commands.transition("c1", S.PENDING, S.SENT, at=NOW)
    # When the second acts on its stale belief, it loses
    with pytest.raises(ConflictError):
        store.commands.transition("c1", S.PENDING, S.EXPIRED, at=NOW)
    assert store.commands.get("c1").status is S.SENT


def test_commands_disallowed_transition_raises_invalid_input(store: Store) -> None:
    store.commands.enqueue(b.command("c1", NOW))
    with pytest.raises(InvalidInputError):
        store.commands.transition("c1", S.PENDING, S.SUCCEEDED, at=NOW)


def test_commands_expire_overdue_moves_unfinished_only(store: Store) -> None:
    store.commands.enqueue(b.command("c1", NOW, ttl_s=10))
    store.commands.enqueue(b.command("c2", NOW, ttl_s=10))
    store.commands.enqueue(b.command("c3", NOW, ttl_s=1000))
    store.commands.transition("c2", S.PENDING, S.SENT, at=NOW)
    store.commands.transition("c2", S.SENT, S.REJECTED, at=NOW, qn_rtn="2")
    expired = store.commands.expire_overdue("MN0001", NOW + timedelta(seconds=11))
    assert [c.command_id for c in expired] == ["c1"]
    assert store.commands.get("c2").status is S.REJECTED and store.commands.get("c3").status is S.PENDING


def test_commands_timeout_with_detail_and_structured_result_round_trip(store: Store) -> None:
    # Given a history pull that returned two data frames, then went silent
    store.commands.enqueue(b.command("c1", NOW))
    store.commands.transition("c1", S.PENDING, S.SENT, at=NOW, count_attempt=True)
    store.commands.transition("c1", S.SENT, S.ACCEPTED, at=NOW, qn_rtn="1", result={"frames": 1, "cp": [{"a": "1"}]})
    done = store.commands.transition(
        "c1", S.ACCEPTED, S.TIMED_OUT, at=NOW, detail="无9012应答", result={"frames": 2, "last": None}
    )
    # Then the stored record keeps the merged result and the reason
    back = store.commands.get("c1")
    assert back == done and back.status.final
    assert back.detail == "无9012应答"
    assert dict(back.result) == {"frames": 2, "cp": [{"a": "1"}], "last": None}
