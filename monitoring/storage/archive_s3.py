"""The raw archive bucket read for evidence exports (AWS): delivered objects and their manifests by key.

GetObject only (no listing): the keys come from the global chain's links. The client (boto3) is passed in.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from monitoring.errors import StorageUnavailableError

_MISSING = frozenset({"NoSuchKey", "NoSuchVersion", "404"})


class S3ArchiveReader:
    """`monitoring.evidence.delivered.ArchiveObjects` on the archive bucket: the current version of a key (a
    deleted object reads as None, which the package's verification then reports)."""

    def __init__(self, client: Any, bucket: str) -> None:
        self.client, self.bucket = client, bucket

    def get(self, key: str, version: str | None = None) -> bytes | None:
        extra = {"VersionId": version} if version else {}
        try:
            return bytes(self.client.get_object(Bucket=self.bucket, Key=key, **extra)["Body"].read())
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _MISSING:
                return None
            raise StorageUnavailableError(f"s3://{self.bucket}/{key}: {exc}") from exc
        except BotoCoreError as exc:
            raise StorageUnavailableError(f"s3://{self.bucket}/{key}: {exc}") from exc


def open_s3_archive(bucket: str, region: str = "", endpoint: str = "") -> S3ArchiveReader:
    import boto3

    client = boto3.client("s3", region_name=region or None, endpoint_url=endpoint or None)
    return S3ArchiveReader(client, bucket)
