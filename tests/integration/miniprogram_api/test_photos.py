"""Photos over HTTP: a real JPEG uploaded as wx.uploadFile sends it, read back byte for byte; renamed text,
traversal names, oversized bodies and other enterprises' photos refused."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from urllib3 import encode_multipart_formdata

from monitoring.accounts.models import Role
from monitoring.photos.models import MAX_BYTES, new_photo_id
from tests.integration.miniprogram_api.conftest import Api
from tests.integration.miniprogram_api.field_world import jpeg
from tests.support.api import Reply

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


def _upload(api: Api, role: Role, data: bytes, *, filename: str = "tmp_wx.jpg", **fields: str) -> Reply:
    form: dict[str, Any] = {"enterprise_id": "ent-in", "kind": "installation", **fields}
    form["file"] = (filename, data, "image/jpeg")
    body, content_type = encode_multipart_formdata(form)
    return api.client.post("/photos", body=body, token=api.token(role), headers={"Content-Type": content_type})


def test_real_jpeg_is_kept_and_served_back_byte_for_byte(api: Api) -> None:
    data = jpeg((160, 120))
    reply = _upload(api, Role.INSTALLER, data, subject_id="MNIN0001")
    assert reply.status == 201, reply
    photo = reply.json
    assert photo["photo_id"].startswith("ph-") and photo["content_type"] == "image/jpeg"
    assert (photo["width"], photo["height"], photo["size"]) == (160, 120, len(data))
    assert photo["sha256"] == hashlib.sha256(data).hexdigest() and photo["created_at"].endswith("+08:00")
    got = api.client.get(f"/photos/{photo['photo_id']}", token=api.token(Role.BRANCH))
    assert got.status == 200 and got.body == data
    assert got.headers["content-type"] == "image/jpeg" and got.headers["x-content-type-options"] == "nosniff"
    listed = api.client.get("/photos", token=api.token(Role.ENTERPRISE), query={"enterprise_id": "ent-in"})
    assert photo["photo_id"] in [p["photo_id"] for p in listed.json["items"]]


@pytest.mark.parametrize(
    ("filename", "data"),
    [
        ("photo.jpg", b"this is a text file renamed to photo.jpg\n"),
        ("evil.png", b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>"),
        ("half.jpg", jpeg((160, 120))[:-100]),
    ],
    ids=["renamed-text", "svg-as-png", "truncated-jpeg"],
)
def test_what_is_not_a_whole_image_is_refused(api: Api, filename: str, data: bytes) -> None:
    reply = _upload(api, Role.INSTALLER, data, filename=filename)
    assert reply.status == 422 and reply.json["code"] == "invalid_image", reply


def test_client_file_name_is_never_used(api: Api) -> None:
    reply = _upload(api, Role.INSTALLER, jpeg(), filename="../../../../tmp/evil.jpg")
    assert reply.status == 201
    assert not Path("/tmp/evil.jpg").exists() and "evil" not in reply.body.decode()


@pytest.mark.parametrize(
    "photo_id",
    ["..%2F..%2Fetc%2Fpasswd", "ph-..", "ph-" + "A" * 32, "%2e%2e", "ph-" + "0" * 31 + "%00", "photo.jpg"],
)
def test_traversal_names_find_nothing(api: Api, photo_id: str) -> None:
    reply = api.client.get(f"/photos/{photo_id}", token=api.token(Role.ADMIN))
    assert reply.status in (404, 422), reply
    assert set(reply.json) == {"code", "message", "field"}


def test_oversized_upload_is_413(api: Api) -> None:
    big = b"\xff\xd8\xff" + b"\x00" * (MAX_BYTES + 1)  # a file just over 10 MB inside a body under the route limit
    reply = _upload(api, Role.INSTALLER, big)
    assert reply.status == 413 and reply.json["code"] == "payload_too_large", reply
    huge = b"x" * (MAX_BYTES + 200 * 1024)  # the body itself over the route's limit
    reply = api.client.post("/photos", body=huge, token=api.token(Role.INSTALLER),
                            headers={"Content-Type": "multipart/form-data; boundary=x"})  # fmt: skip
    assert reply.status == 413, reply


def test_photos_outside_the_scope_do_not_exist(api: Api) -> None:
    outside = api.world.outside["photo_id"]
    for role in (Role.BRANCH, Role.TOWN, Role.ENTERPRISE, Role.INSTALLER):
        assert api.client.get(f"/photos/{outside}", token=api.token(role)).status == 404
        listed = api.client.get("/photos", token=api.token(role), query={"enterprise_id": "ent-out"})
        assert listed.status == 404
    assert api.client.get(f"/photos/{outside}", token=api.token(Role.VIEWER)).status == 200
    assert api.client.get(f"/photos/{new_photo_id()}", token=api.token(Role.ADMIN)).status == 404
    # nor can one upload for an enterprise outside one's scope
    reply = _upload(api, Role.ENTERPRISE, jpeg(), enterprise_id="ent-out")
    assert reply.status == 404


@pytest.mark.parametrize(
    "fields",
    [{"kind": "selfie"}, {"enterprise_id": "ent-in' OR '1'='1"}, {"subject_id": "../x"}],
    ids=["unknown-kind", "injection", "bad-subject"],
)
def test_bad_form_fields_are_422(api: Api, fields: dict[str, str]) -> None:
    reply = _upload(api, Role.ADMIN, jpeg(), **fields)
    assert reply.status == 422, reply


def test_malformed_multipart_is_422_not_500(api: Api) -> None:
    for body in (b"not multipart at all", b"--x\r\nContent-Disposition: form-data\r\n\r\nno name\r\n--x--\r\n", b""):
        reply = api.client.post("/photos", body=body, token=api.token(Role.ADMIN),
                                headers={"Content-Type": "multipart/form-data; boundary=x"})  # fmt: skip
        assert reply.status == 422, (body, reply)


def test_the_document_describes_the_upload_form_the_handler_reads(api: Api) -> None:
    doc = api.client.get("/openapi.json").json
    body = doc["paths"]["/api/v1/photos"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    form = doc["components"]["schemas"][body["$ref"].rsplit("/", 1)[-1]]
    assert set(form["properties"]) == {"file", "enterprise_id", "kind", "subject_id"}
    assert set(form["required"]) == {"file", "enterprise_id", "kind"}
    assert form["properties"]["file"] == {**form["properties"]["file"], "type": "string", "format": "binary"}
    kinds = doc["components"]["schemas"][form["properties"]["kind"]["$ref"].rsplit("/", 1)[-1]]["enum"]
    assert "installation" in kinds
    # the form as described, and nothing else, is what an upload needs
    data = jpeg((32, 24))
    sent = {
        "enterprise_id": "ent-in",
        "kind": "installation",
        "subject_id": "MNIN0001",
        "file": ("a.jpg", data, "image/jpeg"),
    }
    assert set(sent) == set(form["properties"])
    encoded, content_type = encode_multipart_formdata(sent)
    reply = api.client.post(
        "/photos", body=encoded, token=api.token(Role.INSTALLER), headers={"Content-Type": content_type}
    )
    assert reply.status == 201, reply
