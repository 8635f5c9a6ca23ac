"""Alarm changes → notifications decided into the outbox. In AWS: the state table's DynamoDB stream (NEW_IMAGE;
alarm items only, re-read consistently by id) and an EventBridge schedule every minute (emergency alerts, the
daily digest, and a sweep that catches anything a stream gap missed); what it enqueues makes NotifySend run (an
asynchronous invoke). Locally: the notify worker's pass."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions import _notify, _wiring
from functions._observability import MetricUnit, logger, metrics
from monitoring.errors import NotFoundError

_ALARM_PREFIX = "alarm#"


def _changed_alarm_ids(records: list[dict[str, Any]]) -> list[str]:
    ids: list[str] = []
    for record in records:
        if record.get("eventName") not in ("INSERT", "MODIFY"):
            continue
        pk = record.get("dynamodb", {}).get("Keys", {}).get("pk", {}).get("S", "")
        if pk.startswith(_ALARM_PREFIX) and pk[len(_ALARM_PREFIX) :] not in ids:
            ids.append(pk[len(_ALARM_PREFIX) :])
    return ids


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext | None) -> dict[str, int]:
    scheduled = event.get("time")
    now = datetime.fromisoformat(scheduled.replace("Z", "+00:00")) if scheduled else _wiring.get_clock().now()
    service = _notify.get_service()
    records = event.get("Records")
    if records is not None:
        alarms = []
        for alarm_id in _changed_alarm_ids(records):
            try:
                alarms.append(_wiring.get_store().alarms.get(alarm_id))
            except NotFoundError:
                logger.warning("changed alarm not found", extra={"alarm_id": alarm_id})
        decided = service.decide_alarms(alarms, now)
    else:
        decided = service.scan_alarms(now)
        for county in _notify.county_services():
            decided += county.decide_emergency(now) + county.decide_digest(now)
    asked = _notify.request_send(decided, now)  # AWS: NotifySend runs for them (no polling sender)
    metrics.add_metric(name="NotificationsDecided", unit=MetricUnit.Count, value=len(decided))
    extra = {"tick": now.isoformat(), "decided": len(decided), "send_due": asked.isoformat() if asked else None}
    logger.info("notifications decided", extra=extra)
    return {"decided": len(decided)}
