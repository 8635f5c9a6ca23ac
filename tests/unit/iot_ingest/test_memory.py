"""In-memory ports: directory answers, command queue life cycle, leases (newest wins), events."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from iot_ingest.memory import MemoryCommandQueue, MemoryDirectory, MemoryEvents, MemoryLeases, TerminalEntry
from iot_ingest.ports import AuthStatus, Command, CommandStatus, CommandUpdate, Event

pytestmark = pytest.mark.unit
NOW = datetime(2026, 11, 28, tzinfo=UTC)


def test_directory_check_ok_unregistered_and_wrong_pw() -> None:
    d = MemoryDirectory({"MN1": TerminalEntry("123456", modbus_crc=True)})
    assert asyncio.run(d.check("MN1", "123456")) is AuthStatus.OK
    assert asyncio.run(d.check("MN1", "000000")) is AuthStatus.AUTH_FAILED
    assert asyncio.run(d.check("MN2", "123456")) is AuthStatus.UNREGISTERED
    assert asyncio.run(d.uses_modbus_crc("MN1")) and not asyncio.run(d.uses_modbus_crc("MN2"))


def test_directory_from_file_rejects_malformed_entries(tmp_path: Path) -> None:
    good = tmp_path / "t.json"
    good.write_text('{"MN1": {"pw": "1"}}', encoding="utf-8")
    assert "MN1" in MemoryDirectory.from_file(good).terminals
    bad = tmp_path / "b.json"
    bad.write_text('{"MN1": {"pw": 1}}', encoding="utf-8")
    with pytest.raises(ValueError, match="needs a string pw"):
        MemoryDirectory.from_file(bad)


def test_command_queue_pending_update_and_expire() -> None:
    q = MemoryCommandQueue()
    q.submit(Command("a", "MN1", "1012"))
    q.submit(Command("b", "MN2", "1012", expires_at=NOW - timedelta(seconds=1)))
    assert [c.id for c in asyncio.run(q.pending("me", ["MN1"]))] == ["a"]
    asyncio.run(q.update(CommandUpdate("a", CommandStatus.SENT, previous=CommandStatus.PENDING, qn="Q", attempts=1)))
    with pytest.raises(ValueError, match="is sent, not pending"):
        asyncio.run(q.update(CommandUpdate("a", CommandStatus.SENT, previous=CommandStatus.PENDING)))
    assert asyncio.run(q.pending("me", ["MN1"])) == []
    assert asyncio.run(q.expire(NOW)) == ["b"]
    assert q.state("b").status is CommandStatus.EXPIRED


def test_leases_newest_claim_wins_and_old_owner_learns_on_renew() -> None:
    clock = [0.0]
    leases = MemoryLeases(clock=lambda: clock[0])
    assert asyncio.run(leases.claim("MN1", "task-a", 60)) is None
    assert asyncio.run(leases.claim("MN1", "task-b", 60)) == "task-a"
    assert asyncio.run(leases.renew(["MN1"], "task-a", 60)) == {"MN1"}
    asyncio.run(leases.release("MN1", "task-a"))  # not the holder: no effect
    assert leases.leases["MN1"][0] == "task-b"
    clock[0] = 100.0  # expired lease: a claim reports no live previous owner
    assert asyncio.run(leases.claim("MN1", "task-c", 60)) is None


def test_events_are_kept_bounded() -> None:
    ev = MemoryEvents(keep=2)
    for i in range(3):
        asyncio.run(ev.emit(Event("connect", NOW, "l", mn=str(i))))
    assert [e.mn for e in ev.of_type("connect")] == ["1", "2"]
