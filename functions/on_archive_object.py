"""S3 event (a delivered raw archive object) → its manifest written beside it and one link on the global chain.

More: docs/deploy.md, "Data protection" (the manifest chain over S3 deliveries).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions import _wiring
from functions._observability import MetricUnit, logger, metrics, structure_domain_logs
from functions.adapters.archive_objects import S3Objects, frames_of
from monitoring.archive.manifest_chain import ManifestChain

structure_domain_logs()
_chains: dict[tuple[int, str], ManifestChain] = {}  # per store and bucket: a warm container keeps each MN's head


def chain_for(bucket: str) -> ManifestChain:
    store = _wiring.get_store()
    key = (id(store), bucket)
    if key not in _chains:
        _chains.clear()
        _chains[key] = ManifestChain(store.chain_heads, S3Objects(_wiring.get_s3(), bucket), frames_of)
    return _chains[key]


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    """Any failure raises: S3's asynchronous invocation retries the event (twice), then its on-failure queue."""
    objects = records = 0
    for record in event.get("Records") or []:
        s3_part = record.get("s3") or {}
        bucket = str((s3_part.get("bucket") or {}).get("name", ""))
        obj = s3_part.get("object") or {}
        key = unquote_plus(str(obj.get("key", "")))  # event keys are URL-encoded
        if not bucket or not key:
            logger.error("S3 event record without bucket or key", extra={"record": record})
            continue
        link = chain_for(bucket).chain(key, obj.get("versionId"))
        objects, records = objects + 1, records + link.records
    metrics.add_metric(name="Archive_objects_chained", unit=MetricUnit.Count, value=objects)
    logger.info("archive objects chained", extra={"objects": objects, "records": records})
    return {"objects": objects, "records": records}
