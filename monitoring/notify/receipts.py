"""Delivery reports: for messages sent through a provider that reports delivery (Aliyun QuerySendDetails, Tencent
status pull), ask it, and record delivered or failed; after RECEIPT_WAIT without a word, stop asking (still sent)."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Mapping
from datetime import datetime, timedelta

from monitoring.errors import ConflictError
from monitoring.notify.masking import mask_phones
from monitoring.notify.models import Notification, Status
from monitoring.notify.ports import OutboxRepository, ReceiptSource

log = logging.getLogger("monitoring.notify.receipts")
RECEIPT_WAIT = timedelta(hours=72)  # carriers report within minutes, rarely after a day; 72 h is generous


def apply_receipts(
    outbox: OutboxRepository,
    sources: Mapping[str, ReceiptSource],
    now: datetime,
    *,
    limit: int = 200,
    deadline: float | None = None,
) -> int:
    """Record the delivery reports providers have for the oldest messages awaiting one; how many were recorded.
    `deadline` (time.monotonic()): no provider is asked after it (what is left waits for the next pass)."""
    waiting: dict[str, list[Notification]] = {}
    for n in outbox.awaiting_receipts(limit=limit):
        waiting.setdefault(n.provider, []).append(n)
    recorded = 0
    for provider, items in waiting.items():
        if deadline is not None and time.monotonic() >= deadline:
            break
        source = sources.get(provider)
        receipts = {}
        if source is not None:
            asked = [(n.provider_id, n.address, n.sent_at or n.created_at) for n in items]
            receipts = {r.provider_id: r for r in source.receipts(asked)}
        for n in items:
            r = receipts.get(n.provider_id)
            if r is not None and r.delivered:
                change = {"status": Status.DELIVERED, "delivered_at": r.at, "finished_at": r.at}
            elif r is not None:
                change = {"status": Status.FAILED, "error": mask_phones(r.code or "undelivered"), "finished_at": r.at}
            elif source is None or now - (n.sent_at or n.created_at) > RECEIPT_WAIT:
                change = {}  # no report will come: it stays sent
            else:
                continue
            try:
                outbox.replace(dataclasses.replace(n, awaiting_receipt=False, **change))  # type: ignore[arg-type]
                recorded += 1 if change else 0
            except ConflictError:
                log.info("notification %s changed while its receipt was recorded; next pass", n.key)
    return recorded
