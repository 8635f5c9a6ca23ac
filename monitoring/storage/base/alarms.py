"""Alarm logic: one open alarm per (subject, rule), optimistic versions, the list filters and their orders."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from monitoring.alarms.listing import AlarmPage, AlarmQuery, Position, in_list_order, position
from monitoring.alarms.models import Alarm, AlarmState
from monitoring.errors import ConflictError, InvalidInputError, NotFoundError


@dataclass(frozen=True, slots=True)
class AlarmFilter:
    """What `AlarmRepository.list` selects: adapters push what their indexes can into the query, and the base
    applies `matches` to whatever comes back, so every backend answers the same."""

    enterprise_id: str | None = None
    states: frozenset[AlarmState] | None = None
    since: datetime | None = None  # created_at >= since
    until: datetime | None = None  # created_at < until
    county_id: str | None = None  # only alarms of this county's enterprises (the backend applies it)

    def matches(self, alarm: Alarm) -> bool:
        return (
            (self.enterprise_id is None or alarm.enterprise_id == self.enterprise_id)
            and (self.states is None or alarm.state in self.states)
            and (self.since is None or alarm.created_at >= self.since)
            and (self.until is None or alarm.created_at < self.until)
        )


def newest_first(alarms: Iterable[Alarm]) -> list[Alarm]:
    return sorted(alarms, key=lambda a: (a.created_at, a.id), reverse=True)


class AlarmRepositoryBase(ABC):
    """Implements `monitoring.alarms.ports.AlarmRepository` over storage primitives."""

    @abstractmethod
    def _get_alarm(self, alarm_id: str) -> Alarm | None: ...

    @abstractmethod
    def _latest_id(self, subject: str, rule: str) -> str | None:
        """The id of the most recently created alarm of (subject, rule)."""

    @abstractmethod
    def _open_alarms(self, enterprise_id: str) -> list[Alarm]:
        """Alarms of the enterprise not closed or retracted, any order."""

    @abstractmethod
    def _query_alarms(self, where: AlarmFilter, limit: int) -> list[Alarm]:
        """At least the newest `limit` alarms matching `where` (more, or non-matching ones, are dropped here)."""

    @abstractmethod
    def _alarm_list(self, query: AlarmQuery, after: Position | None) -> Iterator[Alarm]:
        """Alarms in list order (`listing.position`) strictly after `after`, lazily: every match of `query`,
        and any non-matching ones the backend could not leave out (the base drops them), except that the backend
        itself leaves out alarms outside `query.county_id`."""

    @abstractmethod
    def _dispatched_alarms(self, branch_id: str) -> Iterable[Alarm]:
        """Alarms whose `dispatched_to` is `branch_id`, any order (others the backend returns are dropped here)."""

    @abstractmethod
    def _insert_alarm(self, alarm: Alarm) -> None:
        """Store a new alarm atomically: ConflictError if its id exists or another alarm of its (subject, rule)
        is open — checked by the backend itself, so racing writers cannot both win."""

    @abstractmethod
    def _replace_alarm(self, alarm: Alarm, expected_version: int, *, is_latest: bool) -> None:
        """Replace the stored alarm if its version is still `expected_version`, else ConflictError. `is_latest`:
        it is the newest alarm of its (subject, rule), whose open flag guards new ones."""

    def get(self, alarm_id: str) -> Alarm:
        alarm = self._get_alarm(alarm_id)
        if alarm is None:
            raise NotFoundError(f"alarm {alarm_id} not found")
        return alarm

    def latest(self, subject: str, rule: str) -> Alarm | None:
        alarm_id = self._latest_id(subject, rule)
        return None if alarm_id is None else self.get(alarm_id)

    def open_for_enterprise(self, enterprise_id: str) -> list[Alarm]:
        return sorted(self._open_alarms(enterprise_id), key=lambda a: (a.created_at, a.id))

    def list(
        self,
        *,
        enterprise_id: str | None = None,
        states: Sequence[AlarmState] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 1000,
        county_id: str | None = None,
    ) -> list[Alarm]:
        if limit < 1:
            raise InvalidInputError(f"limit must be positive, got {limit}")
        if states is not None and not states:
            return []
        where = AlarmFilter(enterprise_id, None if states is None else frozenset(states), since, until, county_id)
        return newest_first(a for a in self._query_alarms(where, limit) if where.matches(a))[:limit]

    def page(self, query: AlarmQuery, *, after: Position | None = None, limit: int = 50) -> AlarmPage:
        if not 1 <= limit <= 500:
            raise InvalidInputError(f"limit must be 1..500, got {limit}")
        if query.empty:
            return AlarmPage([], None)
        found: list[Alarm] = []
        if query.dispatched_to is None:
            candidates: Iterable[Alarm] = self._alarm_list(query, after)
        else:  # a branch's cases sent from elsewhere: few, read whole and ordered here
            candidates = in_list_order(self._dispatched_alarms(query.dispatched_to))
        for alarm in candidates:
            if after is not None and position(alarm) <= after or not query.matches(alarm):
                continue
            if len(found) == limit:
                return AlarmPage(found, position(found[-1]))
            found.append(alarm)
        return AlarmPage(found, None)

    def put(self, alarm: Alarm, *, expected_version: int | None) -> Alarm:
        if expected_version is None:
            stored = replace(alarm, version=1)
            self._insert_alarm(stored)
            return stored
        stored = replace(alarm, version=expected_version + 1)
        is_latest = self._latest_id(alarm.subject, alarm.rule) == alarm.id
        if stored.open and not is_latest:
            raise ConflictError(f"alarm {alarm.id}: only the latest alarm of {alarm.subject}/{alarm.rule} may be open")
        self._replace_alarm(stored, expected_version, is_latest=is_latest)
        return stored
