"""In-memory implementations of the listener's ports (directory, commands, leases, events).

Used by tests, benchmarks and the stand-alone entry point. A shared store replaces them in production (see
docs/iot_ingest.md); these keep the same semantics so that tests exercise the real listener logic.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from iot_ingest.ports import AuthStatus, Command, CommandStatus, CommandUpdate, Event

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TerminalEntry:
    pw: str
    modbus_crc: bool = False


class MemoryDirectory:
    """Terminals known by MN; every other MN is `unregistered`."""

    def __init__(self, terminals: Mapping[str, TerminalEntry] | None = None) -> None:
        self.terminals: dict[str, TerminalEntry] = dict(terminals or {})

    @classmethod
    def from_file(cls, path: str | Path) -> MemoryDirectory:
        """Load `{"MN": {"pw": "123456", "modbus_crc": false}, ...}`; raise ValueError on a malformed file."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ValueError(f"terminals file {path}: {exc}") from None
        if not isinstance(data, dict):
            raise ValueError(f"terminals file {path}: expected an object keyed by MN")
        terminals = {}
        for mn, entry in data.items():
            if not isinstance(entry, dict) or not isinstance(entry.get("pw"), str):
                raise ValueError(f"terminals file {path}: {mn!r} needs a string pw")
            terminals[str(mn)] = TerminalEntry(entry["pw"], bool(entry.get("modbus_crc", False)))
        return cls(terminals)

    async def check(self, mn: str, pw: str | None) -> AuthStatus:
        entry = self.terminals.get(mn)
        if entry is None:
            return AuthStatus.UNREGISTERED
        return AuthStatus.OK if pw == entry.pw else AuthStatus.AUTH_FAILED

    async def uses_modbus_crc(self, mn: str) -> bool:
        entry = self.terminals.get(mn)
        return bool(entry and entry.modbus_crc)


@dataclass
class CommandState:
    command: Command
    status: CommandStatus = CommandStatus.PENDING
    qn: str | None = None
    attempts: int = 0
    detail: str = ""
    result: Mapping[str, Any] = field(default_factory=dict)
    history: list[CommandStatus] = field(default_factory=list)


class MemoryCommandQueue:
    """Commands and their status in a dict; `submit` is what the API would do."""

    def __init__(self) -> None:
        self.commands: dict[str, CommandState] = {}

    def submit(self, command: Command) -> None:
        self.commands[command.id] = CommandState(command)

    def state(self, command_id: str) -> CommandState:
        return self.commands[command_id]

    async def pending(self, owner: str, mns: Collection[str]) -> list[Command]:
        wanted = set(mns)
        return [
            s.command for s in self.commands.values() if s.status is CommandStatus.PENDING and s.command.mn in wanted
        ]

    async def update(self, update: CommandUpdate) -> None:
        """Apply a status change as a compare-and-set on `previous`, like a shared store would."""
        state = self.commands[update.command_id]
        if update.previous is not None and state.status is not update.previous:
            raise ValueError(f"command {update.command_id} is {state.status}, not {update.previous}")
        state.status = update.status
        state.qn = update.qn or state.qn
        state.attempts = update.attempts
        state.detail = update.detail
        state.result = dict(update.result)
        state.history.append(update.status)

    async def expire(self, now: datetime) -> list[str]:
        expired = []
        for cid, s in self.commands.items():
            if s.status is CommandStatus.PENDING and s.command.expires_at is not None and s.command.expires_at <= now:
                s.status = CommandStatus.EXPIRED
                s.history.append(CommandStatus.EXPIRED)
                expired.append(cid)
        return expired

    def resubmit(self, command_id: str, **changes: Any) -> None:
        """Test helper: replace fields of a stored command."""
        state = self.commands[command_id]
        state.command = replace(state.command, **changes)


class MemoryLeases:
    """Session-ownership records MN → (owner, lease expiry), shared by every listener given the same object."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.leases: dict[str, tuple[str, float]] = {}

    async def claim(self, mn: str, owner: str, lease_s: float) -> str | None:
        previous = self.leases.get(mn)
        self.leases[mn] = (owner, self.clock() + lease_s)
        if previous is None or previous[0] == owner or previous[1] < self.clock():
            return None
        return previous[0]

    async def renew(self, mns: Collection[str], owner: str, lease_s: float) -> set[str]:
        lost = set()
        until = self.clock() + lease_s
        for mn in mns:
            held = self.leases.get(mn)
            if held is not None and held[0] != owner:
                lost.add(mn)
            else:
                self.leases[mn] = (owner, until)
        return lost

    async def release(self, mn: str, owner: str) -> None:
        held = self.leases.get(mn)
        if held is not None and held[0] == owner:
            del self.leases[mn]


class MemoryEvents:
    """Keeps events in a list (tests) and logs each as a JSON line (the stand-alone default)."""

    def __init__(self, *, keep: int = 10_000) -> None:
        self.events: list[Event] = []
        self.keep = keep

    async def emit(self, event: Event) -> None:
        self.events.append(event)
        if len(self.events) > self.keep:
            del self.events[: len(self.events) - self.keep]
        log.info(
            "event",
            extra={
                "fields": {
                    "event": event.type,
                    "mn": event.mn,
                    "peer": event.peer,
                    "session": event.session,
                    "at": event.at.astimezone(UTC).isoformat(),
                    **{f"detail_{k}": v for k, v in event.detail.items()},
                }
            },
        )

    def of_type(self, kind: str) -> list[Event]:
        return [e for e in self.events if e.type == kind]
