"""Photo bytes: the local directory adapter on a real file system, and the S3 adapter against moto (mock_aws,
in-process: moto's server mode needs flask, which is not installed)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import boto3
import pytest
import requests
from moto import mock_aws

from monitoring.errors import InvalidInputError, NotFoundError
from monitoring.photos.models import new_photo_id
from monitoring.storage.photo_blobs.local import LocalPhotoBlobs
from monitoring.storage.photo_blobs.s3 import S3PhotoBlobs

pytestmark = pytest.mark.integration
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
