"""Decode's dead letters in AWS: poison frame records as messages on the decode dead-letter queue.

The same queue receives the event source mapping's on-failure records (batch pointers into the stream); a message
of ours carries the record itself. `python -m functions.redrive` puts both kinds back into the frame stream.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from monitoring.errors import StorageUnavailableError
from monitoring.ingest.isolate import Poison

SOURCE = "gongkuang:decode-poison"  # tells our messages from Lambda's on-failure records
UNKNOWN_KEY = "-"  # the partition key of a redriven record without MN
ERROR_CHARS = 8000  # the traceback's end (an SQS message is at most 256 KiB)
SQS_BATCH = 10


def partition_key(data: bytes) -> str:
    """The record's MN: a redriven record goes back under it (the listener keys by the MN's group, which decode
    alone does not know; decode notes no progress for MN keys when a shard has several lanes, and a redrive is old
    data anyway, judged as backfill)."""
    try:
        doc = json.loads(data)
    except ValueError:
        return UNKNOWN_KEY
    mn = doc.get("mn") if isinstance(doc, dict) else None
    return str(mn)[:256] if mn else UNKNOWN_KEY


def message(p: Poison) -> dict[str, Any]:
    return {
        "source": SOURCE,
        "sequenceNumber": p.item_id,
        "partitionKey": partition_key(p.data),
        "data": base64.b64encode(p.data).decode("ascii"),
        "reason": p.reason,
        "error": p.error[-ERROR_CHARS:],
    }


class SqsDeadLetters:
    """DeadLetters on an SQS queue; any AWS error is a StorageUnavailableError (the batch is retried)."""

    def __init__(self, queue_url: str, *, region: str | None = None, client: Any = None) -> None:
        self.queue_url = queue_url
        self.client = client or boto3.client("sqs", region_name=region)

    def set_aside(self, poison: Sequence[Poison]) -> None:
        for start in range(0, len(poison), SQS_BATCH):
            chunk = poison[start : start + SQS_BATCH]
            entries = [{"Id": str(i), "MessageBody": json.dumps(message(p))} for i, p in enumerate(chunk)]
            try:
                response = self.client.send_message_batch(QueueUrl=self.queue_url, Entries=entries)
            except (BotoCoreError, ClientError) as exc:
                raise StorageUnavailableError(f"dead-letter queue: {exc}") from exc
            if response.get("Failed"):
                codes = sorted({str(f.get("Code")) for f in response["Failed"]})
                raise StorageUnavailableError(f"dead-letter queue refused {len(response['Failed'])} messages: {codes}")
