"""The dashboard's counts by town and by branch, in one pass over registry, status documents and open alarms.

Terminals count online only when their last frame is recent; alarms count as overdue by `alarms.service.overdue`.
`SummaryCache` keeps a result a few seconds per scope: the counts move once a minute (the rule tick).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

from monitoring.alarms.models import FINAL_STATES, AlarmState
from monitoring.alarms.service import overdue
from monitoring.storage.ports import Store
from monitoring.views import status as status_view

OFFLINE_AFTER: Final = timedelta(minutes=15)
OPEN_STATES: Final = tuple(s for s in AlarmState if s not in FINAL_STATES)
_MAX_OPEN: Final = 100_000


@dataclass(slots=True)
class Counts:
    enterprises: int = 0
    exempt: int = 0
    terminals_online: int = 0
    terminals_offline: int = 0
    status: Counter[str] = field(default_factory=Counter)  # producing / stopped / curtailed / unknown
    install: Counter[str] = field(default_factory=Counter)  # installation progress: InstallStatus code -> count
    open_alarms: Counter[str] = field(default_factory=Counter)  # by rule
    overdue_alarms: Counter[str] = field(default_factory=Counter)  # by rule


@dataclass(frozen=True, slots=True)
class Area:
    area_id: str
    name: str
    counts: Counts


@dataclass(frozen=True, slots=True)
class Summary:
    at: datetime
    total: Counts
    towns: tuple[Area, ...]
    branches: tuple[Area, ...]


def dashboard_summary(store: Store, county_id: str, *, visible: frozenset[str] | None, now: datetime) -> Summary:
    """Counts over the enterprises the caller may see (every area of the county is listed, even if empty)."""
    reg = store.registry
    towns = {t.town_id: Counts() for t in reg.list_towns(county_id)}
    branches = {b.branch_id: Counts() for b in reg.list_branches(county_id)}
    total = Counts()
    area: dict[str, tuple[Counts, ...]] = {}  # enterprise -> the counts it adds to
    for e in reg.list_enterprises(county_id):
        if visible is not None and e.enterprise_id not in visible:
            continue
        targets = tuple(c for c in (total, towns.get(e.town_id), branches.get(e.branch_id)) if c is not None)
        area[e.enterprise_id] = targets
        status = status_view.current_status(store.rule_state, e.enterprise_id, now)[0]
        for c in targets:
            c.enterprises += 1
            c.exempt += e.exemption is not None
            c.status[status] += 1
            c.install[e.install_status.value] += 1
    for t in reg.list_terminals(county_id):
        bound = area.get(t.enterprise_id or "")
        if bound is None and visible is not None:
            continue
        targets = (total,) if bound is None else bound  # a terminal not yet bound counts in the county total only
        online = t.online and t.last_frame_at is not None and now - t.last_frame_at <= OFFLINE_AFTER
        for c in targets:
            c.terminals_online += online
            c.terminals_offline += not online
    for a in store.alarms.list(states=OPEN_STATES, limit=_MAX_OPEN, county_id=county_id):
        in_scope = area.get(a.enterprise_id, ())
        late = bool(overdue(a, now))
        for c in in_scope:
            c.open_alarms[a.rule] += 1
            c.overdue_alarms[a.rule] += late
    names_t = {t.town_id: t.name for t in reg.list_towns(county_id)}
    names_b = {b.branch_id: b.name for b in reg.list_branches(county_id)}
    return Summary(
        now,
        total,
        tuple(Area(i, names_t[i], c) for i, c in towns.items() if visible is None or c.enterprises),
        tuple(Area(i, names_b[i], c) for i, c in branches.items() if visible is None or c.enterprises),
    )


class SummaryCache:
    """Summaries per (county, scope) for `max_age_s` seconds of monotonic time; thread-safe. One computation per
    scope at a time: while it runs, callers get the previous summary (older by at most the computation's time,
    ~0.1–0.5 s) or, when there is none yet, wait for it, so an expiry under load is one computation, not one per
    request (docs/api.md "Speed")."""

    def __init__(self, max_age_s: float = 5.0) -> None:
        self.max_age_s = max_age_s
        self._lock = threading.Lock()
        self._items: dict[tuple[str, frozenset[str] | None], tuple[float, Summary]] = {}
        self._gates: dict[tuple[str, frozenset[str] | None], threading.Lock] = {}

    def _compute(self, store: Store, county_id: str, visible: frozenset[str] | None, now: datetime) -> Summary:
        return dashboard_summary(store, county_id, visible=visible, now=now)

    def get(self, store: Store, county_id: str, *, visible: frozenset[str] | None, now: datetime) -> Summary:
        key = (county_id, visible)
        with self._lock:
            hit = self._items.get(key)
            if hit is not None and time.monotonic() - hit[0] < self.max_age_s:
                return hit[1]
            gate = self._gates.setdefault(key, threading.Lock())
        if hit is not None and not gate.acquire(blocking=False):
            return hit[1]  # another request is refreshing this scope
        if hit is None:
            gate.acquire()
        try:
            with self._lock:
                again = self._items.get(key)
            if again is not None and time.monotonic() - again[0] < self.max_age_s:
                return again[1]  # computed while this one waited
            summary = self._compute(store, county_id, visible, now)
            with self._lock:
                if len(self._items) > 256:  # one entry per scope in use: a county has a few dozen
                    self._items.clear()
                    self._gates = {k: g for k, g in self._gates.items() if g.locked()}
                self._items[key] = (time.monotonic(), summary)
            return summary
        finally:
            gate.release()
