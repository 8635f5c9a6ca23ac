"""Accounts documents in DynamoDB (state table): pk = acct#kind#key, the kind's index in gsi1. A group of writes
is one TransactWriteItems (a lone write one conditional PutItem/DeleteItem), so uniqueness claims hold under
concurrency. Reads by key are strongly consistent; index queries (lists) are eventually consistent."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pynamodb.connection import Connection as PynamoConnection
from pynamodb.exceptions import DoesNotExist, PynamoDBException, TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.transactions import TransactWrite

from monitoring.errors import ConflictError
from monitoring.storage.base.accounts import ACCOUNT_INDEXES, AccountsRepositoryBase, DocConflict, DocWrite
from monitoring.storage.dynamodb._client import is_condition_failure, translate
from monitoring.storage.dynamodb.models import StateItem

_SK = "doc"


def _pk(kind: str, key: str) -> str:
    return f"acct#{kind}#{key}"


class DynamoDBAccountsRepository(AccountsRepositoryBase):
    def __init__(self, model: type[StateItem], tx_connection: PynamoConnection) -> None:
        self._model = model
        self._tx = tx_connection

    def _get_doc(self, kind: str, key: str) -> dict[str, Any] | None:
        with translate(f"get {kind}"):
            try:
                item = self._model.get(_pk(kind, key), _SK, consistent_read=True)
            except DoesNotExist:
                return None
        return None if item.body is None else dict(json.loads(item.body))

    def _query_docs(self, kind: str, value: str) -> list[dict[str, Any]]:
        with translate(f"list {kind}"):
            items = self._model.gsi1.query(f"acct#{kind}#{value}")  # type: ignore[attr-defined]
            return [dict(json.loads(i.body)) for i in items if i.body]

    def _item(self, w: DocWrite) -> StateItem:
        item = self._model(_pk(w.kind, w.key), _SK, t=f"acct_{w.kind}")
        if w.body is not None:
            item.body = json.dumps(w.body, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
            item.version = int(w.body.get("version", 0))
        if w.index is not None:
            item.gsi1pk, item.gsi1sk = f"acct#{w.kind}#{w.index}", w.key
        if w.expires_at is not None:
            item.expires_at = w.expires_at  # DynamoDB's TTL deletes it, within about two days
        return item

    def _condition(self, w: DocWrite) -> Condition | None:
        if w.expected_version is None:
            return None
        if w.expected_version == 0:
            return self._model.pk.does_not_exist()
        return self._model.version == w.expected_version

    def _write(self, writes: Sequence[DocWrite]) -> None:
        for w in writes:
            if w.kind not in ACCOUNT_INDEXES:
                raise ValueError(f"unknown document kind {w.kind!r}")
        if len(writes) == 1:
            self._write_one(writes[0])
            return
        try:
            with TransactWrite(connection=self._tx) as tx:
                for w in writes:
                    if w.body is None:
                        tx.delete(self._item(w), condition=self._condition(w))
                    else:
                        tx.save(self._item(w), condition=self._condition(w))
        except TransactWriteError as exc:
            reasons = list(exc.cancellation_reasons or [])
            for w, reason in zip(writes, reasons, strict=False):
                if reason is not None and reason.code == "ConditionalCheckFailed":
                    raise DocConflict(w.kind, w.key) from exc
            if any(r is not None and r.code == "TransactionConflict" for r in reasons):
                # another transaction held one of the items: a lost race like a stale version (callers retry)
                raise ConflictError("accounts write: a concurrent transaction on the same item") from exc
            with translate("write accounts"):
                raise

    def _purge_expired(self, now: datetime) -> int:
        return 0  # the table's TTL attribute does it

    def _write_one(self, w: DocWrite) -> None:
        item = self._item(w)
        try:
            if w.body is None:
                item.delete(condition=self._condition(w))
            else:
                item.save(condition=self._condition(w))
        except PynamoDBException as exc:
            if is_condition_failure(exc):
                raise DocConflict(w.kind, w.key) from exc
            with translate(f"write {w.kind}"):
                raise
