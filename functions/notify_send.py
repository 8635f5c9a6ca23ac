"""The sender: due outbox entries sent with retries, failover and recorded outcomes. Driven (AWS): an enqueuing
function invokes it naming the earliest due time; it stays while something falls due within the coalescing window
and a little more. Scheduled (AWS every minute, the safety net; the local worker): it sends what is due and
returns at once when nothing is, then asks for delivery reports."""

from __future__ import annotations

import os
import time
from datetime import datetime, timedelta
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions import _notify
from functions._observability import MetricUnit, logger, metrics
from monitoring.notify.receipts import apply_receipts
from monitoring.notify.sender import SendReport

BUDGET_S = 50.0  # of a run: the next minute's safety net starts on time (one sender at a time in AWS)
MARGIN_MS = 10_000  # what a Lambda keeps back for its last send and the outcome's write
SETTLE_S = 1.0  # a driven run looks until this long after its due time: an index shows a new entry after a lag
STEP_S = 1.0  # a waiting driven run looks again this often (an entry decided meanwhile: an emergency notice)
MIN_WAIT_S = 0.2  # an entry due but not claimable (another sender's fresh claim) is not spun on
RECEIPTS_MAX_S = 8.0  # delivery reports get their own cap: a slow report API must not eat the next run's start
RECEIPTS_EVERY_S = 30.0  # carriers report within minutes; asking more often only spends the provider's query quota


def _busy(report: SendReport) -> bool:
    return bool(report.sent or report.merged or report.failed or report.retried or report.held)


def _driven_due(event: dict[str, Any]) -> datetime | None:
    """The due time an enqueuer asked for; None for a scheduled or local run."""
    if event.get("trigger") != _notify.SEND_TRIGGER:
        return None
    try:
        due = datetime.fromisoformat(str(event["due"]))
    except (KeyError, ValueError):
        due = None
    now = _notify.now()
    if due is None or due.tzinfo is None:
        return now  # malformed: what is due now
    return min(due, now + _notify.driven_horizon())  # never kept waiting longer than an enqueuer may ask


def _wait_s(hold_until: datetime) -> float | None:
    """Seconds a driven run sleeps before its next pass; None when nothing falls due within the horizon."""
    now = _notify.now()
    upcoming = _notify.get_outbox().due(now + _notify.driven_horizon(), limit=1)
    targets = [at for at in (n.due_at() for n in upcoming) if at is not None]
    if now < hold_until:
        targets.append(hold_until)
    if not targets:
        return None
    return min(max((min(targets) - now).total_seconds(), MIN_WAIT_S), STEP_S)


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext | None) -> dict[str, int]:
    sender = _notify.new_sender(owner=f"sender-{os.getpid()}-{getattr(context, 'aws_request_id', 'local')}")
    deadline = time.monotonic() + float(event.get("budget_s", BUDGET_S))
    if context is not None:
        deadline = min(deadline, time.monotonic() + (context.get_remaining_time_in_millis() - MARGIN_MS) / 1000)
    due = _driven_due(event)
    hold_until = None if due is None else due + timedelta(seconds=SETTLE_S)
    totals = {"sent": 0, "merged": 0, "failed": 0, "retried": 0, "held": 0, "released": 0}
    while time.monotonic() < deadline:
        report = sender.run_once(limit=int(event.get("batch", 50)), deadline=deadline)
        for name in totals:
            totals[name] += getattr(report, name)
        if _busy(report):
            continue
        if hold_until is None:
            break  # scheduled or local: nothing is due, so nothing to wait for (no polling)
        wait = _wait_s(hold_until)
        if wait is None:
            break  # what falls due later: the safety net, or the run its enqueuer asks for
        time.sleep(min(wait, max(0.0, deadline - time.monotonic())))
    totals["receipts"] = 0
    if due is None and _notify.receipts_due(RECEIPTS_EVERY_S):  # driven runs send; the safety net asks for reports
        cap = time.monotonic() + RECEIPTS_MAX_S
        totals["receipts"] = apply_receipts(
            _notify.get_outbox(), _notify.receipt_sources(), _notify.now(), deadline=cap
        )
    for name, value in totals.items():
        metrics.add_metric(name=f"Notifications{name.capitalize()}", unit=MetricUnit.Count, value=value)
    logger.info("notifications sent", extra={**totals, "driven": due is not None})
    return totals
