"""Downlink delivery across listener tasks: session leases, command polling and status write-back.

More: docs/iot_ingest.md, "Module notes".
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from iot_ingest.ports import CommandQueue, CommandUpdate, SessionLeases

if TYPE_CHECKING:
    from iot_ingest.protocol import IngestProtocol
    from iot_ingest.state import ServerState

log = logging.getLogger(__name__)


class Downlink:
    """Delivers pending commands to the sessions this listener holds."""

    def __init__(self, state: ServerState, commands: CommandQueue, leases: SessionLeases) -> None:
        self.state = state
        self.commands = commands
        self.leases = leases
        self._updates: asyncio.Queue[CommandUpdate | None] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self.state.downlink = self
        self._tasks = [
            asyncio.create_task(self._writer(), name="downlink-writer"),
            asyncio.create_task(self._poll_loop(), name="downlink-poll"),
            asyncio.create_task(self._lease_loop(), name="downlink-leases"),
        ]

    async def stop(self, timeout: float = 5.0) -> None:
        """Stop polling; let the writer flush queued status updates (bounded by `timeout`)."""
        for task in self._tasks[1:]:
            task.cancel()
        self._updates.put_nowait(None)
        await asyncio.wait([self._tasks[0]], timeout=timeout)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # ---- session hooks (called by the protocol) ---------------------------------------------------------------
    def session_started(self, proto: IngestProtocol) -> None:
        self.state.spawn(self._claim_and_deliver(proto), "session_claim")

    def session_ended(self, proto: IngestProtocol) -> None:
        if proto.mn is not None:
            self.state.spawn(self.leases.release(proto.mn, self.state.listener), "lease_release")

    def write_back(self, updates: Sequence[CommandUpdate]) -> None:
        for update in updates:
            self._updates.put_nowait(update)

    # ---- background work ---------------------------------------------------------------------------------------
    async def _claim_and_deliver(self, proto: IngestProtocol) -> None:
        mn = proto.mn
        if mn is None:
            return
        previous = await self.leases.claim(mn, self.state.listener, self.state.settings.lease_seconds)
        if previous is not None:
            # A live session of this MN on another task: as within one task, the newest wins (that task closes
            # its session on its next renewal, `lease_lost`) and the bureau sees a duplicate_mn event.
            log.info("session moved from another listener", extra={"fields": {"mn": mn, "previous": previous}})
            self.state.emit("duplicate_mn", mn=mn, peer=proto.peer, session=proto.session_id,
                            old_listener=previous, new_peer=proto.peer)  # fmt: skip
        await self._deliver([mn])

    async def _deliver(self, mns: Sequence[str]) -> None:
        if not mns:
            return
        for command in await self.commands.pending(self.state.listener, mns):
            proto = self.state.sessions.get(command.mn)
            if proto is not None and not proto.closing:
                proto.offer(command)

    async def poll_once(self) -> None:
        try:  # expiry is housekeeping: its failure must not hold up delivery
            expired = await self.commands.expire(self.state.wall())
        except Exception as exc:
            self.state.metrics.inc("errors", "command_expire_failed")
            log.error("command expiry failed", extra={"fields": {"error": repr(exc)}})
        else:
            if expired:
                self.state.metrics.inc("commands", "expired", len(expired))
        await self._deliver(list(self.state.sessions))

    async def _poll_loop(self) -> None:
        while True:
            await asyncio.sleep(self.state.settings.command_poll_interval)
            try:
                await self.poll_once()
            except Exception as exc:  # the store being down must not stop the listener
                self.state.metrics.inc("errors", "command_poll_failed")
                log.error("command poll failed", extra={"fields": {"error": repr(exc)}})

    async def renew_once(self) -> None:
        held = list(self.state.sessions)
        if not held:
            return
        lost = await self.leases.renew(held, self.state.listener, self.state.settings.lease_seconds)
        for mn in lost:
            proto = self.state.sessions.get(mn)
            if proto is not None:
                # The terminal reconnected to another listener: that newer session wins.
                proto.close("lease_lost")

    async def _lease_loop(self) -> None:
        while True:
            await asyncio.sleep(self.state.settings.lease_seconds / 3)
            try:
                await self.renew_once()
            except Exception as exc:
                self.state.metrics.inc("errors", "lease_renew_failed")
                log.error("lease renewal failed", extra={"fields": {"error": repr(exc)}})

    async def _writer(self) -> None:
        while True:
            update = await self._updates.get()
            if update is None:
                return
            try:
                await self.commands.update(update)
            except Exception as exc:
                self.state.metrics.inc("errors", "command_update_failed")
                log.error("command status write-back failed",
                          extra={"fields": {"id": update.command_id, "status": update.status.value,
                                            "error": repr(exc)}})  # fmt: skip
