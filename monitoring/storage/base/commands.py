"""Command-queue logic: create-only enqueue, due/pending listing and conditional status transitions.

A transition names the status the caller believes is current; the adapter writes only if that still holds,
so a listener and an expiry sweep racing on the same command cannot both win.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from monitoring._time import require_utc
from monitoring.commands.models import Command, CommandStatus, can_transition
from monitoring.errors import ConflictError, InvalidInputError, NotFoundError


class CommandsRepositoryBase(ABC):
    """Implements `CommandsRepository` over storage primitives."""

    @abstractmethod
    def _insert_command(self, command: Command) -> None:
        """Insert; ConflictError if command_id exists."""

    @abstractmethod
    def _get_command(self, command_id: str) -> Command | None: ...

    @abstractmethod
    def _query_by_mn(self, mn: str, statuses: frozenset[CommandStatus] | None) -> list[Command]:
        """Commands of `mn` (optionally only these statuses), ascending by created_at then command_id."""

    @abstractmethod
    def _find_by_qn(self, mn: str, qn: str) -> Command | None: ...

    @abstractmethod
    def _query_pending(self) -> list[Command]:
        """Every pending command of every MN, ascending by created_at then command_id (an index, not a scan)."""

    @abstractmethod
    def _replace_command(self, command: Command, expected: CommandStatus) -> None:
        """Overwrite the stored command only if its status is still `expected`; else ConflictError."""

    def enqueue(self, command: Command) -> Command:
        if command.status is not CommandStatus.PENDING or command.attempts != 0:
            raise InvalidInputError("a new command must be pending with no attempts")
        if self._find_by_qn(command.mn, command.qn) is not None:
            raise ConflictError(f"QN {command.qn} already used for {command.mn}")
        self._insert_command(command)
        return command

    def get(self, command_id: str) -> Command:
        found = self._get_command(command_id)
        if found is None:
            raise NotFoundError(f"command {command_id!r} not found")
        return found

    def find_by_qn(self, mn: str, qn: str) -> Command | None:
        return self._find_by_qn(mn, qn)

    def pending_for(self, mn: str, now: datetime) -> list[Command]:
        """Pending commands of `mn` whose deadline has not passed, oldest first (delivery order)."""
        now = require_utc(now, "now")
        return [c for c in self._query_by_mn(mn, frozenset({CommandStatus.PENDING})) if c.expires_at > now]

    def pending_all(self) -> list[Command]:
        """Every pending command, overdue ones included, oldest first: one request for a listener task's poll,
        whatever the number of terminals it holds."""
        return self._query_pending()

    def for_mn(self, mn: str, *, statuses: Iterable[CommandStatus] | None = None) -> list[Command]:
        return self._query_by_mn(mn, None if statuses is None else frozenset(statuses))

    def transition(
        self,
        command_id: str,
        expected: CommandStatus,
        new: CommandStatus,
        *,
        at: datetime,
        count_attempt: bool = False,
        qn_rtn: str | None = None,
        exe_rtn: str | None = None,
        detail: str | None = None,
        result: Mapping[str, Any] | None = None,
    ) -> Command:
        """Move a command from `expected` to `new`; ConflictError if it is no longer `expected`.

        `result` entries are merged into the stored result (data frames of a history pull arrive in parts)."""
        if not can_transition(expected, new):
            raise InvalidInputError(f"command transition {expected.value} → {new.value} is not allowed")
        current = self.get(command_id)
        if current.status is not expected:
            raise ConflictError(f"command {command_id} is {current.status.value}, not {expected.value}")
        changed = dataclasses.replace(
            current,
            status=new,
            updated_at=require_utc(at, "at"),
            attempts=current.attempts + (1 if count_attempt else 0),
            qn_rtn=current.qn_rtn if qn_rtn is None else qn_rtn,
            exe_rtn=current.exe_rtn if exe_rtn is None else exe_rtn,
            detail=current.detail if detail is None else detail,
            result=current.result if result is None else {**current.result, **result},
        )
        self._replace_command(changed, expected)
        return changed

    def expire_overdue(self, mn: str, now: datetime) -> list[Command]:
        """Expire every unfinished command of `mn` whose deadline passed; returns those this call expired."""
        now = require_utc(now, "now")
        expired = []
        for command in self._query_by_mn(mn, None):
            if command.status.final or command.expires_at > now:
                continue
            try:
                expired.append(self.transition(command.command_id, command.status, CommandStatus.EXPIRED, at=now))
            except ConflictError:
                continue  # someone else moved it first; their outcome stands
        return expired
