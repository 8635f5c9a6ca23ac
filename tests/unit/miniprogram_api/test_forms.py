"""multipart/form-data parsing: fields and a binary file come out exactly; malformed bodies are 422, never 500;
a form model is declared for multipart bodies only."""

from __future__ import annotations

import pytest
from urllib3 import encode_multipart_formdata

from miniprogram_api.chalicelib.errors import ApiError
from miniprogram_api.chalicelib.forms import parse_form
from miniprogram_api.chalicelib.framework import ROUTES, ApiBlueprint
from miniprogram_api.chalicelib.routes.photos import PhotoForm

pytestmark = pytest.mark.unit
# Bytes that break naive parsers: CRLFs, a blank line, dashes, a fake delimiter without its boundary, NULs.
PART = b'Content-Disposition: form-data; name="f%d"\r\n\r\nx\r\n--b\r\n'
NASTY = b"\xff\xd8\r\n\r\n--\r\n--x\r\n" + bytes(range(256)) + b"\r\n"


def test_fields_and_file_come_out_byte_for_byte() -> None:
    body, _ = encode_multipart_formdata(
        {"enterprise_id": "ent-1", "kind": "现场", "file": ("../../etc/passwd", NASTY, "image/jpeg")}
    )
    form = parse_form(body)
    assert form.fields == {"enterprise_id": "ent-1", "kind": "现场"}
    assert form.files == {"file": NASTY}  # the file name is not kept anywhere


def test_transport_padding_and_an_epilogue_are_allowed() -> None:
    body = (b"--b1  \r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--b1 \r\n"
            b"Content-Disposition: form-data; name=\"f\"; filename=\"x\"\r\n\r\nxyz\r\n--b1--\r\nepilogue")  # fmt: skip
    form = parse_form(body)
    assert form.fields == {"a": "1"} and form.files == {"f": b"xyz"}


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"no boundary line",
        b'--b\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n',  # no close delimiter
        b"--b\r\nContent-Disposition: form-data\r\n\r\n1\r\n--b--\r\n",  # no name
        b'--b\r\nContent-Disposition: attachment; name="a"\r\n\r\n1\r\n--b--\r\n',
        b'--b\r\nContent-Disposition: form-data; name="a"\r\n1\r\n--b--\r\n',  # no blank line after headers
        b'--b\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--b\r\n'
        b'Content-Disposition: form-data; name="a"\r\n\r\n2\r\n--b--\r\n',  # the same field twice
        b'--b\r\nContent-Disposition: form-data; name="a"\r\n\r\n\xff\xfe\r\n--b--\r\n',  # a text field not UTF-8
        b'--b\r\nContent-Disposition: form-data; name="f"; filename="x"\r\nContent-Transfer-Encoding: base64'
        b"\r\n\r\nAAAA\r\n--b--\r\n",
        b"--" + b"b" * 71 + b"\r\n",  # boundary longer than RFC 2046 allows
        b"--b\r\n"
        + b"".join(b'Content-Disposition: form-data; name="f%d"\r\n\r\nx\r\n--b\r\n' % i for i in range(21))
        + b"--b--\r\n",
    ],
    ids=[
        "empty",
        "no-boundary",
        "unterminated",
        "no-name",
        "not-form-data",
        "no-blank-line",
        "duplicate",
        "not-utf8",
        "base64",
        "long-boundary",
        "too-many-fields",
    ],  # fmt: skip
)
def test_malformed_bodies_are_422(body: bytes) -> None:
    with pytest.raises(ApiError) as caught:
        parse_form(body)
    assert caught.value.status == 422


def test_a_form_model_is_declared_only_for_a_multipart_body() -> None:
    before = len(ROUTES)
    with pytest.raises(ValueError, match="multipart/form-data"):
        ApiBlueprint("forms_test").route(
            "POST", "/x", action="photos.upload", summary="x", raw_body_types=("image/png",), form=PhotoForm
        )
    with pytest.raises(ValueError, match="multipart/form-data"):
        ApiBlueprint("forms_test").route("POST", "/x", action="photos.upload", summary="x", form=PhotoForm)
    assert len(ROUTES) == before
