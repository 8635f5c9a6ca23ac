"""Readings logic: idempotent insert, the monotonic per-point "latest", TTLs, and query validation.

More: docs/monitoring.md, "Module notes".
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import date, datetime, timedelta

from monitoring._time import require_utc
from monitoring.clock import Clock, SystemClock
from monitoring.errors import InvalidInputError
from monitoring.readings.models import (
    QUANTITIES,
    Aggregate,
    AggregatePeriod,
    Completeness,
    Reading,
    ReadingKind,
    ValueRow,
)
from monitoring.storage.retention import RetentionPolicy, expires_at

MAX_QUERY_LIMIT = 100_000


def check_range(start: datetime, end: datetime, limit: int) -> tuple[datetime, datetime]:
    """Validate a [start, end) query window and limit."""
    start, end = require_utc(start, "start"), require_utc(end, "end")
    if end < start:
        raise InvalidInputError("end is before start")
    if not (1 <= limit <= MAX_QUERY_LIMIT):
        raise InvalidInputError(f"limit must be within 1..{MAX_QUERY_LIMIT}")
    return start, end


def value_names(names: Sequence[str]) -> tuple[str, ...]:
    """The quantities a `values` call asks for, each once; unknown names or none are refused."""
    unknown = [n for n in names if n not in QUANTITIES]
    if unknown or not names:
        raise InvalidInputError(f"unknown or no quantities: {unknown[:3]}")
    return tuple(dict.fromkeys(names))


def value_rows(readings: Sequence[Reading], names: tuple[str, ...]) -> list[ValueRow]:
    """`names` of each reading (values, and flags other than "N"): what a chart needs, without whole records."""
    return [
        ValueRow(
            r.data_time,
            {n: r.values[n] for n in names if n in r.values},
            {n: f for n in names if (f := r.flags.get(n, "N")) != "N"},
        )
        for r in readings
    ]


class ReadingsRepositoryBase(ABC):
    """Implements `ReadingsRepository` over storage primitives."""

    def __init__(
        self,
        *,
        retention: RetentionPolicy | None = None,
        clock: Clock | None = None,
        future_tolerance: timedelta = timedelta(hours=1),
    ) -> None:
        self.retention = retention or RetentionPolicy()
        self.clock: Clock = clock or SystemClock()
        self.future_tolerance = future_tolerance

    # ---- primitives ---------------------------------------------------------------------------------
    def _batch(self) -> AbstractContextManager[object]:
        """Optional: make the primitives called inside one atomic, durable unit (sqlite: one transaction)."""
        return nullcontext()

    @abstractmethod
    def _insert_readings(self, items: Sequence[tuple[Reading, int | None]]) -> list[bool]:
        """Insert each (reading, ttl epoch s) unless (point_id, kind, data_time) exists; True where inserted.
        The whole batch should be durable when this returns."""

    @abstractmethod
    def _advance_latest(self, readings: Sequence[Reading]) -> None:
        """For each reading (at most one per point and kind), store it as that pair's latest if no stored latest
        has a data_time ≥ its own. Must be conditional so concurrent writers never move it backwards."""

    @abstractmethod
    def _get_latest(self, point_id: str, kind: ReadingKind) -> Reading | None: ...

    @abstractmethod
    def _query_readings(
        self, point_id: str, kind: ReadingKind, start: datetime, end: datetime, limit: int
    ) -> list[Reading]:
        """Readings with start ≤ data_time < end, ascending by data_time, at most `limit`."""

    @abstractmethod
    def _put_aggregate(self, aggregate: Aggregate, ttl: int | None) -> None:
        """Upsert on (point_id, period, start)."""

    @abstractmethod
    def _query_aggregates(
        self, point_id: str, period: AggregatePeriod, start: datetime, end: datetime
    ) -> list[Aggregate]:
        """Aggregates with start ≤ aggregate.start < end, ascending."""

    @abstractmethod
    def _put_completeness(self, completeness: Completeness) -> None:
        """Upsert on (point_id, day)."""

    @abstractmethod
    def _query_completeness(self, point_id: str, first_day: date, last_day: date) -> list[Completeness]:
        """Rows with first_day ≤ day ≤ last_day, ascending."""

    @abstractmethod
    def _purge_expired(self, now_epoch: int) -> int:
        """Delete readings/aggregates whose TTL ≤ now (DynamoDB's native TTL makes this a no-op there)."""

    # ---- shared logic -------------------------------------------------------------------------------
    def put_reading(self, reading: Reading) -> bool:
        """Store one reading; False when it was already there (a duplicate delivery)."""
        return self.put_readings([reading])[0]

    def put_readings(self, readings: Sequence[Reading]) -> list[bool]:
        """Store a batch idempotently and advance each point's latest; returns which were new."""
        if not readings:
            return []
        items = [(r, expires_at(r.data_time, self.retention.reading_days(r.kind))) for r in readings]
        # Always advance, even for duplicates: a crash between insert and advance must heal on redelivery.
        horizon = self.clock.now() + self.future_tolerance
        newest: dict[tuple[str, ReadingKind], Reading] = {}
        for r in readings:
            if r.data_time > horizon:
                continue
            key = (r.point_id, r.kind)
            if key not in newest or r.data_time > newest[key].data_time:
                newest[key] = r
        with self._batch():
            inserted = self._insert_readings(items)
            if newest:
                self._advance_latest(list(newest.values()))
        return inserted

    def readings(
        self, point_id: str, kind: ReadingKind, start: datetime, end: datetime, *, limit: int = 10_000
    ) -> list[Reading]:
        start, end = check_range(start, end, limit)
        return self._query_readings(point_id, ReadingKind(kind), start, end, limit)

    def values(
        self,
        point_id: str,
        kind: ReadingKind,
        start: datetime,
        end: datetime,
        names: Sequence[str],
        *,
        limit: int = 10_000,
    ) -> list[ValueRow]:
        """`names` of each reading in [start, end), ascending: what a chart needs, without whole records."""
        start, end = check_range(start, end, limit)
        return self._query_values(point_id, ReadingKind(kind), start, end, value_names(names), limit)

    def _query_values(
        self, point_id: str, kind: ReadingKind, start: datetime, end: datetime, names: tuple[str, ...], limit: int
    ) -> list[ValueRow]:
        """Optional primitive (sqlite reads the fields in SQL); by default the readings, projected."""
        return value_rows(self._query_readings(point_id, kind, start, end, limit), names)

    def latest(self, point_id: str, kind: ReadingKind) -> Reading | None:
        return self._get_latest(point_id, ReadingKind(kind))

    def latest_all_kinds(self, point_id: str) -> dict[ReadingKind, Reading]:
        found = {kind: self._get_latest(point_id, kind) for kind in ReadingKind}
        return {kind: r for kind, r in found.items() if r is not None}

    def put_aggregate(self, aggregate: Aggregate) -> None:
        ttl = expires_at(aggregate.start, self.retention.aggregate_days(aggregate.period))
        self._put_aggregate(aggregate, ttl)

    def aggregates(self, point_id: str, period: AggregatePeriod, start: datetime, end: datetime) -> list[Aggregate]:
        start, end = check_range(start, end, 1)
        return self._query_aggregates(point_id, AggregatePeriod(period), start, end)

    def aggregates_of(
        self, point_ids: Sequence[str], period: AggregatePeriod, start: datetime, end: datetime
    ) -> dict[str, list[Aggregate]]:
        """`aggregates` of several points at once (every id a key, [] when it has none)."""
        start, end = check_range(start, end, 1)
        unique = list(dict.fromkeys(point_ids))
        return self._query_aggregates_of(unique, AggregatePeriod(period), start, end) if unique else {}

    def _query_aggregates_of(
        self, point_ids: list[str], period: AggregatePeriod, start: datetime, end: datetime
    ) -> dict[str, list[Aggregate]]:
        """One query per point; an adapter that can read them together overrides this."""
        return {pid: self._query_aggregates(pid, period, start, end) for pid in point_ids}

    def hours_with_data(self, point_ids: Sequence[str], start: datetime, end: datetime) -> dict[str, set[datetime]]:
        """Per point (every id a key), the starts of its hourly aggregates in [start, end) with samples > 0."""
        start, end = check_range(start, end, 1)
        unique = list(dict.fromkeys(point_ids))
        return self._query_hours_with_data(unique, start, end) if unique else {}

    def _query_hours_with_data(self, point_ids: list[str], start: datetime, end: datetime) -> dict[str, set[datetime]]:
        """Optional primitive (sqlite reads `samples` in SQL, DynamoDB without decoding whole aggregates, since a
        month of a county's hours is ~430,000 of them); by default the decoded aggregates."""
        found = self._query_aggregates_of(point_ids, AggregatePeriod.HOUR, start, end)
        return {pid: {a.start for a in aggs if a.samples > 0} for pid, aggs in found.items()}

    def put_completeness(self, completeness: Completeness) -> None:
        self._put_completeness(completeness)

    def completeness(self, point_id: str, first_day: date, last_day: date) -> list[Completeness]:
        if last_day < first_day:
            raise InvalidInputError("last_day is before first_day")
        return self._query_completeness(point_id, first_day, last_day)

    def purge_expired(self, now: datetime) -> int:
        return self._purge_expired(int(require_utc(now, "now").timestamp()))
