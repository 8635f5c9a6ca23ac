"""Real small images made with Pillow, for upload tests."""

from __future__ import annotations

import io

from PIL import Image


def image_bytes(fmt: str = "JPEG", size: tuple[int, int] = (64, 48), mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (200, 120, 40) if mode == "RGB" else 1).save(out, format=fmt)
    return out.getvalue()
