"""Fault reports and stoppage requests as lists over the store: scoped, filtered, newest first, with the
deemed-approval deadline and the 2-hour filing limit worked out for the reader."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from monitoring.errors import InvalidInputError
from monitoring.reports.models import Decision, FaultReport, StoppageRequest
from monitoring.reports.service import decision_deadline, effective_decision
from monitoring.storage.ports import Store

T = TypeVar("T")
Position = tuple[str, str]  # (filed_at ISO in UTC, id) of the last item of a page


@dataclass(frozen=True, slots=True)
class StoppageView:
    request: StoppageRequest
    effective: Decision  # deemed_approved once the 5 working days have passed undecided
    deadline: datetime


def _enterprises(store: Store, county_id: str, visible: frozenset[str] | None, chosen: Iterable[str]) -> list[str]:
    ids = set(chosen)
    if visible is None:
        base = {e.enterprise_id for e in store.registry.list_enterprises(county_id)}
    else:
        base = set(visible)
    return sorted(base & ids if ids else base)


def _position(filed_at: datetime, ident: str) -> Position:
    return (filed_at.isoformat(), ident)


def _page(
    items: Sequence[T], key: Callable[[T], Position], after: Position | None, limit: int
) -> tuple[list[T], Position | None]:
    """Newest first; the page after `after` (exclusive)."""
    if not 1 <= limit <= 500:
        raise InvalidInputError(f"limit must be 1..500, got {limit}")
    ordered = sorted(items, key=key, reverse=True)
    rest = [i for i in ordered if after is None or key(i) < after]
    page = rest[:limit]
    return page, key(page[-1]) if len(rest) > limit else None


def fault_reports(
    store: Store,
    county_id: str,
    visible: frozenset[str] | None,
    *,
    enterprises: Iterable[str] = (),
    open_only: bool = False,
    since: datetime | None = None,
    after: Position | None = None,
    limit: int = 50,
) -> tuple[list[FaultReport], Position | None]:
    found = [
        f
        for eid in _enterprises(store, county_id, visible, enterprises)
        for f in store.reports.faults_for(eid)
        if (not open_only or f.resolved_at is None) and (since is None or f.filed_at >= since)
    ]
    return _page(found, lambda f: _position(f.filed_at, f.id), after, limit)


def stoppage_requests(
    store: Store,
    county_id: str,
    visible: frozenset[str] | None,
    now: datetime,
    *,
    enterprises: Iterable[str] = (),
    decisions: frozenset[Decision] | None = None,
    since: datetime | None = None,
    after: Position | None = None,
    limit: int = 50,
) -> tuple[list[StoppageView], Position | None]:
    views = [
        StoppageView(s, effective_decision(s, now), decision_deadline(s))
        for eid in _enterprises(store, county_id, visible, enterprises)
        for s in store.reports.stoppages_for(eid)
        if since is None or s.filed_at >= since
    ]
    if decisions is not None:
        views = [v for v in views if v.effective in decisions]
    return _page(views, lambda v: _position(v.request.filed_at, v.request.id), after, limit)
