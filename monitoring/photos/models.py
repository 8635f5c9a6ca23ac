"""A photo's record: who took it for which enterprise, what it is (checked from its bytes), where it is kept.

The bytes live in a `PhotoBlobStore` under the photo's id only; no name from the client is ever kept.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from monitoring._time import require_utc
from monitoring.errors import InvalidInputError
from monitoring.registry._labels import LabelledEnum
from monitoring.registry.models import check_id

MAX_BYTES = 10 * 1024 * 1024
CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
_PHOTO_ID = re.compile(r"^ph-[0-9a-f]{32}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class PhotoTooLargeError(InvalidInputError):
    """The upload is over MAX_BYTES (HTTP 413)."""


class PhotoKind(LabelledEnum):
    INSTALLATION = ("installation", "安装")
    SITE = ("site", "现场")
    ALARM_RESPONSE = ("alarm_response", "告警响应")
    VERIFICATION = ("verification", "核查")
    FAULT = ("fault", "故障")
    OTHER = ("other", "其他")


def new_photo_id() -> str:
    return f"ph-{secrets.token_hex(16)}"


def check_photo_id(value: str) -> str:
    """A photo id is `ph-` and 32 lowercase hex digits: nothing else ever reaches a path or an object key."""
    if not isinstance(value, str) or not _PHOTO_ID.match(value):
        raise InvalidInputError(
            f"照片编号格式不正确: {value[:80]!r}" if isinstance(value, str) else "照片编号格式不正确"
        )
    return value


@dataclass(frozen=True, slots=True)
class Photo:
    photo_id: str
    enterprise_id: str
    kind: PhotoKind
    uploaded_by: str  # account id
    content_type: str
    size: int
    sha256: str
    width: int
    height: int
    created_at: datetime
    subject_id: str | None = None  # what it documents (an alarm, a terminal's MN, a point), if anything

    def __post_init__(self) -> None:
        check_photo_id(self.photo_id)
        check_id(self.enterprise_id, "enterprise_id")
        check_id(self.uploaded_by, "uploaded_by")
        object.__setattr__(self, "kind", PhotoKind(self.kind))
        if self.content_type not in CONTENT_TYPES.values():
            raise InvalidInputError(f"不支持的图片类型: {self.content_type!r}")
        if not 0 < self.size <= MAX_BYTES:
            raise InvalidInputError("照片大小超出范围")
        if not _SHA256.match(self.sha256):
            raise InvalidInputError("sha256 must be 64 lowercase hex digits")
        if self.width <= 0 or self.height <= 0:
            raise InvalidInputError("图片尺寸无效")
        object.__setattr__(self, "created_at", require_utc(self.created_at, "photo.created_at"))
        if self.subject_id is not None:
            check_id(self.subject_id, "subject_id")
