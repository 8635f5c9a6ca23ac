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

from iot_ingest.auth_cache import UNREGISTERED_RECHECK_S
from iot_ingest.ports import AuthStatus, Command, CommandStatus, CommandUpdate, Event
from monitoring.clock import Clock
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


async def _run(fn: Callable[..., T], *args: Any) -> T:
    return await asyncio.get_running_loop().run_in_executor(_EXECUTOR, fn, *args)


T = TypeVar("T")
EVENT_KINDS = {
    "connect": EventKind.CONNECT,
    "disconnect": EventKind.DISCONNECT,
    "duplicate_mn": EventKind.DUPLICATE_MN,
    "unregistered_throttled": EventKind.UNREGISTERED_THROTTLED,
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

    def _check(self, mn: str, pw: str | None) -> AuthStatus:
        terminal = self.store.registry.find_terminal(mn)
        if terminal is None:
            return AuthStatus.UNREGISTERED
        return AuthStatus.OK if verify_password(terminal, pw) else AuthStatus.AUTH_FAILED

    async def check(self, mn: str, pw: str | None) -> AuthStatus:
        key = (mn, hashlib.sha256((pw or "").encode("utf-8", "replace")).hexdigest())
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


class StoreCommandQueue:
    """CommandQueue over the commands repository (one listener holds every session: no owner index needed)."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self._known: set[str] = set()

    def _pending(self, mns: Collection[str]) -> list[Command]:
        now = self.clock.now()
        out: list[Command] = []
        for mn in mns:
            self._known.add(mn)
            for c in self.store.commands.pending_for(mn, now):
                out.append(Command(id=c.command_id, mn=c.mn, cn=c.cn, cp=dict(c.params), expires_at=c.expires_at))
        return sorted(out, key=lambda c: c.id)

    async def pending(self, owner: str, mns: Collection[str]) -> list[Command]:
        return await _run(self._pending, list(mns))

    def _update(self, update: CommandUpdate) -> None:
        new = _final_status(update)
        current = self.store.commands.get(update.command_id)
        if current.status is new:
            return
        qn_rtn = update.detail.split("=", 1)[1][:2] if update.detail.startswith("QnRtn=") else None
        exe_rtn = update.detail.split("=", 1)[1][:2] if update.detail.startswith("ExeRtn=") else None
        try:
            stored = self.store.commands.transition(
                update.command_id,
                current.status,
                new,
                at=self.clock.now(),
                count_attempt=new is StoredStatus.SENT,
                qn_rtn=qn_rtn,
                exe_rtn=exe_rtn,
                detail=update.detail or None,
                result=dict(update.result) or None,
            )
            settle_command(self.store.registry, stored)  # e.g. a new terminal password (1072) takes effect
        except (ConflictError, InvalidInputError) as exc:
            log.warning(
                "command status not recorded", extra={"fields": {"command": update.command_id, "error": str(exc)}}
            )

    async def update(self, update: CommandUpdate) -> None:
        await _run(self._update, update)

    def _expire(self, now: datetime) -> list[str]:
        expired: list[str] = []
        for mn in list(self._known):
            for command in self.store.commands.expire_overdue(mn, now):
                settle_command(self.store.registry, command)
                expired.append(command.command_id)
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
