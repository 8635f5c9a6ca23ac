"""The listener's terminal directory and command queue for the runner: the sqlite platform takes every terminal; a
host of a province's tier (store=dynamodb, other hosts on the same tables) only the terminals of its counties.

More: docs/local.md, "Several counties".
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from iot_ingest.adapters.directory import CachedRegistryDirectory
from iot_ingest.adapters.store import RegistryDirectory, StoreCommandQueue
from iot_ingest.config import Settings as ListenerSettings
from iot_ingest.ports import Event, EventSink
from monitoring.clock import Clock
from monitoring.events.models import EventKind
from monitoring.registry.terminal import Terminal
from monitoring.storage.ports import Store

OTHER_COUNTY_EVENT = EventKind.OTHER_COUNTY.value  # as the listener types it (iot_ingest/adapters/store.py EVENT_KINDS)


@dataclass
class OtherCountyReports:
    """Files an `other_county` event for a terminal of a county this host does not serve (one per MN and hour: the
    event's id derives from the hour), stored off the listener's loop. The directory calls it on the loop, at most
    once per MN per directory_negative_ttl."""

    events: EventSink
    clock: Clock
    listener: str
    counties: tuple[str, ...]
    _storing: set[asyncio.Task[None]] = field(default_factory=set)  # kept from the garbage collector

    def __call__(self, terminal: Terminal) -> None:
        event = Event(
            type=OTHER_COUNTY_EVENT,
            at=self.clock.now().replace(minute=0, second=0, microsecond=0),
            listener=self.listener,
            mn=terminal.mn,
            detail={"county": terminal.county_id, "host_counties": ",".join(self.counties)},
        )
        task = asyncio.get_running_loop().create_task(self.events.emit(event))
        self._storing.add(task)
        task.add_done_callback(self._storing.discard)


def listener_ports(
    store: Store,
    clock: Clock,
    events: EventSink,
    listener: ListenerSettings,
    *,
    counties: tuple[str, ...] | None,
) -> tuple[Any, StoreCommandQueue]:
    """(directory, command queue). `counties` None: the sqlite platform (every registered terminal, every command).
    Else a host sharing the stage's tables: only its counties' terminals are served here, and only their commands
    are handed out here (another county's terminal connecting is not served: its frames are not acknowledged, the
    connection is closed and `other_county` reported; its commands wait for its own host)."""
    if counties is None:
        plain = RegistryDirectory(store)
        return plain, StoreCommandQueue(store, clock, on_password_change=plain.refresh)
    directory = CachedRegistryDirectory(
        store,
        counties=counties,
        refresh_s=listener.directory_refresh,
        negative_s=listener.directory_negative_ttl,
        lookup_rate=listener.directory_lookup_rate,
        only_counties=True,
        on_foreign=OtherCountyReports(events, clock, listener.listener_name, counties),
    )
    commands = StoreCommandQueue(store, clock, on_password_change=directory.refresh, owns=directory.owns)
    return directory, commands
