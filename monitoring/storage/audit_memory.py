"""In-memory primitives of the general audit trail (memory_store()): records under one lock."""

from __future__ import annotations

import threading

from monitoring.audit.models import AuditRecord
from monitoring.storage import codec
from monitoring.storage.base.audit_trail import AuditQuery, AuditTrailBase, order_key


class MemoryAuditTrail(AuditTrailBase):
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._texts: dict[str, str] = {}  # record_id → JSON, so a test on memory also exercises the codec

    def _append(self, record: AuditRecord) -> None:
        with self._lock:
            self._texts.setdefault(record.record_id, codec.dumps(record))

    def _select(self, query: AuditQuery, limit: int) -> list[AuditRecord]:
        with self._lock:
            texts = list(self._texts.values())
        found = [r for r in (codec.loads(AuditRecord, t) for t in texts) if query.matches(r)]
        return sorted(found, key=order_key, reverse=True)[:limit]
