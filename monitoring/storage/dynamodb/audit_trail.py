"""The general audit trail in DynamoDB (state table): one partition per China day (pk trail#YYYY-MM-DD,
sk time#record_id); gsi1 lists an object's records, gsi2 an actor's. Other filters (enterprise scope, a bare
object type) are applied while reading pages newest first, until the page is full."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import timedelta
from typing import Any

from pynamodb.exceptions import PynamoDBException

from monitoring._time import china_day
from monitoring.audit.models import AuditRecord
from monitoring.storage import codec
from monitoring.storage.base.audit_trail import AuditQuery, AuditTrailBase
from monitoring.storage.dynamodb._client import is_condition_failure, time_key, translate
from monitoring.storage.dynamodb.models import StateItem

_PAGE = 200
_NEWEST_FIRST: dict[str, Any] = {"scan_index_forward": False, "page_size": _PAGE}


def _sk(record: AuditRecord) -> str:
    return f"{time_key(record.at)}#{record.record_id}"


class DynamoDBAuditTrail(AuditTrailBase):
    def __init__(self, model: type[StateItem]) -> None:
        self._model = model

    def _append(self, record: AuditRecord) -> None:
        sk = _sk(record)
        item = self._model(
            f"trail#{china_day(record.at).isoformat()}",
            sk,
            t="trail",
            body=codec.dumps(record),
            gsi1pk=f"trailobj#{record.object_type}#{record.object_id}",
            gsi1sk=sk,
            gsi2pk=f"trailactor#{record.actor_id}",
            gsi2sk=sk,
        )
        try:
            item.save(condition=self._model.pk.does_not_exist())
        except PynamoDBException as exc:
            if is_condition_failure(exc):
                return  # appended before (a retry): nothing to do
            with translate("append audit record"):
                raise

    def _select(self, query: AuditQuery, limit: int) -> list[AuditRecord]:
        found: list[AuditRecord] = []
        for record in self._candidates(query):
            if query.matches(record):
                found.append(record)
                if len(found) >= limit:
                    break
        return found

    def _candidates(self, query: AuditQuery) -> Iterator[AuditRecord]:
        """Records that may match, newest first, read lazily page by page."""
        low = time_key(query.since)
        # `time_key(until)` sorts below every sk of that instant ("T#id" > "T"), so `between` excludes it; the
        # cursor's own sk is inclusive in `between` and dropped by `matches`.
        high = time_key(query.until)
        if query.before is not None:
            high = min(high, f"{time_key(query.before[0])}#{query.before[1]}")
        m = self._model
        gsi1, gsi2 = m.gsi1, m.gsi2  # type: ignore[attr-defined]  # built per store by build_models
        if query.object_type is not None and query.object_id is not None:
            pk = f"trailobj#{query.object_type}#{query.object_id}"
            yield from self._read(gsi1.query(pk, m.gsi1sk.between(low, high), **_NEWEST_FIRST))
            return
        if query.actor_id is not None:
            pk = f"trailactor#{query.actor_id}"
            yield from self._read(gsi2.query(pk, m.gsi2sk.between(low, high), **_NEWEST_FIRST))
            return
        last = query.until if query.before is None else min(query.until, query.before[0] + timedelta(microseconds=1))
        day, first = china_day(last - timedelta(microseconds=1)), china_day(query.since)
        while day >= first:  # one partition per China day, newest day first
            yield from self._read(m.query(f"trail#{day.isoformat()}", m.sk.between(low, high), **_NEWEST_FIRST))
            day -= timedelta(days=1)

    def _read(self, items: Iterable[StateItem]) -> Iterator[AuditRecord]:
        with translate("query audit trail"):
            for item in items:
                if item.body:
                    yield codec.loads(AuditRecord, item.body)
