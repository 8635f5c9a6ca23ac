"""Events logic: idempotent on event_id, TTL from the event's own time, validated range queries."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from datetime import datetime

from monitoring._time import require_utc
from monitoring.clock import Clock, SystemClock
from monitoring.errors import InvalidInputError
from monitoring.events.models import Event, EventKind
from monitoring.storage.base.readings import check_range
from monitoring.storage.retention import RetentionPolicy, expires_at

# Kinds that can be listed across terminals (`events_of_kind`): platform events about MNs that have no point,
# indexed by kind (DynamoDB: the sparse gsi1 under "kind#<kind>"; sqlite: event_by_kind).
LISTED_KINDS = frozenset({EventKind.UNREGISTERED_SEEN, EventKind.UNREGISTERED_THROTTLED, EventKind.OTHER_COUNTY})
# Kinds the rules judge (monitoring.rules.store_inputs.EVENT_KINDS): storing one notes its MN and arrival minute, so
# a warm rule tick reads only the terminals with such notes (`mns_with_new_events`) instead of every terminal.
NOTED_KINDS = frozenset({EventKind.POWER_LOSS, EventKind.POWER_RESTORE, EventKind.PARAM_CHANGE})
NOTED_KINDS |= {EventKind.DUPLICATE_MN, EventKind.CLOCK_SKEW}
NOTE_MEMO = 10_000  # event ids a process remembers having noted (decode re-puts an hour's clock-skew event often)


class EventsRepositoryBase(ABC):
    """Implements `EventsRepository` over storage primitives."""

    def __init__(self, *, retention: RetentionPolicy | None = None, clock: Clock | None = None) -> None:
        self.retention = retention or RetentionPolicy()
        self._clock = clock or SystemClock()
        self._noted: dict[str, None] = {}  # insertion-ordered: the oldest are forgotten first

    @abstractmethod
    def _insert_events(self, items: Sequence[tuple[Event, int | None]]) -> list[bool]:
        """Insert each (event, ttl) unless its event_id exists; True where inserted."""

    @abstractmethod
    def _query_events(
        self, by: str, value: str, start: datetime, end: datetime, limit: int, consistent: bool = True
    ) -> list[Event]:
        """by is "mn", "point" or "kind" (one of LISTED_KINDS): events with start ≤ occurred_at < end,
        ascending by occurred_at then id."""

    @abstractmethod
    def _purge_expired(self, now_epoch: int) -> int:
        """Delete events whose TTL ≤ now (a no-op where the backend expires items itself)."""

    def _put_notes(self, mns: Sequence[str], minute: datetime) -> None:
        """Note that events of `mns` were stored at `minute` (arrival, UTC); a backend without notes does nothing."""
        del mns, minute

    def _noted_since(self, minute: datetime) -> set[str] | None:
        """MNs with notes at `minute` or later; None: this backend keeps no notes."""
        del minute
        return None

    def put_event(self, event: Event) -> bool:
        return self.put_events([event])[0]

    def put_events(self, events: Iterable[Event]) -> list[bool]:
        batch = list(events)
        if not batch:
            return []
        inserted = self._insert_events([(e, expires_at(e.occurred_at, self.retention.event_days)) for e in batch])
        self._note(batch)
        return inserted

    def _note(self, batch: Sequence[Event]) -> None:
        # After the events are stored (a reader that sees the note then finds them), and for each event not noted
        # yet by this process even when it was stored before: a retried batch whose note failed notes it now.
        fresh = [e for e in batch if e.kind in NOTED_KINDS and e.event_id not in self._noted]
        if not fresh:
            return
        self._put_notes(sorted({e.mn for e in fresh}), self._clock.now().replace(second=0, microsecond=0))
        self._noted.update(dict.fromkeys(e.event_id for e in fresh))
        while len(self._noted) > NOTE_MEMO:
            del self._noted[next(iter(self._noted))]

    def mns_with_new_events(self, since: datetime) -> set[str] | None:
        """MNs that had events of NOTED_KINDS stored at `since`'s minute or later (wall clock of the writer);
        None when this backend keeps no such notes (then any MN may have new events)."""
        return self._noted_since(require_utc(since, "since").replace(second=0, microsecond=0))

    def events_for_mn(
        self, mn: str, start: datetime, end: datetime, *, limit: int = 10_000, consistent: bool = True
    ) -> list[Event]:
        """`consistent=False` may miss events stored in the last second or so (DynamoDB: half the read price)."""
        start, end = check_range(start, end, limit)
        return self._query_events("mn", mn, start, end, limit, consistent)

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
