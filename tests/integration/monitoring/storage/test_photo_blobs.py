"""Photo bytes: the local directory adapter on a real file system, and the S3 adapter against moto (mock_aws,
in-process: moto's server mode needs flask, which is not installed)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import boto3
import pytest
import requests
from moto import mock_aws

from monitoring.errors import InvalidInputError, NotFoundError
from monitoring.photos.models import PhotoKind, PhotoTooLargeError, new_photo_id
from monitoring.photos.service import finish_direct_upload, start_direct_upload
from monitoring.storage.memory import memory_store
from monitoring.storage.photo_blobs.local import LocalPhotoBlobs
from monitoring.storage.photo_blobs.s3 import S3PhotoBlobs
from tests.unit.monitoring.photos.images import image_bytes

pytestmark = pytest.mark.integration
NOW = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)
TRAVERSALS = ["../../etc/passwd", "ph-../../x", "/etc/passwd", "ph-" + "0" * 31 + "/", "..", "ph-" + "G" * 32, ""]


def test_local_blobs_round_trip_inside_their_root(tmp_path: Path) -> None:
    blobs = LocalPhotoBlobs(tmp_path / "photos")
    pid = new_photo_id()
    blobs.put(pid, b"\xff\xd8 bytes", "image/jpeg")
    assert blobs.get(pid) == b"\xff\xd8 bytes"
    path = tmp_path / "photos" / pid[3:5] / pid
    assert path.is_file() and (path.stat().st_mode & 0o777) == 0o600
    assert [p.name for p in path.parent.iterdir()] == [pid]  # no temp file left behind
    assert blobs.download_url(pid, "image/jpeg") is None  # served by the API
    blobs.delete(pid)
    with pytest.raises(NotFoundError):
        blobs.get(pid)


@pytest.mark.parametrize("bad", TRAVERSALS)
def test_local_blobs_take_no_name_but_a_photo_id(tmp_path: Path, bad: str) -> None:
    blobs = LocalPhotoBlobs(tmp_path / "photos")
    (tmp_path / "secret").write_bytes(b"secret")
    for call in (lambda: blobs.get(bad), lambda: blobs.put(bad, b"x", "image/jpeg"), lambda: blobs.delete(bad)):
        with pytest.raises(InvalidInputError):
            call()
    assert sorted(os.listdir(tmp_path)) == ["secret"]  # nothing written anywhere


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name="cn-north-1", aws_access_key_id="test", aws_secret_access_key="test")
        client.create_bucket(Bucket="rugao-photos", CreateBucketConfiguration={"LocationConstraint": "cn-north-1"})
        yield client


def test_s3_blobs_round_trip_and_presigned_download(s3: Any) -> None:
    blobs = S3PhotoBlobs(s3, "rugao-photos", url_seconds=120)
    pid = new_photo_id()
    blobs.put(pid, b"\x89PNG bytes", "image/png")
    assert blobs.get(pid) == b"\x89PNG bytes"
    head = s3.head_object(Bucket="rugao-photos", Key=f"photos/{pid}")
    assert head["ContentType"] == "image/png"
    url = blobs.download_url(pid, "image/png")
    assert url is not None
    query = parse_qs(urlparse(url).query)
    assert query["X-Amz-Expires"] == ["120"] and urlparse(url).path.endswith(f"/photos/{pid}")
    answer = requests.get(url, timeout=10)
    assert answer.status_code == 200 and answer.content == b"\x89PNG bytes"
    assert answer.headers["Content-Type"] == "image/png"
    blobs.delete(pid)
    with pytest.raises(NotFoundError):
        blobs.get(pid)


@pytest.mark.parametrize("bad", TRAVERSALS)
def test_s3_keys_are_photo_ids_only(s3: Any, bad: str) -> None:
    blobs = S3PhotoBlobs(s3, "rugao-photos")
    with pytest.raises(InvalidInputError):
        blobs.put(bad, b"x", "image/jpeg")
    with pytest.raises(InvalidInputError):
        blobs.download_url(bad, "image/jpeg")
    assert s3.list_objects_v2(Bucket="rugao-photos")["KeyCount"] == 0


def _post(form: Any, data: bytes) -> int:
    # What wx.uploadFile sends: the form's fields plus the file, multipart, under the name "file".
    answer = requests.post(form.url, data=dict(form.fields), files={"file": ("wx-tmp.jpg", data)}, timeout=10)
    return answer.status_code


def test_direct_upload_is_checked_and_kept_only_for_its_uploader(s3: Any) -> None:
    blobs = S3PhotoBlobs(s3, "rugao-photos")
    photos = memory_store().photos
    started = start_direct_upload(blobs, "acct-inst-1")
    assert started is not None
    photo_id, form = started
    assert form.fields["key"] == f"incoming/acct-inst-1/{photo_id}" and form.expires_in_s == 600
    assert _post(form, image_bytes("JPEG")) == 204
    # Another account cannot claim it
    with pytest.raises(NotFoundError):
        finish_direct_upload(photos, blobs, photo_id=photo_id, enterprise_id="e1", kind=PhotoKind.SITE,
                             uploaded_by="acct-other", now=NOW)  # fmt: skip
    photo = finish_direct_upload(photos, blobs, photo_id=photo_id, enterprise_id="e1", kind=PhotoKind.SITE,
                                 uploaded_by="acct-inst-1", now=NOW)  # fmt: skip
    assert photo.photo_id == photo_id and photo.content_type == "image/jpeg"
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="rugao-photos")["Contents"]]
    assert keys == [f"photos/{photo_id}"]  # the unchecked copy is gone


def test_direct_upload_of_a_renamed_text_file_is_refused_and_removed(s3: Any) -> None:
    blobs = S3PhotoBlobs(s3, "rugao-photos")
    photos = memory_store().photos
    started = start_direct_upload(blobs, "acct-inst-1")
    assert started is not None
    photo_id, form = started
    assert _post(form, b"not an image, whatever the name says") == 204
    with pytest.raises(InvalidInputError):
        finish_direct_upload(photos, blobs, photo_id=photo_id, enterprise_id="e1", kind=PhotoKind.SITE,
                             uploaded_by="acct-inst-1", now=NOW)  # fmt: skip
    assert s3.list_objects_v2(Bucket="rugao-photos")["KeyCount"] == 0
    assert photos.photos_for("e1") == []


def test_oversized_direct_upload_is_refused_before_it_is_read(s3: Any) -> None:
    # moto does not enforce the form's content-length-range (S3 does), so take_upload checks the size itself
    blobs = S3PhotoBlobs(s3, "rugao-photos")
    started = start_direct_upload(blobs, "acct-inst-1")
    assert started is not None
    photo_id, form = started
    assert _post(form, b"\xff" * 2048) == 204
    with pytest.raises(PhotoTooLargeError):
        blobs.take_upload(photo_id, "acct-inst-1", max_bytes=1024)
    assert s3.list_objects_v2(Bucket="rugao-photos")["KeyCount"] == 0


def test_local_store_has_no_direct_upload(tmp_path: Path) -> None:
    assert start_direct_upload(LocalPhotoBlobs(tmp_path), "acct-inst-1") is None
