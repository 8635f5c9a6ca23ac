"""Read one delivered archive object (Firehose → S3: gzip JSON lines of frame records) for the hash chain."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from monitoring.archive.delivered import object_digest
from monitoring.archive.models import RawFrame
from monitoring.errors import InvalidInputError, StorageUnavailableError
from monitoring.ingest.records import parse_record


@dataclass
class DeliveredFrames:
    """An object's SHA-256 (of its bytes as stored), its frame records in order, and its lines that are not."""

    digest: str
    frames: list[RawFrame] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def s3_client(region: str | None) -> Any:
    return boto3.client("s3", region_name=region)


def parse_object(key: str, stored: bytes) -> DeliveredFrames:
    """The frame records of an object's bytes; a line that is no frame record is skipped and named (it is then
    off every chain, which verification reports as a missing record if it was one)."""
    out = DeliveredFrames(object_digest(stored))
    try:
        body = gzip.decompress(stored) if key.endswith(".gz") else stored
    except (OSError, EOFError, zlib.error) as exc:
        out.skipped.append(f"{key}: not gzip ({exc})")
        return out
    for n, line in enumerate(body.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            out.frames.append(RawFrame.of(parse_record(line)))
        except InvalidInputError as exc:
            out.skipped.append(f"{key} line {n}: {exc}")
    return out


def read_object(s3: Any, bucket: str, key: str, version: str | None = None) -> DeliveredFrames:
    """Get and parse one object (the version the event names, when it names one); AWS errors are outages."""
    extra = {"VersionId": version} if version else {}
    try:
        stored = s3.get_object(Bucket=bucket, Key=key, **extra)["Body"].read()
    except (BotoCoreError, ClientError) as exc:
        raise StorageUnavailableError(f"s3://{bucket}/{key}: {exc}") from exc
    return parse_object(key, stored)


def frames_reader(s3: Any, bucket: str) -> Callable[[str], list[RawFrame]]:
    """`frames_of(key)` for chain verification: an object's frame records as stored now (each object read once)."""
    cache: dict[str, list[RawFrame]] = {}

    def frames_of(key: str) -> list[RawFrame]:
        if key not in cache:
            cache[key] = read_object(s3, bucket, key).frames
        return cache[key]

    return frames_of
