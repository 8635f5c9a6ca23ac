"""The outbox in DynamoDB (state table): pk = notify#kind#key; gsi1 holds the due notifications (one sparse
partition by due time) and, in another, those awaiting a delivery report; gsi2 an alarm's notifications; gsi3
every notification by the UTC month it was decided (newest first for the bureau's list). Writes
are conditional on the version: a stale due list read from the index is caught by the claim's write."""

from __future__ import annotations

import json
from typing import Any

from pynamodb.exceptions import DoesNotExist, PynamoDBException

from monitoring.errors import ConflictError
from monitoring.storage.base.outbox import OutboxRepositoryBase, recent_value
from monitoring.storage.dynamodb._client import is_condition_failure, translate
from monitoring.storage.dynamodb.models import StateItem

_SK = "doc"
_DUE = "notify#due"
_RECEIPT = "notify#receipt"
_MONTH = "notify#month#"  # + YYYY-MM of created_at (UTC); sk = recent_value
_MAX_MONTHS = 24  # partitions one listing may visit


def _pk(kind: str, key: str) -> str:
    return f"notify#{kind}#{key}"


class DynamoDBOutboxRepository(OutboxRepositoryBase):
    def __init__(self, model: type[StateItem]) -> None:
        self._model = model

    def _get_doc(self, kind: str, key: str) -> dict[str, Any] | None:
        with translate(f"get {kind}"):
            try:
                item = self._model.get(_pk(kind, key), _SK, consistent_read=True)
            except DoesNotExist:
                return None
        return None if item.body is None else dict(json.loads(item.body))

    def _put_doc(
        self,
        kind: str,
        key: str,
        body: dict[str, Any],
        *,
        expected_version: int,
        due: str | None = None,
        alarm: str | None = None,
        receipt: str | None = None,
    ) -> None:
        item = self._model(_pk(kind, key), _SK, t=f"notify_{kind}")
        item.body = json.dumps(body, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        item.version = int(body.get("version", 0))
        if due is not None:
            item.gsi1pk, item.gsi1sk = _DUE, f"{due}#{key}"
        elif receipt is not None:  # never both: a notification is either due or awaiting its delivery report
            item.gsi1pk, item.gsi1sk = _RECEIPT, f"{receipt}#{key}"
        if alarm is not None:
            item.gsi2pk, item.gsi2sk = f"notify#alarm#{alarm}", key
        if kind == "msg":
            item.gsi3pk, item.gsi3sk = _MONTH + str(body["created_at"])[:7], recent_value(body)
        condition = (
            self._model.pk.does_not_exist() if expected_version == 0 else self._model.version == expected_version
        )
        try:
            item.save(condition=condition)
        except PynamoDBException as exc:
            if is_condition_failure(exc):
                raise ConflictError(f"{kind} {key!r}: version condition failed") from exc
            with translate(f"write {kind}"):
                raise

    def _query_due(self, upto: str, limit: int) -> list[dict[str, Any]]:
        # "#" sorts before "$": every "<upto>#<key>" is below "<upto>$"
        with translate("list due notifications"):
            items = self._model.gsi1.query(_DUE, self._model.gsi1sk < f"{upto}$", limit=limit)  # type: ignore[attr-defined]
            return [dict(json.loads(i.body)) for i in items if i.body]

    def _query_receipts(self, limit: int) -> list[dict[str, Any]]:
        with translate("list notifications awaiting receipts"):
            items = self._model.gsi1.query(_RECEIPT, limit=limit)  # type: ignore[attr-defined]
            return [dict(json.loads(i.body)) for i in items if i.body]

    def _query_alarm(self, alarm_id: str) -> list[dict[str, Any]]:
        with translate("list an alarm's notifications"):
            items = self._model.gsi2.query(f"notify#alarm#{alarm_id}")  # type: ignore[attr-defined]
            return [dict(json.loads(i.body)) for i in items if i.body]

    def _query_recent(self, since: str, before: str, limit: int) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        year, month = int(before[:4]), int(before[5:7])
        for _ in range(_MAX_MONTHS):  # a window wider than this is refused by the API before it gets here
            if f"{year:04d}-{month:02d}" < since[:7] or len(found) >= limit:
                break
            condition = self._model.gsi3sk.between(since, before)  # inclusive: `before` itself is dropped below
            with translate("list recent notifications"):
                items = self._model.gsi3.query(  # type: ignore[attr-defined]
                    f"{_MONTH}{year:04d}-{month:02d}", condition, scan_index_forward=False, limit=limit + 1
                )
                found += [dict(json.loads(i.body)) for i in items if i.body and i.gsi3sk != before][
                    : limit - len(found)
                ]
            year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        return found
