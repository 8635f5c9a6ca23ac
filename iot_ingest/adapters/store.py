"""The listener's ports over monitoring's repositories: terminal directory, command queue and event sink.

More: docs/iot_ingest.md, "Module notes".
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any, TypeVar

from hj212.catalogue import CN
from iot_ingest.auth_cache import UNREGISTERED_RECHECK_S
from iot_ingest.ports import AuthStatus, Command, CommandStatus, CommandUpdate, Event
from monitoring.clock import Clock
from monitoring.commands.models import Command as StoredCommand
from monitoring.commands.models import CommandStatus as StoredStatus
from monitoring.errors import ConflictError, InvalidInputError
from monitoring.events.models import Event as StoredEvent
from monitoring.events.models import EventKind
from monitoring.field.commands import settle_command
from monitoring.registry.terminal import verify_password
from monitoring.storage.ports import Store

log = logging.getLogger(__name__)
# Registry lookups, command status and events share two threads of their own, apart from the frame queue's.
_EXECUTOR = ThreadPoolExecutor(max_workers=2, thread_name_prefix="listener-ports")


async def run_blocking(fn: Callable[..., T], *args: Any) -> T:
    """Run a blocking store call on the ports' own threads."""
    return await asyncio.get_running_loop().run_in_executor(_EXECUTOR, fn, *args)


_run = run_blocking


T = TypeVar("T")
EVENT_KINDS = {
    "connect": EventKind.CONNECT,
    "disconnect": EventKind.DISCONNECT,
    "duplicate_mn": EventKind.DUPLICATE_MN,
    "unregistered_throttled": EventKind.UNREGISTERED_THROTTLED,
    "other_county": EventKind.OTHER_COUNTY,  # a host's directory: a terminal of a county it does not serve
}
# Not stored here: the listener's auth_failure (decode files it once per archived frame whose record says the
# password failed, in both deployments) and its clock_skew (from QN, the send time: a terminal backfilling a long
# buffer sends frames whose QN is old, which is no clock fault; decode stores its own skew events from SystemTime).


class RegistryDirectory:
    """TerminalDirectory over the registry: unknown MN → unregistered, wrong PW → auth_failed."""

    def __init__(
        self, store: Store, *, auth_cache_s: float = 600.0, unregistered_cache_s: float = UNREGISTERED_RECHECK_S
    ) -> None:
        self.store = store
        self.auth_cache_s = auth_cache_s
        self.unregistered_cache_s = min(auth_cache_s, unregistered_cache_s)
        self._cache: dict[tuple[str, str], tuple[float, AuthStatus]] = {}
        self._refresh: set[str] = set()  # MNs whose cached answers go at their next check

    def refresh(self, mn: str) -> None:
        """Answer `mn`'s next check from the registry (its password is changing). Safe from any thread."""
        self._refresh.add(mn)

    def _check(self, mn: str, pw: str | None) -> AuthStatus:
        terminal = self.store.registry.find_terminal(mn)
        if terminal is None:
            return AuthStatus.UNREGISTERED
        return AuthStatus.OK if verify_password(terminal, pw) else AuthStatus.AUTH_FAILED

    async def check(self, mn: str, pw: str | None) -> AuthStatus:
        key = (mn, hashlib.sha256((pw or "").encode("utf-8", "replace")).hexdigest())
        if mn in self._refresh:
            self._refresh.discard(mn)
            self._cache = {k: v for k, v in self._cache.items() if k[0] != mn}
        hit = self._cache.get(key)
        now = time.monotonic()
        # "unregistered" is kept briefly: an installer binding the terminal should see it authenticate soon.
        ttl = self.unregistered_cache_s if hit is not None and hit[1] is AuthStatus.UNREGISTERED else self.auth_cache_s
        if hit is not None and now - hit[0] < ttl:
            return hit[1]
        status = await _run(self._check, mn, pw)
        if len(self._cache) > 100_000:
            self._cache.clear()
        self._cache[key] = (now, status)
        return status

    async def uses_modbus_crc(self, mn: str) -> bool:
        terminal = await _run(self.store.registry.find_terminal, mn)
        return bool(terminal and terminal.modbus_crc)


def _final_status(update: CommandUpdate) -> StoredStatus:
    if update.status is CommandStatus.FAILED and update.detail.startswith("QnRtn"):
        return StoredStatus.REJECTED
    return StoredStatus(update.status.value)


def _command(c: StoredCommand) -> Command:
    return Command(id=c.command_id, mn=c.mn, cn=c.cn, cp=dict(c.params), expires_at=c.expires_at)


class StoreCommandQueue:
    """CommandQueue over the commands repository, for one listener or several tasks sharing the store.

    A poll costs one query of the pending index (`pending_all`), whatever the number of terminals held; a
    session start two queries of its MN (overdue, pending). Expiry reuses the poll's answer.
    """

    REUSE_S = 0.5  # expire() and pending() of one poll share one answer of the pending index

    def __init__(
        self,
        store: Store,
        clock: Clock,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        on_password_change: Callable[[str], None] | None = None,
        owns: Callable[[str], bool] | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.monotonic = monotonic
        # Hosts of a province's tier share the commands table: each hands out, and settles as overdue at a session
        # start (`expire_overdue`: sent or accepted ones another host may have under way), only the commands of its
        # own counties' terminals (the directory's `owns`). None: every command is this listener's (one platform).
        # Pending commands past their deadline are expired by every host (`_expire`): PENDING -> EXPIRED is a
        # conditional write that only a command no one sent can take, so it is safe from anywhere, and a command of
        # a deleted terminal or of a county no host serves must not stay pending, and polled, forever.
        self.owns = owns
        # Called with the MN when a password change (1072) is handed out or settles: the directory's copy of that
        # terminal must be re-read, or the task would refuse the new password (or keep the old one).
        self.on_password_change = on_password_change
        self._all: tuple[float, list[StoredCommand]] | None = None

    def _pending_all(self) -> list[StoredCommand]:
        now = self.monotonic()
        if self._all is None or now - self._all[0] > self.REUSE_S:
            self._all = (now, self.store.commands.pending_all())
        return self._all[1]

    def _pending(self, mns: Collection[str]) -> list[Command]:
        now = self.clock.now()
        owned = [mn for mn in mns if self.owns is None or self.owns(mn)]
        if not owned:
            return []
        if len(mns) == 1:  # a session starting: its MN's own partition, strongly consistent
            (mn,) = owned
            # Its commands left sent or accepted past their deadline (a task that died mid-command) expire here.
            for command in self.store.commands.expire_overdue(mn, now):
                self._settle(command)
            return self._handed_out([_command(c) for c in self.store.commands.pending_for(mn, now)])
        wanted = set(owned)
        return self._handed_out([_command(c) for c in self._pending_all() if c.mn in wanted and c.expires_at > now])

    def _handed_out(self, commands: list[Command]) -> list[Command]:
        """The commands to send (oldest first); a password change among them is announced first."""
        for c in commands:
            if c.cn == CN.SET_PASSWORD and self.on_password_change is not None:
                self.on_password_change(c.mn)
        return commands

    def _settle(self, command: StoredCommand) -> None:
        """What a finished command changes in the registry (e.g. a new terminal password, 1072, takes effect)."""
        settle_command(self.store.registry, command)
        if command.cn == CN.SET_PASSWORD and command.status.final and self.on_password_change is not None:
            self.on_password_change(command.mn)

    async def pending(self, owner: str, mns: Collection[str]) -> list[Command]:
        return await _run(self._pending, list(mns))

    def _update(self, update: CommandUpdate) -> None:
        new = _final_status(update)
        # Compare-and-set on the status this listener last wrote (no read first); the stored one only when the
        # update names none, or when it differs (an earlier write-back was lost): then one more try from it.
        expected = update.previous if update.previous is not None else self.store.commands.get(update.command_id).status
        for attempt in (1, 2):
            if expected is new:
                return  # already recorded (a resend keeps `sent`)
            try:
                self._transition(update, expected, new)
                return
            except ConflictError as exc:
                if attempt == 2:
                    self._not_recorded(update, exc)
                    return
                expected = self.store.commands.get(update.command_id).status
            except InvalidInputError as exc:
                self._not_recorded(update, exc)
                return

    def _transition(self, update: CommandUpdate, expected: StoredStatus, new: StoredStatus) -> None:
        qn_rtn = update.detail.split("=", 1)[1][:2] if update.detail.startswith("QnRtn=") else None
        exe_rtn = update.detail.split("=", 1)[1][:2] if update.detail.startswith("ExeRtn=") else None
        stored = self.store.commands.transition(
            update.command_id,
            expected,
            new,
            at=self.clock.now(),
            count_attempt=new is StoredStatus.SENT,
            qn_rtn=qn_rtn,
            exe_rtn=exe_rtn,
            detail=update.detail or None,
            result=dict(update.result) or None,
        )
        self._settle(stored)

    @staticmethod
    def _not_recorded(update: CommandUpdate, exc: Exception) -> None:
        log.warning("command status not recorded", extra={"fields": {"command": update.command_id, "error": str(exc)}})

    async def update(self, update: CommandUpdate) -> None:
        await _run(self._update, update)

    def _expire(self, now: datetime) -> list[str]:
        expired: list[str] = []
        for c in self._pending_all():
            if c.expires_at > now:
                continue
            try:
                command = self.store.commands.transition(
                    c.command_id, StoredStatus.PENDING, StoredStatus.EXPIRED, at=now
                )
            except ConflictError:
                continue  # delivered or expired by another task meanwhile: its outcome stands
            self._settle(command)  # an expired password change is dropped
            expired.append(c.command_id)
        return expired

    async def expire(self, now: datetime) -> list[str]:
        return await _run(self._expire, now)


class StoreEventSink:
    """EventSink into the events repository (best effort: a failure is logged, never raised)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.emitted = 0

    def _put(self, event: Event) -> None:
        kind = EVENT_KINDS.get(event.type)
        if kind is None or not event.mn:
            return
        detail = {k: str(v)[:200] for k, v in list(event.detail.items())[:30]}
        if event.peer:
            detail["peer"] = event.peer
        if event.session:
            detail["session"] = event.session
        self.store.events.put_event(
            StoredEvent(mn=event.mn, kind=kind, occurred_at=event.at, received_at=event.at, detail=detail)
        )
        self.emitted += 1

    async def emit(self, event: Event) -> None:
        try:
            await _run(self._put, event)
        except Exception as exc:
            log.warning("event not stored", extra={"fields": {"type": event.type, "mn": event.mn, "error": repr(exc)}})
