"""Registry documents in DynamoDB: one item per (kind, key), optimistic versions, up to three GSI lookups.

Item: pk = "<kind>#<key>", sk = kind, body = the record's JSON, version = its version. The n-th index a kind
declares in INDEXES goes to GSI n: gsiNpk = "<kind>#<index>#<value>", gsiNsk = key. GSI reads are eventually
consistent; registry edits are human-paced, and the base's uniqueness checks are documented as best effort.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import DoesNotExist, PynamoDBException
from pynamodb.expressions.condition import Condition

from monitoring.clock import Clock, SystemClock
from monitoring.errors import ConflictError, StorageUnavailableError
from monitoring.registry.changes import ChangeMark, change_bucket
from monitoring.storage.base.registry import INDEXES, RegistryRepositoryBase, decoded_bodies
from monitoring.storage.dynamodb import schema
from monitoring.storage.dynamodb._client import is_condition_failure, translate
from monitoring.storage.dynamodb.models import RegistryItem

_SLOTS = ("gsi1", "gsi2", "gsi3")
# The change mark (monitoring.registry.changes): one item, a number attribute per bucket ("b17"), bumped with ADD,
# and the bucket's last bump in minutes since MARK_EPOCH, rounded up ("t17"): a cold decode container waits out the
# index lag of recent edits. Minutes and not epoch seconds keep all 256 of both under 4 KB (half a read unit
# eventually consistent) while the counts are below 10^4: docs/decode.md, "Registry cache".
MARK_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
_SECONDS_FROM = 10**8  # a larger t<n> is an older writer's epoch seconds (10^8 minutes is 190 years)
# Its key is outside every "<kind>#<key>" and it has no index attributes, so no registry query ever returns it.
_MARK_KEY = {schema.PK: {"S": "chg#registry"}, schema.SK: {"S": "changes"}}


def mark_minutes(at: datetime) -> int:
    """A bump time as stored: whole minutes since MARK_EPOCH, rounded up (the settling never ends early)."""
    return math.ceil((at - MARK_EPOCH).total_seconds() / 60)


def mark_time(stored: int) -> datetime:
    """A stored bump time back; an item written before minutes holds epoch seconds, told apart by size."""
    if stored >= _SECONDS_FROM:
        return datetime.fromtimestamp(stored, UTC)
    return MARK_EPOCH + timedelta(minutes=stored)


def _index_value(kind: str, index: str, value: str) -> str:
    return f"{kind}#{index}#{value}"


class DynamoDBRegistryRepository(RegistryRepositoryBase):
    def __init__(self, model: type[RegistryItem], clock: Clock | None = None) -> None:
        self._model = model
        self._clock = clock or SystemClock()

    def _mark_request(self, operation: str, **request: Any) -> dict[str, Any]:
        client = self._model._get_connection().connection.client
        try:
            response: dict[str, Any] = getattr(client, operation)(
                TableName=self._model.Meta.table_name, Key=_MARK_KEY, ReturnConsumedCapacity="TOTAL", **request
            )
        except (ClientError, BotoCoreError) as exc:
            raise StorageUnavailableError(f"registry change mark: {exc}") from exc
        return response

    def registry_changes(self) -> ChangeMark | None:
        # Eventually consistent (half a unit): a bump not visible yet is seen at decode's next look, seconds later.
        item = self._mark_request("get_item", ConsistentRead=False).get("Item", {})
        numbers = {name: int(value["N"]) for name, value in item.items() if name[1:].isdigit() and "N" in value}
        return ChangeMark(
            {int(name[1:]): n for name, n in numbers.items() if name[0] == "b"},
            {int(name[1:]): mark_time(n) for name, n in numbers.items() if name[0] == "t"},
        )

    def _note_changes(self, mns: Iterable[str]) -> None:
        buckets = sorted({change_bucket(mn) for mn in mns})
        if not buckets:
            return
        names = {f"#b{b}": f"b{b}" for b in buckets} | {f"#t{b}": f"t{b}" for b in buckets}
        now = mark_minutes(self._clock.now())
        self._mark_request(
            "update_item",
            UpdateExpression="ADD "
            + ", ".join(f"#b{b} :one" for b in buckets)
            + " SET "
            + ", ".join(f"#t{b} = :now" for b in buckets),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues={":one": {"N": "1"}, ":now": {"N": str(now)}},
        )

    def _get_doc(self, kind: str, key: str) -> dict[str, Any] | None:
        with translate(f"registry get {kind}"):
            try:
                item = self._model.get(f"{kind}#{key}", kind, consistent_read=True)
            except DoesNotExist:
                return None
        return None if item.body is None else dict(json.loads(item.body))

    def _put_doc(
        self, kind: str, key: str, body: dict[str, Any], index: Mapping[str, str], *, expected_version: int | None
    ) -> None:
        declared = INDEXES[kind]
        unknown = set(index) - set(declared)
        if unknown:
            raise ValueError(f"{kind}: undeclared index {sorted(unknown)}")
        item = self._model(f"{kind}#{key}", kind, t="reg", body=json.dumps(body, ensure_ascii=False, sort_keys=True))
        if "version" in body:
            item.version = int(body["version"])
        for slot, name in zip(_SLOTS, declared, strict=False):
            if name in index:
                setattr(item, f"{slot}pk", _index_value(kind, name, index[name]))
                setattr(item, f"{slot}sk", key)
        condition: Condition | None
        if expected_version is None:
            condition = None
        elif expected_version == 0:
            condition = self._model.pk.does_not_exist()
        else:
            condition = self._model.version == expected_version
        try:
            item.save(condition=condition, add_version_condition=False)
        except PynamoDBException as exc:
            if is_condition_failure(exc):
                raise ConflictError(f"{kind} {key!r}: stored version differs from {expected_version}") from exc
            with translate(f"registry put {kind}"):
                raise

    def _get_docs(self, kind: str, keys: Iterable[str]) -> list[tuple[str, dict[str, Any]]]:
        # Liveness sheets: one batch, eventually consistent (half the units; a sheet a second old is as good).
        wanted = [(f"{kind}#{key}", kind) for key in keys]
        with translate(f"registry get {kind}"):
            items = list(self._model.batch_get(wanted, consistent_read=False)) if wanted else []
        return decoded_bodies((item.pk.removeprefix(f"{kind}#"), item.body) for item in items if item.body)

    def _query_docs(self, kind: str, index: str, value: str) -> list[dict[str, Any]]:
        # The GSIs hold keys only (so per-frame terminal updates never rewrite them): query keys, then fetch.
        slot = _SLOTS[INDEXES[kind].index(index)]
        gsi = getattr(self._model, slot)
        with translate(f"registry query {kind} by {index}"):
            keys = [(item.pk, item.sk) for item in gsi.query(_index_value(kind, index, value))]
            # Eventually consistent like the index itself: half the read units of a consistent read.
            items = self._model.batch_get(keys, consistent_read=False) if keys else []
            return [dict(json.loads(item.body)) for item in items if item.body]
