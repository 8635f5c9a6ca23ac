"""The port of the general audit trail (`Store.audit_trail`): append, and query newest first by cursor."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Protocol

from monitoring.audit.models import AuditRecord

MAX_PAGE = 500


class AuditTrail(Protocol):
    def append(self, record: AuditRecord) -> None:
        """Store the record; appending the same `record_id` again changes nothing."""
        ...

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
        action: str | None = None,
        cursor: str | None = None,
    ) -> tuple[list[AuditRecord], str | None]:
        """Records with since ≤ at < until matching every filter given (enterprise_ids: records of those
        enterprises only; None: no such filter), newest first, at most `limit` (1–500), and the cursor of the
        next page (None on the last). A cursor not made by this method raises InvalidInputError."""
        ...
