"""multipart/form-data bodies (what the mini-program's wx.uploadFile sends), read with the standard library's
email parser: text fields and one file, bounded, with the client's file name dropped.
"""

from __future__ import annotations

import email.parser
import email.policy
import re
from dataclasses import dataclass, field
from email.message import Message

from miniprogram_api.chalicelib import errors

# RFC 2046 §5.1.1: 1–70 characters from bchars, not ending in a space.
_BOUNDARY = re.compile(rb"^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$")
MAX_FIELDS = 20
MAX_FIELD_CHARS = 1000


@dataclass
class Form:
    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)  # field name → bytes (the file name is never kept)


def parse_form(body: bytes) -> Form:
    """The parts of a multipart/form-data body. The boundary is the body's first line (RFC 2046: the first
    delimiter; clients send no preamble). 422 for anything malformed."""
    first, _, _ = body.partition(b"\r\n")
    boundary = first[2:] if first.startswith(b"--") else b""
    if not _BOUNDARY.match(boundary):
        raise errors.invalid("请求体不是有效的 multipart/form-data", "body", "malformed_form")
    head = b'Content-Type: multipart/form-data; boundary="' + boundary + b'"\r\n\r\n'
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    parts = message.get_payload() if message.is_multipart() else None
    if not isinstance(parts, list) or not parts or message.defects:
        raise errors.invalid("请求体不是有效的 multipart/form-data", "body", "malformed_form")
    if len(parts) > MAX_FIELDS:
        raise errors.invalid("表单字段过多", "body", "malformed_form")
    form = Form()
    for part in parts:
        if not isinstance(part, Message):
            raise errors.invalid("请求体不是有效的 multipart/form-data", "body", "malformed_form")
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str) or not name or len(name) > 64:
            raise errors.invalid("表单字段缺少名称", "body", "malformed_form")
        if name in form.fields or name in form.files:
            raise errors.invalid(f"表单字段 {name} 重复", name, "malformed_form")
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        if part.get_param("filename", header="content-disposition") is not None:
            form.files[name] = data
            continue
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise errors.invalid(f"表单字段 {name} 不是 UTF-8 文本", name, "malformed_form") from None
        if len(text) > MAX_FIELD_CHARS:
            raise errors.invalid(f"表单字段 {name} 过长", name, "malformed_form")
        form.fields[name] = text
    return form
