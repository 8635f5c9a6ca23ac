"""EventBridge every minute (AWS) or the notify worker (local) → the sender: due outbox entries sent with
retries, failover and recorded outcomes, until none is due or the time budget is spent; then delivery reports."""

from __future__ import annotations

import os
import time
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions import _notify
from functions._observability import MetricUnit, logger, metrics
from monitoring.notify.receipts import apply_receipts

BUDGET_S = 50.0  # of a one-minute schedule: the next run starts on time
MARGIN_MS = 10_000  # what a Lambda keeps back for its last send and the outcome's write
POLL_S = 2.0
RECEIPTS_MAX_S = 8.0  # delivery reports get their own cap: a slow report API must not eat the next run's start
RECEIPTS_EVERY_S = 30.0  # carriers report within minutes; asking more often only spends the provider's query quota


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext | None) -> dict[str, int]:
    sender = _notify.new_sender(owner=f"sender-{os.getpid()}-{getattr(context, 'aws_request_id', 'local')}")
    deadline = time.monotonic() + float(event.get("budget_s", BUDGET_S))
    polling = event.get("source") == "aws.events" or bool(event.get("poll"))
    totals = {"sent": 0, "merged": 0, "failed": 0, "retried": 0, "held": 0, "released": 0}
    while time.monotonic() < deadline:
        if context is not None and context.get_remaining_time_in_millis() < MARGIN_MS:
            break
        stop = deadline
        if context is not None:
            stop = min(stop, time.monotonic() + (context.get_remaining_time_in_millis() - MARGIN_MS) / 1000)
        report = sender.run_once(limit=int(event.get("batch", 50)), deadline=stop)
        for name in totals:
            totals[name] += getattr(report, name)
        if not (report.sent or report.merged or report.failed or report.retried or report.held):
            if not polling:
                break  # nothing was due
            time.sleep(POLL_S)  # a scheduled run keeps watching: what falls due within its minute goes at once
    totals["receipts"] = 0
    if _notify.receipts_due(RECEIPTS_EVERY_S):  # delivery reports: not on every 2 s pass
        cap = time.monotonic() + RECEIPTS_MAX_S
        totals["receipts"] = apply_receipts(
            _notify.get_outbox(), _notify.receipt_sources(), _notify.now(), deadline=cap
        )
    for name, value in totals.items():
        metrics.add_metric(name=f"Notifications{name.capitalize()}", unit=MetricUnit.Count, value=value)
    logger.info("notifications sent", extra=totals)
    return totals
