"""What an upload really is, decided from its bytes with Pillow (never from its name or the client's type).

Pillow comes with the API extra; only the API imports this module.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from monitoring.errors import InvalidInputError
from monitoring.photos.models import CONTENT_TYPES, MAX_BYTES, PhotoTooLargeError

MAX_PIXELS = 60_000_000  # a phone photo is 12–50 MP; more is a decompression bomb, not a photo


@dataclass(frozen=True, slots=True)
class SniffedImage:
    content_type: str
    width: int
    height: int


def sniff_image(data: bytes) -> SniffedImage:
    """The image type and size of `data` if it is a whole JPEG, PNG or WebP; InvalidInputError otherwise."""
    if len(data) > MAX_BYTES:
        raise PhotoTooLargeError(f"照片不能超过 {MAX_BYTES // (1024 * 1024)} MB")
    if not data:
        raise InvalidInputError("照片内容为空")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                fmt = probe.format or ""
                if fmt not in CONTENT_TYPES:
                    raise InvalidInputError("只接受 JPEG、PNG 或 WebP 格式的照片")
                width, height = probe.size
                if width * height > MAX_PIXELS:
                    raise InvalidInputError("照片像素过多")
                probe.verify()  # structure and checksums (PNG CRCs)
            with Image.open(io.BytesIO(data)) as image:
                image.load()  # decode every byte: a truncated or corrupt file fails here
    except InvalidInputError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise InvalidInputError("文件不是有效的图片（只接受 JPEG、PNG 或 WebP）") from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise InvalidInputError("图片文件已损坏或不完整") from exc
    return SniffedImage(CONTENT_TYPES[fmt], width, height)
