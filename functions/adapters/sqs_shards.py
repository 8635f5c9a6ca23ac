"""Rule shards on an SQS FIFO queue: one message per shard and tick, grouped per shard, deduplicated per tick.

A shard's messages share a message group, so SQS hands them to workers one at a time and in tick order (a shard
is never evaluated twice at once); the deduplication id makes a retried scheduler run enqueue nothing twice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from monitoring.errors import StorageUnavailableError
from monitoring.rules.shards import Shard

SQS_BATCH = 10


def _token(text: str) -> str:
    """An SQS group or deduplication id (at most 128 of a restricted alphabet) for any county id."""
    return hashlib.sha256(text.encode()).hexdigest()


def entry(i: int, shard: Shard) -> dict[str, Any]:
    return {
        "Id": str(i),
        "MessageBody": json.dumps(shard.to_message(), ensure_ascii=False, separators=(",", ":")),
        "MessageGroupId": _token(f"{shard.county_id}\n{shard.index}"),
        "MessageDeduplicationId": _token(f"{shard.county_id}\n{shard.index}\n{shard.tick.isoformat()}"),
    }


class SqsShardQueue:
    """Sends shards; any AWS error, or an entry still refused after one retry, is a StorageUnavailableError
    (the scheduler run fails and Lambda retries it, within min(N, 5) minutes of the tick: infra's async-invoke
    settings; deduplication, 5 minutes, drops what was already sent)."""

    def __init__(self, queue_url: str, *, region: str | None = None, client: Any = None) -> None:
        self.queue_url = queue_url
        self.client = client or boto3.client("sqs", region_name=region)

    def send(self, shards: Sequence[Shard]) -> int:
        for start in range(0, len(shards), SQS_BATCH):
            todo = [entry(i, s) for i, s in enumerate(shards[start : start + SQS_BATCH])]
            for attempt in (1, 2):
                try:
                    response = self.client.send_message_batch(QueueUrl=self.queue_url, Entries=todo)
                except (BotoCoreError, ClientError) as exc:
                    raise StorageUnavailableError(f"rule shard queue: {exc}") from exc
                failed = {f["Id"] for f in response.get("Failed", [])}
                todo = [e for e in todo if e["Id"] in failed]
                if not todo:
                    break
                if attempt == 2:
                    reasons = sorted({f.get("Code", "?") for f in response.get("Failed", [])})
                    raise StorageUnavailableError(f"rule shard queue refused {len(todo)} messages: {reasons}")
        return len(shards)
