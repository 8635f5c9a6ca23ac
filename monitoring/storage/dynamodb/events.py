"""Events in DynamoDB: pk "ev#<mn>" / sk "<occurred_at>#<event_id>", written only if absent; a sparse GSI lists
a point's events (gsi1pk "pt#<point>", same sort key) and, under "kind#<kind>", the events of LISTED_KINDS.
Arrival notes for the rules: pk "ev#~new" / sk "<arrival minute>#<mn>" (the listener may write only "ev#" keys).

More: docs/dynamodb.md, "Module notes".
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from pynamodb.exceptions import PynamoDBException

from monitoring.clock import Clock
from monitoring.events.models import Event
from monitoring.storage import codec
from monitoring.storage.base.events import LISTED_KINDS, EventsRepositoryBase
from monitoring.storage.dynamodb._client import is_condition_failure, time_key, time_range, translate, write_all
from monitoring.storage.dynamodb.models import EventItem
from monitoring.storage.dynamodb.readings import purge_by_scan
from monitoring.storage.retention import RetentionPolicy

NOTES_PK = "ev#~new"  # "~" is no MN character (hj212 MNs are letters and digits), so no terminal's partition
NOTE_DAYS = 1  # notes expire after a day: a rule tick reads only the last few minutes' notes


def _sort_key(event: Event) -> str:
    return f"{time_key(event.occurred_at)}#{event.event_id}"


class DynamoDBEventsRepository(EventsRepositoryBase):
    def __init__(
        self,
        model: type[EventItem],
        *,
        retention: RetentionPolicy | None = None,
        scan_purge: bool = False,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(retention=retention, clock=clock)
        self._model = model
        self._scan_purge = scan_purge

    def _insert_events(self, items: Sequence[tuple[Event, int | None]]) -> list[bool]:
        return write_all(items, lambda it: (it[0].mn, _sort_key(it[0])), self._insert_one)

    def _insert_one(self, entry: tuple[Event, int | None]) -> bool:
        event, ttl = entry
        item = self._model(
            f"ev#{event.mn}",
            _sort_key(event),
            t="ev",
            body=codec.dumps(event),
            expires_at=None if ttl is None else datetime.fromtimestamp(ttl, UTC),
        )
        if event.point_id:
            item.gsi1pk = f"pt#{event.point_id}"
            item.gsi1sk = _sort_key(event)
        elif event.kind in LISTED_KINDS:
            item.gsi1pk = f"kind#{event.kind.value}"
            item.gsi1sk = _sort_key(event)
        try:
            item.save(condition=self._model.pk.does_not_exist())
            return True
        except PynamoDBException as exc:
            if not is_condition_failure(exc):
                with translate("put event"):
                    raise
            return False

    def _put_notes(self, mns: Sequence[str], minute: datetime) -> None:
        expires = minute + timedelta(days=NOTE_DAYS)
        with translate("note new events"):  # PutItem each (usually one MN): the listener may not BatchWriteItem
            for mn in mns:
                self._model(NOTES_PK, f"{time_key(minute)}#{mn}", t="evnote", expires_at=expires).save()

    def _noted_since(self, minute: datetime) -> set[str] | None:
        # Strongly consistent: a note missed here is never read again once this tick's minute has passed.
        with translate("read event notes"):
            items = self._model.query(NOTES_PK, self._model.sk >= time_key(minute), consistent_read=True)
            return {item.sk.partition("#")[2] for item in items}

    def _query_events(
        self, by: str, value: str, start: datetime, end: datetime, limit: int, consistent: bool = True
    ) -> list[Event]:
        bounds = time_range(start, end)
        if bounds is None:
            return []
        low, high = bounds[0], bounds[1] + "#~"  # "~" sorts after every id character
        page = min(limit, 1000)
        with translate(f"query events by {by}"):
            if by == "mn":
                items = self._model.query(
                    f"ev#{value}",
                    self._model.sk.between(low, high),
                    consistent_read=consistent,
                    limit=limit,
                    page_size=page,
                )
            elif by in ("point", "kind"):
                prefix = "pt" if by == "point" else "kind"
                items = self._model.gsi1.query(  # type: ignore[attr-defined]
                    f"{prefix}#{value}", self._model.gsi1sk.between(low, high), limit=limit, page_size=page
                )
            else:
                raise ValueError(f"events cannot be listed by {by!r}")
            return [codec.loads(Event, item.body) for item in items if item.body]

    def _purge_expired(self, now_epoch: int) -> int:
        return purge_by_scan(self._model, now_epoch) if self._scan_purge else 0
