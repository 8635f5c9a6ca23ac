"""Fault reports and stoppage requests as lists over the store: scoped, filtered, newest first, with the
deemed-approval deadline and the 2-hour filing limit worked out for the reader."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from monitoring.errors import InvalidInputError
from monitoring.reports.models import Decision, FaultReport, StoppageRequest
from monitoring.reports.service import decision_deadline, effective_decision
from monitoring.storage.base import ReportPosition, report_position
from monitoring.storage.ports import Store

T = TypeVar("T")
R = TypeVar("R", FaultReport, StoppageRequest)
Position = ReportPosition  # (filed_at as UTC ISO text, id) of the last item of a page


@dataclass(frozen=True, slots=True)
class StoppageView:
    request: StoppageRequest
    effective: Decision  # deemed_approved once the 5 working days have passed undecided
    deadline: datetime


def _scope(visible: frozenset[str] | None, chosen: Iterable[str]) -> frozenset[str] | None:
    """The enterprises to list: the scope (None: the county) cut by the filter; None means every enterprise."""
    ids = frozenset(chosen)
    if visible is None:
        return ids or None
    return visible & ids if ids else visible


def _page(items: Iterator[T], key: Callable[[T], Position], limit: int) -> tuple[list[T], Position | None]:
    """The first `limit` of a newest-first stream, and the position after which the next page starts."""
    if not 1 <= limit <= 500:
        raise InvalidInputError(f"limit must be 1..500, got {limit}")
    page: list[T] = []
    for item in items:
        if len(page) == limit:
            return page, key(page[-1])
        page.append(item)
    return page, None


def fault_reports(
    store: Store,
    visible: frozenset[str] | None,
    *,
    enterprises: Iterable[str] = (),
    open_only: bool = False,
    since: datetime | None = None,
    after: Position | None = None,
    limit: int = 50,
    county_id: str | None = None,
) -> tuple[list[FaultReport], Position | None]:
    """Newest first; reads about one page (stops at `since`, which the order makes the end). `county_id`: only
    that county's enterprises (the caller's: a county-wide scope is its county, not every county)."""
    scope = _scope(visible, enterprises)
    if scope is not None and not scope:
        return [], None
    found = (
        f
        for f in _until(store.reports.recent_faults(scope, before=after, county_id=county_id), since)
        if not open_only or f.resolved_at is None
    )
    return _page(found, lambda f: report_position(f.filed_at, f.id), limit)


def stoppage_requests(
    store: Store,
    visible: frozenset[str] | None,
    now: datetime,
    *,
    enterprises: Iterable[str] = (),
    decisions: frozenset[Decision] | None = None,
    since: datetime | None = None,
    after: Position | None = None,
    limit: int = 50,
    county_id: str | None = None,
) -> tuple[list[StoppageView], Position | None]:
    scope = _scope(visible, enterprises)
    if scope is not None and not scope:
        return [], None
    views = (
        StoppageView(s, effective_decision(s, now), decision_deadline(s))
        for s in _until(store.reports.recent_stoppages(scope, before=after, county_id=county_id), since)
    )
    kept = (v for v in views if decisions is None or v.effective in decisions)
    return _page(kept, lambda v: report_position(v.request.filed_at, v.request.id), limit)


def _until(items: Iterator[R], since: datetime | None) -> Iterator[R]:
    """Newest first until one filed before `since`."""
    for item in items:
        if since is not None and item.filed_at < since:
            return
        yield item
