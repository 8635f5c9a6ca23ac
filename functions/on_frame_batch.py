"""Kinesis frame stream → decode service: archive, readings, events, terminal state (contracts.md §2, §3)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.kinesis_stream_event import KinesisStreamRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions import _wiring
from functions._observability import logger, metrics, publish_decode_report, structure_domain_logs

processor = BatchProcessor(event_type=EventType.KinesisDataStreams)
structure_domain_logs()


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    if not event.get("Records"):  # Kinesis never sends an empty batch; local mode may. Powertools rejects one.
        return {"batchItemFailures": []}
    decoder = _wiring.new_decoder()

    def record_handler(record: KinesisStreamRecord) -> str:
        return decoder.decode(record.kinesis.data_as_bytes())

    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    report = decoder.flush()  # a storage failure here raises: the whole batch is retried, all of it idempotent
    publish_decode_report(report)
    logger.info(
        "frame batch decoded", extra={"outcomes": dict(report.outcomes), "failed": response["batchItemFailures"]}
    )
    return response
