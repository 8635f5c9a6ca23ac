"""Redrive decode's dead-letter queue into the frame stream (AWS), after the cause was fixed.

More: docs/deploy.md, "Module notes".
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3

from functions.adapters.sqs_dead_letters import SOURCE
from iot_ingest.sinks.kinesis import UNKNOWN_MN, stream_keys

log = logging.getLogger(__name__)
PUT_BATCH = 500  # Kinesis PutRecords limit
PUT_TRIES = 5


@dataclass
class RedriveResult:
    messages: int = 0  # messages redriven (and deleted, unless a dry run)
    records: int = 0  # records put back into the stream (or that would be)
    kept: list[str] = field(default_factory=list)  # why each message left in the queue could not be redriven


def clients(region: str | None) -> tuple[Any, Any]:
    """SQS and Kinesis clients from the AWS configuration (environment, profile, instance role)."""
    return boto3.client("sqs", region_name=region), boto3.client("kinesis", region_name=region)


def _stream_name(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def read_batch(kinesis: Any, info: dict[str, Any]) -> tuple[list[bytes], str]:
    """The records' data of an on-failure batch pointer, and "" or why some are missing."""
    start, end, size = int(info["startSequenceNumber"]), int(info["endSequenceNumber"]), int(info["batchSize"])
    iterator = kinesis.get_shard_iterator(
        StreamName=_stream_name(info["streamArn"]),
        ShardId=info["shardId"],
        ShardIteratorType="AT_SEQUENCE_NUMBER",
        StartingSequenceNumber=info["startSequenceNumber"],
    )["ShardIterator"]
    found: list[tuple[int, bytes]] = []
    while iterator and len(found) < size:
        page = kinesis.get_records(ShardIterator=iterator, Limit=min(10_000, size))
        for r in page["Records"]:
            seq = int(r["SequenceNumber"])
            if seq > end:
                iterator = None
                break
            found.append((seq, r["Data"]))
        else:
            iterator = page.get("NextShardIterator") if page["Records"] or page.get("MillisBehindLatest") else None
    records = [data for _, data in found]
    if not found or found[0][0] != start or found[-1][0] != end:
        return records, f"records of {info['shardId']} {start}..{end} are no longer all in the stream"
    return records, ""


def _records_of(kinesis: Any, body: Any) -> tuple[list[bytes], str]:
    if isinstance(body, dict) and body.get("source") == SOURCE:
        return [base64.b64decode(body["data"])], ""
    if isinstance(body, dict) and isinstance(body.get("KinesisBatchInfo"), dict):
        return read_batch(kinesis, body["KinesisBatchInfo"])
    return [], "not a decode dead letter"


def mn_of(data: bytes) -> str:
    """The MN of a frame record as the listener keyed it (iot_ingest/sinks/kinesis.py); `-` for none."""
    try:
        record = json.loads(data)
    except ValueError:
        return UNKNOWN_MN
    mn = record.get("mn") if isinstance(record, dict) else None
    return str(mn or UNKNOWN_MN)


def keyed(data: bytes, groups: int) -> dict[str, Any]:
    """A PutRecords entry with the live sink's keys for the record's MN: it goes to its group's shard and lane,
    where decode notes its group's progress (monitoring/rules/decode_watermark.py), not where MD5 of an old key
    would put it."""
    key, hash_key = stream_keys(mn_of(data), groups)
    return {"PartitionKey": key, "ExplicitHashKey": hash_key, "Data": data}


def put_records(kinesis: Any, stream: str, records: list[bytes], *, groups: int) -> None:
    """PutRecords in chunks, retrying the entries the stream refused (throttling); raises if some never went in."""
    for start in range(0, len(records), PUT_BATCH):
        pending = [keyed(data, groups) for data in records[start : start + PUT_BATCH]]
        for _ in range(PUT_TRIES):
            response = kinesis.put_records(StreamName=stream, Records=pending)
            if not response.get("FailedRecordCount"):
                break
            pending = [e for e, r in zip(pending, response["Records"], strict=True) if r.get("ErrorCode")]
        else:
            raise RuntimeError(f"stream {stream} refused {len(pending)} records {PUT_TRIES} times")


def _messages(sqs: Any, queue_url: str, limit: int | None) -> Iterator[dict[str, Any]]:
    seen = 0
    while limit is None or seen < limit:
        want = 10 if limit is None else min(10, limit - seen)
        page = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=want, VisibilityTimeout=300)
        messages = page.get("Messages", [])
        if not messages:
            return
        for message in messages:
            seen += 1
            yield message


def redrive(
    sqs: Any,
    kinesis: Any,
    *,
    queue_url: str,
    stream: str,
    groups: int,
    limit: int | None = None,
    dry_run: bool = False,
) -> RedriveResult:
    """Put the dead letters' records back into `stream` (keyed by their MN's group of `groups`, the listener's
    IOT_INGEST_STREAM_GROUPS) and delete their messages (at most `limit` messages)."""
    result = RedriveResult()
    untouched: list[str] = []  # hidden while this run reads on; visible again at its end
    try:
        for message in _messages(sqs, queue_url, limit):
            try:
                body = json.loads(message["Body"])
            except ValueError:
                body = None
            records, problem = _records_of(kinesis, body)
            if problem or dry_run:
                untouched.append(message["ReceiptHandle"])
            if problem:
                result.kept.append(f"{message['MessageId']}: {problem}")
                continue
            if not dry_run:
                put_records(kinesis, stream, records, groups=groups)
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            result.messages += 1
            result.records += len(records)
    finally:
        for handle in untouched:
            sqs.change_message_visibility(QueueUrl=queue_url, ReceiptHandle=handle, VisibilityTimeout=0)
    return result
