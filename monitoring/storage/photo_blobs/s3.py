"""Photo bytes in S3 under `<prefix><photo id>`; clients read them through short-lived presigned GET URLs.

The client (boto3) is passed in, so tests point it at moto's server on 127.0.0.1 and AWS at the real bucket.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from monitoring.errors import NotFoundError, StorageUnavailableError
from monitoring.photos.models import check_photo_id

URL_SECONDS = 300


class S3PhotoBlobs:
    """`PhotoBlobStore` on one S3 bucket (SSE by the bucket's default encryption)."""

    def __init__(self, client: Any, bucket: str, *, prefix: str = "photos/", url_seconds: int = URL_SECONDS) -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix
        self.url_seconds = url_seconds

    def _key(self, photo_id: str) -> str:
        return self.prefix + check_photo_id(photo_id)

    def put(self, photo_id: str, data: bytes, content_type: str) -> None:
        try:
            self.client.put_object(Bucket=self.bucket, Key=self._key(photo_id), Body=data, ContentType=content_type)
        except (BotoCoreError, ClientError) as exc:
            raise StorageUnavailableError(f"photo {photo_id} not written: {exc}") from exc

    def get(self, photo_id: str) -> bytes:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self._key(photo_id))
            body: bytes = answer["Body"].read()
            return body
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise NotFoundError(f"照片 {photo_id} 不存在") from exc
            raise StorageUnavailableError(f"photo {photo_id} not read: {exc}") from exc
        except BotoCoreError as exc:
            raise StorageUnavailableError(f"photo {photo_id} not read: {exc}") from exc

    def delete(self, photo_id: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self._key(photo_id))
        except (BotoCoreError, ClientError) as exc:
            raise StorageUnavailableError(f"photo {photo_id} not deleted: {exc}") from exc

    def download_url(self, photo_id: str, content_type: str) -> str | None:
        params = {"Bucket": self.bucket, "Key": self._key(photo_id), "ResponseContentType": content_type}
        url: str = self.client.generate_presigned_url("get_object", Params=params, ExpiresIn=self.url_seconds)
        return url
