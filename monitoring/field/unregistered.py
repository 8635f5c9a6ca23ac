"""Unregistered MNs seen recently, for installers looking for the terminal they just wired.

Decode files one `unregistered_seen` event per MN and hour; the archive (whose chain counts every frame of an MN)
gives the last frame, its peer and how many frames came in the window. MNs registered since are left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from monitoring._time import require_utc
from monitoring.errors import InvalidInputError
from monitoring.events.models import EventKind
from monitoring.storage.ports import ArchiveRepository, EventsRepository, RegistryRepository

DEFAULT_WINDOW = timedelta(days=7)
MAX_WINDOW = timedelta(days=30)
MAX_EVENTS = 20_000  # one per MN and hour: 7 days × 24 h × ~120 MNs


@dataclass(frozen=True, slots=True)
class UnregisteredMn:
    mn: str
    first_seen: datetime
    last_seen: datetime
    frames: int  # frames archived for this MN within the window
    peer: str  # address of its newest frame
    hours_seen: int  # hours of the window in which it sent anything


def recent_unregistered(
    events: EventsRepository,
    archive: ArchiveRepository,
    registry: RegistryRepository,
    *,
    now: datetime,
    window: timedelta = DEFAULT_WINDOW,
) -> list[UnregisteredMn]:
    """MNs that sent frames within `window` without being registered (still not registered), newest first."""
    now = require_utc(now, "now")
    if not timedelta(hours=1) <= window <= MAX_WINDOW:
        raise InvalidInputError("时间窗须在 1 小时到 30 天之间")
    start = now - window
    seen: dict[str, list[datetime]] = {}
    for event in events.events_of_kind(EventKind.UNREGISTERED_SEEN, start, now, limit=MAX_EVENTS):
        seen.setdefault(event.mn, []).append(event.received_at or event.occurred_at)
    out: list[UnregisteredMn] = []
    for mn, times in seen.items():
        if registry.find_terminal(mn) is not None:
            continue
        head = archive.head(mn)
        first = archive.frames(mn, start, now + timedelta(minutes=1), limit=1)
        frames = head.seq - first[0].seq + 1 if head is not None and first else 0
        last = head.frame.received_at if head is not None else max(times)
        out.append(
            UnregisteredMn(
                mn=mn,
                first_seen=first[0].frame.received_at if first else min(times),
                last_seen=max(last, max(times)),
                frames=frames,
                peer=head.frame.peer if head is not None else "",
                hours_seen=len(times),
            )
        )
    return sorted(out, key=lambda u: (u.last_seen, u.mn), reverse=True)
