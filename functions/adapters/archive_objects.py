"""The raw archive bucket for the manifest chain: delivered objects (Firehose → S3: gzip JSON lines of frame
records, parsed by monitoring/ingest/delivered_objects.py) read, manifests written."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from monitoring.errors import StorageUnavailableError
from monitoring.ingest.delivered_objects import DeliveredFrames, frames_of, parse_object

__all__ = ["DeliveredFrames", "S3Objects", "frames_of", "parse_object", "s3_client"]


def s3_client(region: str | None, *, connect_s: float = 0, read_s: float = 0, attempts: int = 0) -> Any:
    """The SDK's client; with timeouts (seconds) and total attempts given, bounded by them (standard retries)."""
    if not (connect_s or read_s or attempts):
        return boto3.client("s3", region_name=region)
    retries: Any = {"total_max_attempts": attempts, "mode": "standard"}
    config = Config(connect_timeout=connect_s, read_timeout=read_s, retries=retries)
    return boto3.client("s3", region_name=region, config=config)


class S3Objects:
    """The archive bucket for the manifest chain (monitoring/archive/manifest_chain.py `ObjectStore`): reads see
    the current version (a deleted object reads as None), writes fall under the bucket's default retention."""

    def __init__(self, s3: Any, bucket: str) -> None:
        self._s3, self._bucket = s3, bucket

    def get(self, key: str, version: str | None = None) -> bytes | None:
        extra = {"VersionId": version} if version else {}
        try:
            return bytes(self._s3.get_object(Bucket=self._bucket, Key=key, **extra)["Body"].read())
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"NoSuchKey", "NoSuchVersion", "404"}:
                return None
            raise StorageUnavailableError(f"s3://{self._bucket}/{key}: {exc}") from exc
        except BotoCoreError as exc:
            raise StorageUnavailableError(f"s3://{self._bucket}/{key}: {exc}") from exc

    def put(self, key: str, data: bytes) -> None:
        try:
            self._s3.put_object(Bucket=self._bucket, Key=key, Body=data, ChecksumAlgorithm="SHA256")
        except (BotoCoreError, ClientError) as exc:
            raise StorageUnavailableError(f"s3://{self._bucket}/{key}: {exc}") from exc

    def put_new(self, key: str, data: bytes) -> bool:
        """Write `key` only if it does not exist (If-None-Match: *): False when it does, so a retried batch adds no
        second version. Its key carries the body's digest, so an existing object is this very object."""
        try:
            self._s3.put_object(Bucket=self._bucket, Key=key, Body=data, ChecksumAlgorithm="SHA256", IfNoneMatch="*")
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "PreconditionFailed":
                return False
            raise StorageUnavailableError(f"s3://{self._bucket}/{key}: {exc}") from exc
        except BotoCoreError as exc:
            raise StorageUnavailableError(f"s3://{self._bucket}/{key}: {exc}") from exc
        return True

    def keys(self, prefix: str) -> list[str]:
        out: list[str] = []
        try:
            for page in self._s3.get_paginator("list_objects_v2").paginate(Bucket=self._bucket, Prefix=prefix):
                out.extend(str(o["Key"]) for o in page.get("Contents") or [])
        except (BotoCoreError, ClientError) as exc:
            raise StorageUnavailableError(f"s3://{self._bucket}/{prefix}: {exc}") from exc
        return out
