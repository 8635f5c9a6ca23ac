"""Put the S3 raw archive's frame records back into the frame stream (AWS): the rebuild of decoded tables.

Firehose wrote each Kinesis record (a frame record, docs/contracts.md §2) as one line of a gzip object under
`raw/date=YYYY-MM-DD/auth=<verdict>/`; decode is idempotent, so frames decoded before are harmless.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import boto3

from functions.adapters.redrive import put_records

ARCHIVE_PREFIX = "raw/date={day}/"


@dataclass
class RestreamResult:
    objects: int = 0
    records: int = 0  # put back into the stream (or that would be)
    skipped: list[str] = field(default_factory=list)  # objects or lines that are not frame records, and why


def clients(region: str | None) -> tuple[Any, Any]:
    """S3 and Kinesis clients from the AWS configuration (environment, profile, instance role)."""
    return boto3.client("s3", region_name=region), boto3.client("kinesis", region_name=region)


def days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def _keys(s3: Any, bucket: str, prefix: str) -> Iterator[str]:
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            yield str(item["Key"])


def frame_records(body: bytes, where: str, skipped: list[str]) -> list[bytes]:
    """The frame records (lines) of one delivered object; a line that is no JSON object is skipped."""
    out: list[bytes] = []
    for n, line in enumerate(body.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            doc = json.loads(line)
        except ValueError:
            doc = None
        if not isinstance(doc, dict):
            skipped.append(f"{where} line {n}: not a frame record")
            continue
        out.append(line)
    return out


def restream(
    s3: Any,
    kinesis: Any,
    *,
    bucket: str,
    stream: str,
    groups: int,
    first: date,
    last: date,
    dry_run: bool = False,
) -> RestreamResult:
    """Every frame record archived on the UTC days first..last, back into `stream` keyed as the listener keys its
    MN (its group of `groups`)."""
    result = RestreamResult()
    for day in days(first, last):
        for key in _keys(s3, bucket, ARCHIVE_PREFIX.format(day=day.isoformat())):
            raw = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
            try:
                body = gzip.decompress(raw) if key.endswith(".gz") else raw
            except (OSError, EOFError, zlib.error) as exc:
                result.skipped.append(f"{key}: not gzip ({exc})")
                continue
            records = frame_records(body, key, result.skipped)
            if not dry_run:
                put_records(kinesis, stream, records, groups=groups)  # in PutRecords chunks, retrying throttled entries
            result.objects += 1
            result.records += len(records)
    return result
