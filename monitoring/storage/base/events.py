"""Events logic: idempotent on event_id, TTL from the event's own time, validated range queries."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from datetime import datetime

from monitoring._time import require_utc
from monitoring.errors import InvalidInputError
from monitoring.events.models import Event, EventKind
from monitoring.storage.base.readings import check_range
from monitoring.storage.retention import RetentionPolicy, expires_at

# Kinds that can be listed across terminals (`events_of_kind`): platform events about MNs that have no point,
# indexed by kind (DynamoDB: the sparse gsi1 under "kind#<kind>"; sqlite: event_by_kind).
LISTED_KINDS = frozenset({EventKind.UNREGISTERED_SEEN, EventKind.UNREGISTERED_THROTTLED})


class EventsRepositoryBase(ABC):
    """Implements `EventsRepository` over storage primitives."""

    def __init__(self, *, retention: RetentionPolicy | None = None) -> None:
        self.retention = retention or RetentionPolicy()

    @abstractmethod
    def _insert_events(self, items: Sequence[tuple[Event, int | None]]) -> list[bool]:
        """Insert each (event, ttl) unless its event_id exists; True where inserted."""

    @abstractmethod
    def _query_events(self, by: str, value: str, start: datetime, end: datetime, limit: int) -> list[Event]:
        """by is "mn", "point" or "kind" (one of LISTED_KINDS): events with start ≤ occurred_at < end,
        ascending by occurred_at then id."""

    @abstractmethod
    def _purge_expired(self, now_epoch: int) -> int:
        """Delete events whose TTL ≤ now (a no-op where the backend expires items itself)."""

    def put_event(self, event: Event) -> bool:
        return self.put_events([event])[0]

    def put_events(self, events: Iterable[Event]) -> list[bool]:
        batch = list(events)
        if not batch:
            return []
        return self._insert_events([(e, expires_at(e.occurred_at, self.retention.event_days)) for e in batch])

    def events_for_mn(self, mn: str, start: datetime, end: datetime, *, limit: int = 10_000) -> list[Event]:
        start, end = check_range(start, end, limit)
        return self._query_events("mn", mn, start, end, limit)

    def events_for_point(self, point_id: str, start: datetime, end: datetime, *, limit: int = 10_000) -> list[Event]:
        start, end = check_range(start, end, limit)
        return self._query_events("point", point_id, start, end, limit)

    def events_of_kind(self, kind: EventKind, start: datetime, end: datetime, *, limit: int = 10_000) -> list[Event]:
        """Events of one of LISTED_KINDS, of every terminal, with start ≤ occurred_at < end, oldest first."""
        if kind not in LISTED_KINDS:
            raise InvalidInputError(f"events of kind {kind!r} cannot be listed across terminals")
        start, end = check_range(start, end, limit)
        return self._query_events("kind", kind.value, start, end, limit)

    def purge_expired(self, now: datetime) -> int:
        return self._purge_expired(int(require_utc(now, "now").timestamp()))
