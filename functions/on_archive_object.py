"""S3 event (a delivered raw archive object) → each MN's hash chain extended by the object's frame records.

More: docs/deploy.md, "Data protection" (the chain over S3 deliveries).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions import _wiring
from functions._observability import MetricUnit, logger, metrics, structure_domain_logs
from functions.adapters.archive_objects import read_object
from monitoring.archive.delivered import DeliveredObject
from monitoring.storage.ports import ChainHeadsRepository

structure_domain_logs()


def chain_object(
    s3: Any, chains: ChainHeadsRepository, bucket: str, key: str, version: str | None = None
) -> DeliveredObject:
    """Extend the chains by one object; idempotent (a redelivered event adds nothing)."""
    done = chains.delivered(key)
    if done is not None:
        return done  # not even read again
    delivered = read_object(s3, bucket, key, version)
    if delivered.skipped:
        logger.error("archive object lines that are no frame records", extra={"key": key, "skipped": delivered.skipped})
    return chains.extend_from_object(key, delivered.digest, delivered.frames)


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    """Any failure raises: S3's asynchronous invocation retries the event (twice), then its on-failure queue."""
    chains, s3 = _wiring.get_store().chain_heads, _wiring.get_s3()
    objects = records = 0
    for record in event.get("Records") or []:
        s3_part = record.get("s3") or {}
        bucket = str((s3_part.get("bucket") or {}).get("name", ""))
        obj = s3_part.get("object") or {}
        key = unquote_plus(str(obj.get("key", "")))  # event keys are URL-encoded
        if not bucket or not key:
            logger.error("S3 event record without bucket or key", extra={"record": record})
            continue
        done = chain_object(s3, chains, bucket, key, obj.get("versionId"))
        objects, records = objects + 1, records + done.records
    metrics.add_metric(name="Archive_objects_chained", unit=MetricUnit.Count, value=objects)
    logger.info("archive objects chained", extra={"objects": objects, "records": records})
    return {"objects": objects, "records": records}
