"""Terminal status as installers and the bureau see it: the terminal, its enterprise and the points it measures.

Visibility is passed in (the caller's enterprises, None = the whole county, plus MNs assigned to the caller),
so a terminal outside it is simply not found.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitoring.errors import InvalidInputError, NotFoundError
from monitoring.registry.models import MonitoringPoint
from monitoring.registry.terminal import Terminal
from monitoring.storage.ports import RegistryRepository

# A terminal that sent nothing for this long is shown stale even if no one has marked it offline yet.
STALE_AFTER = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class TerminalView:
    terminal: Terminal
    enterprise_name: str | None
    points: tuple[MonitoringPoint, ...]

    def online_now(self, now: datetime) -> bool:
        """Online as recorded, and a frame within STALE_AFTER (a gap is not read as online)."""
        t = self.terminal
        return t.online and t.last_frame_at is not None and now - t.last_frame_at <= STALE_AFTER


@dataclass(frozen=True, slots=True)
class Visibility:
    """What a caller may see: enterprises (None = every one in the county) and MNs assigned to it directly."""

    county_id: str
    enterprise_ids: frozenset[str] | None
    mns: frozenset[str] = frozenset()

    def sees(self, terminal: Terminal) -> bool:
        if terminal.county_id != self.county_id:
            return False
        if self.enterprise_ids is None or terminal.mn in self.mns:
            return True
        return terminal.enterprise_id is not None and terminal.enterprise_id in self.enterprise_ids


def _view(registry: RegistryRepository, terminal: Terminal) -> TerminalView:
    points = tuple(sorted(registry.points_for_mn(terminal.mn), key=lambda p: (p.channel, p.point_id)))
    name = None
    if terminal.enterprise_id is not None:
        enterprise = registry.find_enterprise(terminal.enterprise_id)
        name = enterprise.name if enterprise is not None else None
    return TerminalView(terminal, name, points)


def terminal_view(registry: RegistryRepository, mn: str, visibility: Visibility) -> TerminalView:
    """One terminal; NotFoundError when it does not exist or is outside `visibility` (existence not revealed)."""
    terminal = registry.find_terminal(mn)
    if terminal is None or not visibility.sees(terminal):
        raise NotFoundError(f"终端 {mn} 不存在")
    return _view(registry, terminal)


def terminal_views(
    registry: RegistryRepository,
    visibility: Visibility,
    *,
    enterprise_id: str | None = None,
    online: bool | None = None,
    now: datetime,
    after: str | None = None,
    limit: int = 50,
) -> tuple[list[TerminalView], str | None]:
    """Visible terminals ordered by MN, filtered, `limit` per page; the cursor is the last MN shown."""
    if not 1 <= limit <= 200:
        raise InvalidInputError("limit 须在 1–200 之间")
    chosen: list[Terminal] = []
    for t in sorted(registry.list_terminals(visibility.county_id), key=lambda t: t.mn):
        if after is not None and t.mn <= after:
            continue
        if not visibility.sees(t) or (enterprise_id is not None and t.enterprise_id != enterprise_id):
            continue
        chosen.append(t)
    views: list[TerminalView] = []
    more = False
    for t in chosen:
        view = _view(registry, t)
        if online is not None and view.online_now(now) is not online:
            continue
        if len(views) == limit:
            more = True
            break
        views.append(view)
    return views, (views[-1].terminal.mn if more else None)


def visible_mns(registry: RegistryRepository, visibility: Visibility, mns: Collection[str]) -> list[str]:
    """Those of `mns` that are registered and visible."""
    out = []
    for mn in mns:
        t = registry.find_terminal(mn)
        if t is not None and visibility.sees(t):
            out.append(mn)
    return out
