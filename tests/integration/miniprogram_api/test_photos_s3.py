"""Photos through the API with the S3 store (moto's mock_aws, in-process: its server mode needs flask, which is
not installed): direct upload by presigned POST then confirm, multipart upload, reads as presigned redirects."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from moto import mock_aws
from urllib3 import encode_multipart_formdata

from monitoring.accounts.models import Role
from monitoring.storage.sqlite import open_store
from tests.integration.miniprogram_api.field_world import jpeg
from tests.integration.miniprogram_api.world import PASSWORD, build_world
from tests.support.api import ApiClient, api_settings, serve

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
BUCKET = "rugao-photos"


@dataclass
class S3Api:
    client: ApiClient
    s3: Any
    tokens: dict[Role, str]


@pytest.fixture(scope="module")
def s3api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Api]:
    path = Path(tmp_path_factory.mktemp("s3api")) / "api.db"
    store = open_store(str(path))
    with mock_aws():
        s3 = boto3.client("s3", region_name="cn-north-1", aws_access_key_id="test", aws_secret_access_key="test")
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "cn-north-1"})
        world = build_world(store)
        settings = api_settings(str(path), login_rate_per_minute=6000, login_burst=1000, photo_store="s3",
                                photo_bucket=BUCKET, photo_region="cn-north-1")  # fmt: skip
        try:
            with serve(store, settings) as client:
                tokens = {}
                for role in (Role.INSTALLER, Role.ENTERPRISE, Role.TOWN):
                    account = world.accounts[role]
                    reply = client.post("/auth/login", json_body={"login": account.username, "password": PASSWORD})
                    tokens[role] = reply.json["access_token"]
                yield S3Api(client, s3, tokens)
        finally:
            store.close()


def _keys(s3: Any) -> list[str]:
    return [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]


def test_direct_upload_then_confirm_then_read_by_redirect(s3api: S3Api) -> None:
    token = s3api.tokens[Role.INSTALLER]
    started = s3api.client.post("/photos/uploads", token=token)
    assert started.status == 201, started
    form = started.json
    data = jpeg((80, 60))
    # what wx.uploadFile does with url + formData, the file under "file"
    sent = requests.post(form["url"], data=form["fields"], files={"file": ("wx.jpg", data)}, timeout=10)
    assert sent.status_code == 204
    confirmed = s3api.client.post(f"/photos/{form['photo_id']}/confirm", token=token,
                                  json_body={"enterprise_id": "ent-in", "kind": "installation"})  # fmt: skip
    assert confirmed.status == 201 and confirmed.json["width"] == 80, confirmed
    assert _keys(s3api.s3) == [f"photos/{form['photo_id']}"]
    read = s3api.client.get(f"/photos/{form['photo_id']}", token=s3api.tokens[Role.TOWN])
    assert read.status == 302 and "X-Amz-Signature=" in read.headers["location"]
    fetched = requests.get(read.headers["location"], timeout=10)
    assert fetched.status_code == 200 and fetched.content == data
    # the upload is used up: confirming it again finds nothing
    assert s3api.client.post(f"/photos/{form['photo_id']}/confirm", token=token,
                             json_body={"enterprise_id": "ent-in", "kind": "site"}).status == 404  # fmt: skip


def test_direct_upload_of_text_is_refused_and_nothing_kept(s3api: S3Api) -> None:
    token = s3api.tokens[Role.INSTALLER]
    before = _keys(s3api.s3)
    form = s3api.client.post("/photos/uploads", token=token).json
    requests.post(form["url"], data=form["fields"], files={"file": ("a.jpg", b"plain text")}, timeout=10)
    confirmed = s3api.client.post(f"/photos/{form['photo_id']}/confirm", token=token,
                                  json_body={"enterprise_id": "ent-in", "kind": "site"})  # fmt: skip
    assert confirmed.status == 422 and confirmed.json["code"] == "invalid_image"
    assert _keys(s3api.s3) == before


def test_multipart_upload_lands_in_s3(s3api: S3Api) -> None:
    data = jpeg()
    body, ctype = encode_multipart_formdata({"enterprise_id": "ent-in", "kind": "site", "file": ("x.jpg", data)})
    reply = s3api.client.post("/photos", body=body, token=s3api.tokens[Role.ENTERPRISE],
                              headers={"Content-Type": ctype})  # fmt: skip
    assert reply.status == 201, reply
    stored = s3api.s3.get_object(Bucket=BUCKET, Key=f"photos/{reply.json['photo_id']}")
    assert stored["Body"].read() == data and stored["ContentType"] == "image/jpeg"
