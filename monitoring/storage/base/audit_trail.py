"""Audit-trail logic shared by the adapters: argument checks, the opaque page cursor, one-extra-row paging.
Adapters implement `_append` (idempotent on record_id) and `_select` (newest first, filters applied)."""

from __future__ import annotations

import base64
import binascii
from abc import ABC, abstractmethod
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from monitoring._time import from_micros, require_utc, to_micros
from monitoring.audit.models import AuditRecord
from monitoring.audit.ports import MAX_PAGE
from monitoring.errors import InvalidInputError


@dataclass(frozen=True)
class AuditQuery:
    """What `_select` answers: since ≤ at < until, strictly before `before` (at, record_id) in the newest-first
    order when given, and every filter that is not None."""

    since: datetime
    until: datetime
    before: tuple[datetime, str] | None = None
    actor_id: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    enterprise_ids: frozenset[str] | None = None
    action: str | None = None

    def matches(self, r: AuditRecord) -> bool:
        """The whole condition on one record (adapters that cannot filter in their queries use it)."""
        return (
            self.since <= r.at < self.until
            and (self.before is None or (r.at, r.record_id) < self.before)
            and (self.actor_id is None or r.actor_id == self.actor_id)
            and (self.object_type is None or r.object_type == self.object_type)
            and (self.object_id is None or r.object_id == self.object_id)
            and (self.enterprise_ids is None or r.enterprise_id in self.enterprise_ids)
            and (self.action is None or r.action == self.action)
        )


def order_key(record: AuditRecord) -> tuple[datetime, str]:
    return record.at, record.record_id


class AuditTrailBase(ABC):
    """Implements `monitoring.audit.ports.AuditTrail` over `_append` and `_select`."""

    @abstractmethod
    def _append(self, record: AuditRecord) -> None:
        """Store the record unless its record_id is stored already."""

    @abstractmethod
    def _select(self, query: AuditQuery, limit: int) -> list[AuditRecord]:
        """Up to `limit` matching records, newest first (at, then record_id, descending)."""

    def append(self, record: AuditRecord) -> None:
        self._append(record)

    def query(
        self,
        *,
        since: datetime,
        until: datetime,
        actor_id: str | None = None,
        object_type: str | None = None,
        object_id: str | None = None,
        enterprise_ids: Collection[str] | None = None,
        limit: int = 50,
        cursor: str | None = None,
        action: str | None = None,
    ) -> tuple[list[AuditRecord], str | None]:
        since, until = require_utc(since, "since"), require_utc(until, "until")
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
            raise InvalidInputError(f"每页条数须在 1 到 {MAX_PAGE} 之间")
        ids = None if enterprise_ids is None else frozenset(enterprise_ids)
        if until <= since or ids == frozenset():
            return [], None
        query = AuditQuery(since, until, decode_cursor(cursor), actor_id, object_type, object_id, ids, action)
        found = self._select(query, limit + 1)
        page = found[:limit]
        return page, encode_cursor(page[-1]) if len(found) > limit else None


def encode_cursor(record: AuditRecord) -> str:
    raw = f"{to_micros(record.at)}:{record.record_id}".encode()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[datetime, str] | None:
    if cursor is None:
        return None
    try:
        if not isinstance(cursor, str) or len(cursor) > 256:
            raise ValueError("too long")
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        micros, record_id = text.split(":", 1)
        if not record_id:
            raise ValueError("no record id")
        return from_micros(int(micros)), record_id
    except (ValueError, binascii.Error, UnicodeDecodeError, OverflowError):
        raise InvalidInputError("分页游标无效") from None
