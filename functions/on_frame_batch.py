"""Kinesis frame stream → decode service: archive, readings, events, terminal state (contracts.md §2, §3).

More: docs/deploy.md, "Module notes".
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse, PartialItemFailures
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions import _wiring
from functions._observability import MetricUnit, logger, metrics, publish_decode_report, structure_domain_logs
from monitoring.ingest.isolate import Poison, decode_isolating
from monitoring.rules.decode_watermark import group_of

structure_domain_logs()


def _note_progress(records: list[dict[str, Any]]) -> None:
    """The batch is durable: tell the rules how far its records are decoded, per shard and group (its lane's keys)."""
    progress = _wiring.get_decode_progress()
    if progress is None:
        return
    lanes = _wiring.get_settings().decode_lanes
    newest: dict[str, dict[str, float]] = {}
    for record in records:
        shard = str(record.get("eventID", "")).partition(":")[0]
        kinesis = record.get("kinesis", {})
        arrived = kinesis.get("approximateArrivalTimestamp")
        group = group_of(str(kinesis.get("partitionKey", "")), lanes)
        if shard and group is not None and isinstance(arrived, int | float):
            groups = newest.setdefault(shard, {})
            groups[group] = max(groups.get(group, arrived), arrived)
    now = _wiring.get_clock().now()
    for shard, groups in newest.items():
        progress.note(shard, {g: datetime.fromtimestamp(a, UTC) for g, a in groups.items()}, now)


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    records = event.get("Records") or []
    if not records:  # Kinesis never sends an empty batch; local mode may
        return {"batchItemFailures": []}
    items: list[tuple[str, bytes]] = []
    unreadable: list[Poison] = []
    for record in records:
        seq = str(record["kinesis"]["sequenceNumber"])
        try:
            items.append((seq, base64.b64decode(record["kinesis"]["data"], validate=True)))
        except (KeyError, TypeError, binascii.Error) as exc:
            unreadable.append(Poison(seq, b"", "record data is not base64", repr(exc)))
    batch = decode_isolating(items, _wiring.new_decoder)  # a store outage raises here: the batch is retried
    poison = unreadable + batch.poison
    failures: list[PartialItemFailures] = []
    if poison:
        dead_letters = _wiring.get_dead_letters()
        if dead_letters is None:
            failures = [{"itemIdentifier": p.item_id} for p in poison]
        else:
            dead_letters.set_aside(poison)  # idempotent; an outage raises and the batch is retried
        metrics.add_metric(name="Frames_poison", unit=MetricUnit.Count, value=len(poison))
        logger.error(
            "poison frame records set aside",
            extra={"poison": [{"item": p.item_id, "reason": p.reason} for p in poison], "reported": bool(failures)},
        )
    if not failures:  # records reported as failures come back: this shard is not decoded through them yet
        _note_progress(records)
    report = batch.report()
    publish_decode_report(report)
    logger.info("frame batch decoded", extra={"outcomes": dict(report.outcomes), "poison": len(poison)})
    return {"batchItemFailures": failures}
