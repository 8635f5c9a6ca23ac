"""EventBridge, every 15 minutes → overdue inspections (14 days) and repairs (24 h) remind each enterprise's service
provider and its branch: the outbox keeps one reminder per obligation per day, so extra runs add nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions import _notify, _wiring
from functions._observability import MetricUnit, logger, metrics
from monitoring.maintenance.reminders import remind


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext | None) -> dict[str, int]:
    scheduled = event.get("time")
    now = datetime.fromisoformat(scheduled.replace("Z", "+00:00")) if scheduled else _wiring.get_clock().now()
    decided = [n for county in _notify.county_services() for n in remind(county, now)]
    asked = _notify.request_send(decided, now)  # AWS: NotifySend runs for them
    metrics.add_metric(name="MaintenanceReminders", unit=MetricUnit.Count, value=len(decided))
    extra = {"tick": now.isoformat(), "decided": len(decided), "send_due": asked.isoformat() if asked else None}
    logger.info("maintenance reminders", extra=extra)
    return {"decided": len(decided)}
