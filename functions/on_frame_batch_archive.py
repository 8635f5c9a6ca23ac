"""Kinesis frame batch → one raw archive object per (date, auth) partition in S3, as the Firehose delivery writes.

More: docs/deploy.md, "Data protection" (the archive writers).
"""

from __future__ import annotations

import base64
import binascii
import os
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions._observability import logger
from functions.adapters.archive_objects import S3Objects, s3_client
from monitoring.archive.raw_objects import StreamRecord, batch_objects

BUCKET_VARIABLE = "ARCHIVE_BUCKET"
_bucket: dict[str, S3Objects] = {}  # per container: the client is made once


def archive() -> S3Objects:
    name = os.environ.get(BUCKET_VARIABLE, "")
    if not name:
        raise RuntimeError(f"{BUCKET_VARIABLE} is not set")
    if name not in _bucket:
        _bucket.clear()
        _bucket[name] = S3Objects(s3_client(os.environ.get("AWS_REGION") or None), name)
    return _bucket[name]


def stream_records(event: dict[str, Any]) -> tuple[str, list[StreamRecord]]:
    """The batch's shard (every record of a Kinesis batch is of one shard) and its records in order. Data that is
    not base64 (never from Kinesis) is kept as its text, so it lands among the records jq cannot partition."""
    records, shard = [], ""
    for record in event.get("Records") or []:
        kinesis = record.get("kinesis") or {}
        shard = shard or str(record.get("eventID", "")).partition(":")[0]
        text = str(kinesis.get("data", ""))
        try:
            data = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            data = text.encode("utf-8", errors="replace")
        arrived = kinesis.get("approximateArrivalTimestamp")
        records.append(
            StreamRecord(
                str(kinesis.get("sequenceNumber", "")), float(arrived) if isinstance(arrived, int | float) else 0, data
            )
        )
    return shard, records


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    """Any failure raises: the event source retries the batch (bisected) until its records reach the maximum age,
    then sends its pointers to the on-failure queue. Objects already written are not written again."""
    shard, records = stream_records(event)
    if not records:
        return {"objects": 0, "written": 0, "records": 0}
    bucket, written = archive(), 0
    objects = batch_objects(shard, records)
    for obj in objects:
        written += bucket.put_new(obj.key, obj.body)
    logger.info(
        "frame batch archived",
        extra={"shard": shard, "records": len(records), "objects": len(objects), "written": written},
    )
    return {"objects": len(objects), "written": written, "records": len(records)}
