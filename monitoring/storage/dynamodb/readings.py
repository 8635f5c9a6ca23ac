"""Readings in DynamoDB: conditional puts for idempotency; "latest" read straight from the history.

More: docs/dynamodb.md, "Module notes".
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Container, Sequence
from datetime import UTC, date, datetime
from typing import Any

from monitoring.clock import Clock
from monitoring.readings.models import Aggregate, AggregatePeriod, Completeness, Reading, ReadingKind
from monitoring.storage import codec
from monitoring.storage.base.readings import ReadingsRepositoryBase
from monitoring.storage.dynamodb import compact, schema
from monitoring.storage.dynamodb._client import put_new, time_key, time_range, translate, write_all
from monitoring.storage.dynamodb.models import ExpiringItem, ReadingItem
from monitoring.storage.retention import RetentionPolicy


def _ttl(epoch: int | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC)


def purge_by_scan(model: type[ExpiringItem], now_epoch: int) -> int:
    """Delete items whose TTL has passed, by scanning the whole table. Maintenance only, never on a hot path:
    in AWS, DynamoDB's own TTL deletes expired items (within about two days) and this should not be scheduled."""
    removed = 0
    with translate(f"purge {model.Meta.table_name}"), model.batch_write() as batch:
        for item in model.scan(model.expires_at <= _ttl(now_epoch)):
            batch.delete(item)
            removed += 1
    return removed


def _reading(item: ReadingItem, point_id: str, kind: ReadingKind) -> Reading | None:
    z = item.z
    if z is not None:
        if compact.is_compact(z):
            return compact.decode_reading(z, point_id, kind, datetime.fromisoformat(item.sk))
        return codec.loads(Reading, zlib.decompress(z).decode())  # zlib JSON: written before the compact body
    return None if item.body is None else codec.loads(Reading, item.body)  # written before compression


def _aggregate(item: ReadingItem, point_id: str, period: AggregatePeriod) -> Aggregate | None:
    z = item.z
    if z is not None:
        if compact.is_compact(z):
            return compact.decode_aggregate(z, point_id, period, datetime.fromisoformat(item.sk))
        return codec.loads(Aggregate, zlib.decompress(z).decode())
    return None if item.body is None else codec.loads(Aggregate, item.body)


def _reading_body(reading: Reading) -> bytes:
    # The legacy zlib JSON for what the compact layout cannot carry (a line break in the MN, say): still read.
    return compact.encode_reading(reading) or zlib.compress(codec.dumps(reading).encode(), 6)


def _aggregate_body(aggregate: Aggregate) -> bytes:
    return compact.encode_aggregate(aggregate) or zlib.compress(codec.dumps(aggregate).encode(), 6)


class DynamoDBReadingsRepository(ReadingsRepositoryBase):
    def __init__(
        self,
        readings: type[ReadingItem],
        client: Any,
        *,
        retention: RetentionPolicy | None = None,
        clock: Clock | None = None,
        scan_purge: bool = False,
    ) -> None:
        super().__init__(retention=retention, clock=clock)
        self._readings = readings
        self._client, self._table = client, readings.Meta.table_name  # the models' client (adapter.bind_client)
        self._scan_purge = scan_purge

    def _insert_readings(self, items: Sequence[tuple[Reading, int | None]]) -> list[bool]:
        return write_all(items, lambda it: (it[0].point_id, it[0].kind, it[0].data_time), self._insert_one)

    def _insert_one(self, entry: tuple[Reading, int | None]) -> bool:
        # The item a ReadingItem(pk, sk, t="rd", z=..., expires_at=...) saves, without the model (decode's hot path)
        reading, ttl = entry
        item: dict[str, Any] = {
            schema.PK: {"S": f"rd#{reading.point_id}#{reading.kind.value}"},
            schema.SK: {"S": time_key(reading.data_time)},
            schema.ITEM_TYPE: {"S": "rd"},
            "z": {"B": _reading_body(reading)},  # a tenth of the JSON: fewer read units and stored bytes
        }
        if ttl is not None:
            item[schema.TTL_ATTRIBUTE] = {"N": str(ttl)}
        return put_new(self._client, self._table, item, "put reading")  # False: already stored (a redelivery)

    def _advance_latest(self, readings: Sequence[Reading]) -> None:
        """Nothing to write: `_get_latest` reads the newest stored reading (see the module docstring)."""

    def _get_latest(self, point_id: str, kind: ReadingKind) -> Reading | None:
        horizon = time_key(self.clock.now() + self.future_tolerance)
        with translate("get latest reading"):
            found = list(
                self._readings.query(
                    f"rd#{point_id}#{kind.value}",
                    self._readings.sk <= horizon,
                    scan_index_forward=False,
                    limit=1,
                    consistent_read=True,
                )
            )
        return _reading(found[0], point_id, kind) if found else None

    def _query_readings(
        self, point_id: str, kind: ReadingKind, start: datetime, end: datetime, limit: int, *, consistent: bool = True
    ) -> list[Reading]:
        bounds = time_range(start, end)
        if bounds is None:
            return []
        with translate("query readings"):
            items = self._readings.query(
                f"rd#{point_id}#{kind.value}",
                self._readings.sk.between(*bounds),
                consistent_read=consistent,
                limit=limit,
                page_size=min(limit, 1000),
            )
            found = (_reading(item, point_id, kind) for item in items)
            return [r for r in found if r is not None]

    def settled_readings(self, point_id: str, kind: ReadingKind, start: datetime, end: datetime) -> list[Reading]:
        """`readings` read eventually consistent (half the read units): for minutes older than a second or two,
        which is all the rules judge (they stay `settle_min` behind the clock)."""
        return self._query_readings(point_id, kind, start, end, 100_000, consistent=False)

    def settled_readings_keyed(
        self, point_id: str, kind: ReadingKind, start: datetime, end: datetime, known: Container[str]
    ) -> list[tuple[str, Reading | None]]:
        """`settled_readings` with each reading's sort key; a reading whose key is in `known` (one the caller
        decoded before: a stored reading never changes) comes back as None instead of being decoded again."""
        bounds = time_range(start, end)
        if bounds is None:
            return []
        out: list[tuple[str, Reading | None]] = []
        with translate("query readings"):
            for item in self._readings.query(
                f"rd#{point_id}#{kind.value}", self._readings.sk.between(*bounds), page_size=1000
            ):
                key = item.sk
                if key in known:
                    out.append((key, None))
                elif (reading := _reading(item, point_id, kind)) is not None:
                    out.append((key, reading))
        return out

    def _put_aggregate(self, aggregate: Aggregate, ttl: int | None) -> None:
        item = self._readings(
            f"ag#{aggregate.point_id}#{aggregate.period.value}",
            time_key(aggregate.start),
            t="ag",
            z=_aggregate_body(aggregate),
            expires_at=_ttl(ttl),
        )
        with translate("put aggregate"):
            item.save()  # upsert: a recomputation replaces the previous figures

    def _query_aggregates(
        self, point_id: str, period: AggregatePeriod, start: datetime, end: datetime
    ) -> list[Aggregate]:
        bounds = time_range(start, end)
        if bounds is None:
            return []
        with translate("query aggregates"):
            items = self._readings.query(
                f"ag#{point_id}#{period.value}", self._readings.sk.between(*bounds), consistent_read=True
            )
            found = (_aggregate(item, point_id, period) for item in items)
            return [a for a in found if a is not None]

    def _query_hours_with_data(self, point_ids: list[str], start: datetime, end: datetime) -> dict[str, set[datetime]]:
        # The items are read anyway; reading two fields of the JSON costs a tenth of decoding the whole aggregate.
        bounds = time_range(start, end)
        out: dict[str, set[datetime]] = {pid: set() for pid in point_ids}
        if bounds is None:
            return out
        for pid in point_ids:
            with translate("query aggregates"):
                items = self._readings.query(
                    f"ag#{pid}#{AggregatePeriod.HOUR.value}", self._readings.sk.between(*bounds), consistent_read=True
                )
                for item in items:
                    if item.z is not None and compact.is_compact(item.z):
                        if compact.aggregate_samples(item.z) > 0:
                            out[pid].add(datetime.fromisoformat(item.sk))
                        continue
                    text = zlib.decompress(item.z).decode() if item.z is not None else item.body
                    if text is None:
                        continue
                    fields = json.loads(text)
                    if fields.get("samples", 0) > 0:
                        out[pid].add(datetime.fromisoformat(fields["start"]).astimezone(UTC))
        return out

    def _put_completeness(self, completeness: Completeness) -> None:
        item = self._readings(
            f"cp#{completeness.point_id}", completeness.day.isoformat(), t="cp", body=codec.dumps(completeness)
        )
        with translate("put completeness"):
            item.save()

    def _query_completeness(self, point_id: str, first_day: date, last_day: date) -> list[Completeness]:
        with translate("query completeness"):
            items = self._readings.query(
                f"cp#{point_id}",
                self._readings.sk.between(first_day.isoformat(), last_day.isoformat()),
                consistent_read=True,
            )
            return [codec.loads(Completeness, item.body) for item in items if item.body]

    def _purge_expired(self, now_epoch: int) -> int:
        return purge_by_scan(self._readings, now_epoch) if self._scan_purge else 0
