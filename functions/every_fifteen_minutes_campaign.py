"""EventBridge, every 15 minutes → the installation campaign (idempotent; only complete Beijing days are judged):
已安装 → 已联网 on data from every planned point, trials entered the next day and judged (run_daily)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions import _wiring
from functions._observability import MetricUnit, logger, metrics
from monitoring.campaign.service import run_daily


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    scheduled = event.get("time")
    now = datetime.fromisoformat(scheduled.replace("Z", "+00:00")) if scheduled else _wiring.get_clock().now()
    store = _wiring.get_store()
    totals = {"networked": 0, "trials_started": 0, "passed": 0, "failed": 0}
    for campaign in store.campaign.list_campaigns(_wiring.get_settings().county_id):
        done = run_daily(store, campaign, now)
        for key in totals:
            totals[key] += len(getattr(done, key))
    metrics.add_metric(name="TrialsDecided", unit=MetricUnit.Count, value=totals["passed"] + totals["failed"])
    logger.info("campaign daily run", extra={"tick": now.isoformat(), **totals})
    return totals
