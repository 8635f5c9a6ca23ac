"""Photo bytes in S3 under `<prefix><photo id>`; clients read them through short-lived presigned GET URLs.

The client (boto3) is passed in, so tests point it at moto's server on 127.0.0.1 and AWS at the real bucket.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from monitoring.errors import NotFoundError, StorageUnavailableError
from monitoring.photos.models import MAX_BYTES, PhotoTooLargeError, check_photo_id
from monitoring.photos.ports import UploadForm
from monitoring.registry.models import check_id

URL_SECONDS = 300
UPLOAD_SECONDS = 600


class S3PhotoBlobs:
    """`PhotoBlobStore` on one S3 bucket (SSE by the bucket's default encryption)."""

    direct_uploads = True

    def __init__(
        self,
        client: Any,
        bucket: str,
        *,
        prefix: str = "photos/",
        incoming: str = "incoming/",
        url_seconds: int = URL_SECONDS,
    ) -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix
        self.incoming = incoming  # unchecked uploads; a bucket lifecycle rule should expire them after a day
        self.url_seconds = url_seconds

    def _key(self, photo_id: str) -> str:
        return self.prefix + check_photo_id(photo_id)

    def put(self, photo_id: str, data: bytes, content_type: str) -> None:
        try:
            self.client.put_object(Bucket=self.bucket, Key=self._key(photo_id), Body=data, ContentType=content_type)
        except (BotoCoreError, ClientError) as exc:
            raise StorageUnavailableError(f"photo {photo_id} not written: {exc}") from exc

    def _incoming_key(self, photo_id: str, uploader_id: str) -> str:
        return f"{self.incoming}{check_id(uploader_id, 'uploader_id')}/{check_photo_id(photo_id)}"

    def get(self, photo_id: str) -> bytes:
        return self._read(self._key(photo_id), photo_id)

    def _read(self, key: str, photo_id: str) -> bytes:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=key)
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

    def upload_form(self, photo_id: str, uploader_id: str) -> UploadForm | None:
        key = self._incoming_key(photo_id, uploader_id)
        # S3 itself refuses a body outside the range; take_upload checks the size again before reading.
        post = self.client.generate_presigned_post(
            self.bucket, key, Conditions=[["content-length-range", 1, MAX_BYTES]], ExpiresIn=UPLOAD_SECONDS
        )
        return UploadForm(url=post["url"], fields=dict(post["fields"]), expires_in_s=UPLOAD_SECONDS)

    def take_upload(self, photo_id: str, uploader_id: str, max_bytes: int) -> bytes:
        key = self._incoming_key(photo_id, uploader_id)
        try:
            size = int(self.client.head_object(Bucket=self.bucket, Key=key)["ContentLength"])
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                raise NotFoundError(f"照片 {photo_id} 未上传") from exc
            raise StorageUnavailableError(f"upload {photo_id} not checked: {exc}") from exc
        except BotoCoreError as exc:
            raise StorageUnavailableError(f"upload {photo_id} not checked: {exc}") from exc
        try:
            if size > max_bytes:
                raise PhotoTooLargeError(f"照片不能超过 {max_bytes // (1024 * 1024)} MB")
            return self._read(key, photo_id)
        finally:
            try:
                self.client.delete_object(Bucket=self.bucket, Key=key)
            except (BotoCoreError, ClientError):
                pass  # left for the bucket's lifecycle rule on the incoming prefix


def open_s3_photo_blobs(bucket: str, region: str = "", endpoint: str = "") -> S3PhotoBlobs:
    """The S3 store of one bucket with a boto3 client of its own (SigV4, so presigned URLs work in every region)."""
    import boto3
    from botocore.config import Config

    if not bucket:
        raise ValueError("photo bucket not configured (API_PHOTO_BUCKET)")
    client = boto3.client(
        "s3", region_name=region or None, endpoint_url=endpoint or None, config=Config(signature_version="s3v4")
    )
    return S3PhotoBlobs(client, bucket)
