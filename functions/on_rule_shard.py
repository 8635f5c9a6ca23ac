"""SQS (rule shard queue) → one deterministic evaluation tick of one shard of one county's enterprises.

More: docs/deploy.md, "Scaling to a province".
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse, PartialItemFailures
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions import _wiring
from functions._observability import MetricUnit, logger, metrics
from monitoring.errors import InvalidInputError
from monitoring.rules.decode_watermark import decoded_through
from monitoring.rules.shards import Shard, resume
from monitoring.rules.warm_shards import evaluate_warm_shard


def evaluate_shard(shard: Shard) -> dict[str, Any]:
    """Evaluate the shard's enterprises at its tick, unless the shard already evaluated that tick or a later one."""
    store = _wiring.get_store()
    done, previous = resume(store.rule_state, shard)
    if done:
        return {"superseded": True}
    # Minutes whose frames may still wait in the stream are not judged: decode's progress as the scheduler read it
    # for the tick, or (a message of an older scheduler) as read here.
    decoded = shard.decoded_until
    if not shard.waits_for_decode and _wiring.get_settings().rules_wait_for_decode:
        decoded = decoded_through(store.rule_state, shard.tick, lanes=_wiring.get_settings().decode_lanes)
    # The container's windows of the shard are made true as of its previous tick first (its own, else the
    # shard's snapshot), and snapshotted after (monitoring/rules/warm_shards.py).
    warm = _wiring.warm_shards_for(shard.county_id)
    seen = dict(warm.sources) if warm is not None else {}
    result = evaluate_warm_shard(
        shard,
        _wiring.rule_inputs_for(shard.county_id),
        store,
        _wiring.rule_config_for(shard.county_id),
        warm,
        previous=previous,
        transaction=store.batch,
        decoded_until=decoded,
        cache=_wiring.get_rule_state_cache(),
        people=(_wiring.get_people_docs_cache(), shard.county_id),
    )
    metrics.add_metric(name="AlarmsChanged", unit=MetricUnit.Count, value=len(result.changed))
    metrics.add_metric(name="EnterprisesFailed", unit=MetricUnit.Count, value=len(result.failed))
    return {
        "enterprises": result.enterprises,
        "findings": result.findings,
        "alarms_changed": len(result.changed),
        "failed": len(result.failed),
        "decoded_until": None if decoded is None or decoded >= shard.tick else decoded.isoformat(),
        # where the points' windows came from: warm, own (older), snapshot, cold (read whole)
        "windows": {k: n - seen.get(k, 0) for k, n in warm.sources.items() if n > seen.get(k, 0)} if warm else {},
    }


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    failures: list[PartialItemFailures] = []
    for record in event.get("Records") or []:
        try:
            shard = Shard.from_message(json.loads(record["body"]))
        except (KeyError, TypeError, ValueError, InvalidInputError) as exc:
            # Not ours or malformed: it will never evaluate; fail it so the queue sets it aside after its retries.
            logger.error("unreadable rule shard message", extra={"id": record.get("messageId"), "error": repr(exc)})
            failures.append({"itemIdentifier": str(record.get("messageId", ""))})
            continue
        # A store outage raises: the message returns to the queue and its shard's later ticks wait behind it.
        summary = evaluate_shard(shard)
        where = {"county": shard.county_id, "shard": f"{shard.index + 1}/{shard.count}", "tick": shard.tick.isoformat()}
        logger.info("rule shard evaluated", extra={**where, **summary})
    return {"batchItemFailures": failures}
