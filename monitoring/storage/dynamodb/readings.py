"""Readings in DynamoDB: conditional puts for idempotency; "latest" read straight from the history.

More: docs/dynamodb.md, "Module notes".
"""

from __future__ import annotations

import heapq
import json
import zlib
from collections.abc import Container, Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from monitoring._time import require_utc
from monitoring.clock import Clock
from monitoring.errors import InvalidInputError, StorageUnavailableError
from monitoring.readings.models import Aggregate, AggregatePeriod, Completeness, Reading, ReadingKind
from monitoring.storage import codec
from monitoring.storage.base.readings import ReadingsRepositoryBase
from monitoring.storage.dynamodb import compact, schema
from monitoring.storage.dynamodb import reading_buckets as rb
from monitoring.storage.dynamodb._client import (
    CONDITION_FAILED,
    put_new,
    time_key,
    time_range,
    translate,
    write_all,
)
from monitoring.storage.dynamodb.models import ExpiringItem, ReadingItem
from monitoring.storage.retention import RetentionPolicy, expires_at

MERGE_ATTEMPTS = 8  # a bucket's writers are one host's flusher (and its redo): a lost race is rare
_BUCKET_REACH = timedelta(minutes=rb.MAX_BUCKET_MINUTES)
_ONE_US = timedelta(microseconds=1)


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
    if item.z is not None:
        return compact.reading_from_body(item.z, point_id, kind, datetime.fromisoformat(item.sk))
    return None if item.body is None else codec.loads(Reading, item.body)  # written before compression


def _aggregate(item: ReadingItem, point_id: str, period: AggregatePeriod) -> Aggregate | None:
    z = item.z
    if z is not None:
        if compact.is_compact(z):
            return compact.decode_aggregate(z, point_id, period, datetime.fromisoformat(item.sk))
        return codec.loads(Aggregate, zlib.decompress(z).decode())
    return None if item.body is None else codec.loads(Aggregate, item.body)


def _aggregate_body(aggregate: Aggregate) -> bytes:
    return compact.encode_aggregate(aggregate) or zlib.compress(codec.dumps(aggregate).encode(), 6)


def _union(
    first: Iterable[tuple[str, Reading | None]], second: Iterable[tuple[str, Reading | None]], limit: int | None
) -> Iterator[tuple[str, Reading | None]]:
    """Two ascending (key, reading) streams merged ascending, each key once (the first stream's wins: a reading
    is the same in both layouts); at most `limit`."""
    previous, count = None, 0
    for key, reading in heapq.merge(first, second, key=lambda pair: pair[0]):
        if key == previous:
            continue
        previous = key
        yield (key, reading)
        count += 1
        if limit is not None and count >= limit:
            return


class DynamoDBReadingsRepository(ReadingsRepositoryBase):
    def __init__(
        self,
        readings: type[ReadingItem],
        client: Any,
        *,
        retention: RetentionPolicy | None = None,
        clock: Clock | None = None,
        scan_purge: bool = False,
        reading_buckets: bool = False,
    ) -> None:
        super().__init__(retention=retention, clock=clock)
        self._readings = readings
        self._client, self._table = client, readings.Meta.table_name  # the models' client (adapter.bind_client)
        self._scan_purge = scan_purge
        # Readers also read the county host's buckets (rb#); off, they make exactly the one query per read as
        # before (the serverless stages write no buckets and must not pay for a second query).
        self.reading_buckets = reading_buckets

    def _insert_readings(self, items: Sequence[tuple[Reading, int | None]]) -> list[bool]:
        return write_all(items, lambda it: (it[0].point_id, it[0].kind, it[0].data_time), self._insert_one)

    def _insert_one(self, entry: tuple[Reading, int | None]) -> bool:
        # The item a ReadingItem(pk, sk, t="rd", z=..., expires_at=...) saves, without the model (decode's hot path)
        reading, ttl = entry
        item: dict[str, Any] = {
            schema.PK: {"S": f"rd#{reading.point_id}#{reading.kind.value}"},
            schema.SK: {"S": time_key(reading.data_time)},
            schema.ITEM_TYPE: {"S": "rd"},
            "z": {"B": compact.reading_body(reading)},  # a tenth of the JSON: fewer read units and stored bytes
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
        latest = _reading(found[0], point_id, kind) if found else None
        if not self.reading_buckets or kind not in rb.BUCKETED_KINDS:
            return latest
        bucketed = self._latest_in_buckets(point_id, kind, horizon)
        if latest is None or (bucketed is not None and bucketed.data_time > latest.data_time):
            return bucketed
        return latest

    def _latest_in_buckets(self, point_id: str, kind: ReadingKind, horizon: str) -> Reading | None:
        """The newest bucketed reading at or before `horizon`: from the bucket that starts last among those holding
        one (a bucket starting at or before the horizon may hold only readings beyond it; then the one before).
        Buckets of one size never overlap; after the host's bucket size grows, an older-starting longer bucket can
        hold newer readings until the next one is written (docs/dynamodb.md)."""
        with translate("get latest reading"):
            for item in self._readings.query(
                rb.bucket_pk(point_id, kind),
                self._readings.sk <= horizon,
                scan_index_forward=False,
                consistent_read=True,
                page_size=2,
            ):
                if item.z is None:
                    continue
                held = [r for key, r in rb.decode_bucket(item.z, point_id, kind) if key <= horizon]
                if held:
                    return held[-1]
        return None

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
            minutes = [r for r in found if r is not None]
        if not self.reading_buckets or kind not in rb.BUCKETED_KINDS:
            return minutes
        keyed = self._bucketed(point_id, kind, start, end, (), consistent=consistent)
        merged = _union([(time_key(r.data_time), r) for r in minutes], keyed, limit)
        return [r for _, r in merged if r is not None]

    def _bucketed(
        self,
        point_id: str,
        kind: ReadingKind,
        start: datetime,
        end: datetime,
        known: Container[str],
        *,
        consistent: bool,
    ) -> list[tuple[str, Reading | None]]:
        """(key, reading) of the bucketed readings in [start, end), ascending; None for a key in `known`. The
        buckets searched start up to MAX_BUCKET_MINUTES before `start` (the one holding `start` may)."""
        bounds = time_range(start - _BUCKET_REACH + _ONE_US, end)
        if bounds is None:
            return []
        first, last = time_key(start), time_key(end - _ONE_US)
        out: list[tuple[str, Reading | None]] = []
        with translate("query reading buckets"):
            for item in self._readings.query(
                rb.bucket_pk(point_id, kind),
                self._readings.sk.between(*bounds),
                consistent_read=consistent,
                page_size=1000,
            ):
                if item.z is not None:
                    held = rb.decode_bucket_keyed(item.z, point_id, kind, known)
                    out.extend((key, r) for key, r in held if first <= key <= last)
        # After the host's bucket size changed, buckets of two sizes can overlap (a longer one starting before a
        # shorter one ends) and, after a lost buffer, hold the same reading: ascending, each key once
        out.sort(key=lambda pair: pair[0])
        return [pair for i, pair in enumerate(out) if i == 0 or pair[0] != out[i - 1][0]]

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
        if not self.reading_buckets or kind not in rb.BUCKETED_KINDS:
            return out
        return list(_union(out, self._bucketed(point_id, kind, start, end, known, consistent=False), None))

    # ---- reading buckets: the county host's minute readings, many per item (reading_buckets.py) ----------
    def merge_bucket(self, point_id: str, kind: ReadingKind, start: datetime, readings: Sequence[Reading]) -> int:
        """Make the stored bucket (point, kind, start) hold the union of what it holds and `readings` (by data
        time; a reading never changes, so the stored one wins); returns how many of `readings` were new to it.

        Put-if-absent first; when the bucket exists, a consistent read, the union, and a put conditional on the
        version read (again on a lost race, at most MERGE_ATTEMPTS times). Redoing a merge writes nothing."""
        kind = ReadingKind(kind)
        start = require_utc(start, "start")
        try:
            rb.check_bucket_readings(point_id, kind, start, readings)
        except ValueError as exc:
            raise InvalidInputError(str(exc)) from exc
        incoming: dict[datetime, Reading] = {}
        for r in readings:
            incoming.setdefault(r.data_time, r)
        if not incoming:
            return 0
        key = self._bucket_key(point_id, kind, start)
        if self._put_bucket(key, kind, list(incoming.values()), None):
            return len(incoming)
        for _ in range(MERGE_ATTEMPTS):
            found = self._get_bucket(key)
            if found is None:  # gone since (its TTL passed): start it again
                if self._put_bucket(key, kind, list(incoming.values()), None):
                    return len(incoming)
                continue
            version, body = found
            held = {r.data_time: r for _, r in rb.decode_bucket(body, point_id, kind)}
            new = [r for at, r in incoming.items() if at not in held]
            if not new:
                return 0
            if self._put_bucket(key, kind, [*held.values(), *new], version):
                return len(new)
        raise StorageUnavailableError(f"merge reading bucket {key[schema.PK]['S']}: lost {MERGE_ATTEMPTS} races")

    def put_bucket_as_items(
        self, point_id: str, kind: ReadingKind, start: datetime, readings: Sequence[Reading]
    ) -> int:
        """The readings of a bucket too large for one item (BucketTooLarge), each as an item of its own, as decode
        writes them (reads merge both layouts): those the stored bucket does not hold already. Returns how many
        were new; InvalidInputError, writing nothing, if one alone would pass the item limit."""
        kind = ReadingKind(kind)
        try:
            rb.check_bucket_readings(point_id, kind, require_utc(start, "start"), readings)
        except ValueError as exc:
            raise InvalidInputError(str(exc)) from exc
        held = self.bucket_times(point_id, kind, start)
        todo = [r for r in readings if r.data_time not in held]
        for r in todo:
            if len(compact.reading_body(r)) > rb.MAX_BODY_BYTES:
                raise InvalidInputError(f"reading {point_id}/{kind.value}@{r.data_time.isoformat()} alone passes "
                                        "DynamoDB's item limit")  # fmt: skip
        return sum(self.put_readings(todo)) if todo else 0

    def bucket_times(self, point_id: str, kind: ReadingKind, start: datetime) -> set[datetime]:
        """The data times the stored bucket (point, kind, start) holds; empty when there is none."""
        found = self._get_bucket(self._bucket_key(point_id, ReadingKind(kind), require_utc(start, "start")))
        return set() if found is None else rb.bucket_data_times(found[1])

    @staticmethod
    def _bucket_key(point_id: str, kind: ReadingKind, start: datetime) -> dict[str, Any]:
        return {schema.PK: {"S": rb.bucket_pk(point_id, kind)}, schema.SK: {"S": time_key(start)}}

    def _get_bucket(self, key: dict[str, Any]) -> tuple[int, bytes] | None:
        """(version, body) of a stored bucket, read consistently; None when there is none."""
        try:
            found = self._client.get_item(
                TableName=self._table, Key=key, ConsistentRead=True, ReturnConsumedCapacity="TOTAL"
            )
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            raise StorageUnavailableError(f"get reading bucket: {code or exc}") from exc
        except BotoCoreError as exc:
            raise StorageUnavailableError(f"get reading bucket: {exc}") from exc
        item = found.get("Item")
        if not item:
            return None
        return int(item["v"]["N"]), bytes(item["z"]["B"])

    def _put_bucket(
        self, key: dict[str, Any], kind: ReadingKind, readings: Sequence[Reading], version: int | None
    ) -> bool:
        """Write the bucket holding `readings`: if absent (version None) or still at `version`. False when the
        condition failed (it exists, or another writer moved it on)."""
        body = rb.encode_bucket(readings)
        if len(body) > rb.MAX_BODY_BYTES:  # DynamoDB would refuse it on every retry: say why instead
            raise rb.BucketTooLarge(
                f"reading bucket {key[schema.PK]['S']} at {key[schema.SK]['S']} would hold {len(body)} bytes, "
                f"beyond DynamoDB's item limit: use shorter buckets"
            )
        item: dict[str, Any] = {
            **key,
            schema.ITEM_TYPE: {"S": rb.ITEM_TYPE},
            "z": {"B": body},
            "v": {"N": str(1 if version is None else version + 1)},
        }
        newest = max(r.data_time for r in readings)
        ttl = expires_at(newest, self.retention.reading_days(kind))
        if ttl is not None:
            item[schema.TTL_ATTRIBUTE] = {"N": str(ttl)}
        if version is None:
            condition: dict[str, Any] = {
                "ConditionExpression": "attribute_not_exists (#0)",
                "ExpressionAttributeNames": {"#0": schema.PK},
            }
        else:
            condition = {
                "ConditionExpression": "#0 = :0",
                "ExpressionAttributeNames": {"#0": "v"},
                "ExpressionAttributeValues": {":0": {"N": str(version)}},
            }
        try:
            self._client.put_item(TableName=self._table, Item=item, ReturnConsumedCapacity="TOTAL", **condition)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code == CONDITION_FAILED:
                return False
            raise StorageUnavailableError(f"put reading bucket: {code or exc}") from exc
        except BotoCoreError as exc:
            raise StorageUnavailableError(f"put reading bucket: {exc}") from exc
        return True

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
