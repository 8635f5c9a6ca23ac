"""multipart/form-data bodies (what the mini-program's wx.uploadFile sends), read with the standard library's
email parser: text fields and one file, bounded, with the client's file name dropped.
"""

from __future__ import annotations

import email.parser
import email.policy
import re
from dataclasses import dataclass, field

from miniprogram_api.chalicelib import errors

# RFC 2046 §5.1.1: 1–70 characters from bchars, not ending in a space.
_BOUNDARY = re.compile(rb"^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$")
MAX_FIELDS = 20
MAX_FIELD_CHARS = 1000


@dataclass
class Form:
    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)  # field name → bytes (the file name is never kept)


def _malformed(message: str = "请求体不是有效的 multipart/form-data") -> errors.ApiError:
    return errors.invalid(message, "body", "malformed_form")


def parse_form(body: bytes) -> Form:
    """The parts of a multipart/form-data body. The boundary is the body's first line (RFC 2046: the first
    delimiter; clients send no preamble). The body is split on the delimiter (CRLF "--" boundary, which the
    sender guarantees never occurs inside a part); each part's headers are read by the email package. 422 for
    anything malformed."""
    first, _, _ = body.partition(b"\r\n")
    boundary = first[2:].rstrip(b" \t") if first.startswith(b"--") else b""  # less transport padding
    if not _BOUNDARY.match(boundary):
        raise _malformed()
    chunks = (b"\r\n" + body).split(b"\r\n--" + boundary)
    # chunks: the empty preamble, one chunk per part, then the close delimiter's "--" and the epilogue
    if chunks[0] or len(chunks) < 3 or not chunks[-1].startswith(b"--"):
        raise _malformed()
    if len(chunks) - 2 > MAX_FIELDS:
        raise _malformed("表单字段过多")
    form = Form()
    for chunk in chunks[1:-1]:
        _add_part(form, chunk.lstrip(b" \t"))  # transport padding may follow a delimiter (RFC 2046 §5.1.1)
    return form


def _add_part(form: Form, chunk: bytes) -> None:
    if not chunk.startswith(b"\r\n"):
        raise _malformed()
    head, sep, content = chunk[2:].partition(b"\r\n\r\n")
    if not sep:
        raise _malformed()
    headers = email.parser.BytesHeaderParser(policy=email.policy.HTTP).parsebytes(head + b"\r\n\r\n")
    name = headers.get_param("name", header="content-disposition")
    if headers.get_content_disposition() != "form-data" or not isinstance(name, str) or not name or len(name) > 64:
        raise _malformed("表单字段缺少名称")
    if name in form.fields or name in form.files:
        raise errors.invalid(f"表单字段 {name} 重复", name, "malformed_form")
    if headers.get("content-transfer-encoding", "binary").lower() not in ("binary", "8bit", "7bit"):
        raise errors.invalid("不支持的传输编码", name, "malformed_form")  # RFC 7578 §4.7: not used by browsers
    if headers.get_param("filename", header="content-disposition") is not None:
        form.files[name] = content
        return
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        raise errors.invalid(f"表单字段 {name} 不是 UTF-8 文本", name, "malformed_form") from None
    if len(text) > MAX_FIELD_CHARS:
        raise errors.invalid(f"表单字段 {name} 过长", name, "malformed_form")
    form.fields[name] = text
