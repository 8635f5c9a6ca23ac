"""EventBridge, every minute → one deterministic rule-evaluation tick at the event's scheduled time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions import _wiring
from functions._observability import MetricUnit, logger, metrics
from monitoring.rules.decode_watermark import decoded_through
from monitoring.rules.service import evaluate_tick


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    # The schedule's own time, not the invocation's: a retried or delayed invocation evaluates the same tick.
    scheduled = event.get("time")
    now = datetime.fromisoformat(scheduled.replace("Z", "+00:00")) if scheduled else _wiring.get_clock().now()
    store = _wiring.get_store()
    # Minutes whose frames may still wait in the stream are not judged (AWS; locally the scheduler holds the tick).
    settings = _wiring.get_settings()
    wait = settings.rules_wait_for_decode
    decoded = decoded_through(store.rule_state, now, lanes=settings.decode_lanes) if wait else None
    result = evaluate_tick(
        _wiring.get_rule_inputs(),
        store,
        _wiring.get_rule_config(),
        now,
        transaction=store.batch,
        decoded_until=decoded,
        cache=_wiring.get_rule_state_cache(),
        people=(_wiring.get_people_docs_cache(), _wiring.get_settings().county_id),
    )
    metrics.add_metric(name="AlarmsChanged", unit=MetricUnit.Count, value=len(result.changed))
    metrics.add_metric(name="EnterprisesFailed", unit=MetricUnit.Count, value=len(result.failed))
    summary = {
        "enterprises": result.enterprises,
        "findings": result.findings,
        "alarms_changed": len(result.changed),
        "failed": len(result.failed),
    }
    held = None if decoded is None or decoded >= now else decoded.isoformat()
    logger.info("rules evaluated", extra={"tick": now.isoformat(), "decoded_until": held, **summary})
    return summary
