"""EventBridge, every RULES_EVERY_MINUTES → the rule shards of every county for this tick, onto the shard queue.

More: docs/deploy.md, "Scaling to a province".
"""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions import _wiring
from functions._observability import MetricUnit, logger, metrics
from monitoring.errors import InvalidInputError
from monitoring.rules.decode_watermark import READ_AFTER, decode_horizon
from monitoring.rules.shards import Shard, plan_ticks, retick, scheduled_minute

HOLD_RELEASED = "decode hold released"  # the warning an operator alarm counts (infra: DecodeHoldReleased)

_plan: tuple[float, list[Shard]] | None = None  # (monotonic time planned, shards) of a warm container


def plan(tick: datetime) -> list[Shard]:
    """The shards of `tick`: the registry is read again once the cached plan is older than RULES_PLAN_CACHE_S."""
    global _plan
    settings = _wiring.get_settings()
    if _plan is None or time.monotonic() - _plan[0] >= settings.rules_plan_cache_s:
        registry = _wiring.get_store().registry
        _plan = (time.monotonic(), plan_ticks(registry, tick, settings.rules_shard_enterprises))
    return retick(_plan[1], tick)


def wait_for_notes(tick: datetime) -> None:
    """Wait until READ_AFTER past `tick` before decode's notes are read (at most that long: a late or retried run,
    already past it, reads them at once). Read a second after the tick they end seconds before it, and the rules
    would judge a minute less every tick."""
    left = (tick + READ_AFTER - _wiring.get_clock().now()).total_seconds()
    if left > 0:
        _wiring.pause(min(left, READ_AFTER.total_seconds()))


def forget_plan() -> None:
    """Drop the cached plan (tests; a new cold start)."""
    global _plan
    _plan = None


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    # The schedule's own tick (floored to the cadence): a retried invocation sends the same messages, which the FIFO
    # queue deduplicates (and the worker skips as superseded once its shard evaluated that tick).
    tick = scheduled_minute(event.get("time"), _wiring.get_clock().now(), _wiring.get_settings().rules_every_minutes)
    queue = _wiring.get_shard_queue()
    if queue is None:
        raise InvalidInputError("RULES_SHARD_QUEUE_URL is not set: nowhere to send the rule shards")
    shards = plan(tick)
    if _wiring.get_settings().rules_wait_for_decode:
        # decode's notes read once a tick for every shard (not once per shard), and gone containers' notes swept
        wait_for_notes(tick)
        settings = _wiring.get_settings()
        hold_max = timedelta(minutes=settings.decode_hold_max_minutes)
        horizon = decode_horizon(
            _wiring.get_store().rule_state, tick, sweep=True, lanes=settings.decode_lanes, hold_max=hold_max
        )
        for gone in horizon.released:  # its lane stuck, or its note lost: judged without its records (backfill)
            logger.warning(
                HOLD_RELEASED,
                extra={
                    "group": gone.group,
                    "put": gone.put.isoformat(),
                    "decoded": gone.decoded.isoformat() if gone.decoded else None,
                },
            )
        if horizon.released:
            metrics.add_metric(name="DecodeHoldReleased", unit=MetricUnit.Count, value=len(horizon.released))
        decoded = horizon.through
        shards = [replace(s, waits_for_decode=True, decoded_until=decoded) for s in shards]
    sent = queue.send(shards)
    counties = len({s.county_id for s in shards})
    metrics.add_metric(name="RuleShards", unit=MetricUnit.Count, value=sent)
    logger.info("rule shards enqueued", extra={"tick": tick.isoformat(), "shards": sent, "counties": counties})
    return {"shards": sent, "counties": counties}
