"""EventBridge, every 5 minutes → alarm time limits: escalate unanswered alarms, repeat reminders."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions import _wiring
from functions._observability import MetricUnit, logger, metrics
from monitoring.alarms.service import escalate


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    scheduled = event.get("time")
    now = datetime.fromisoformat(scheduled.replace("Z", "+00:00")) if scheduled else _wiring.get_clock().now()
    store = _wiring.get_store()
    reminders = escalate(store.alarms, store.audit, now, _wiring.branch_of)
    metrics.add_metric(name="Reminders", unit=MetricUnit.Count, value=len(reminders))
    logger.info("escalation run", extra={"tick": now.isoformat(), "reminders": len(reminders)})
    return {"reminders": len(reminders)}
