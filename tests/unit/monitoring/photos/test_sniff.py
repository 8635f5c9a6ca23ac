"""Upload checks: the bytes decide what a file is; anything but a whole JPEG, PNG or WebP is refused."""

from __future__ import annotations

import pytest

from monitoring.errors import InvalidInputError
from monitoring.photos.models import MAX_BYTES, PhotoTooLargeError
from monitoring.photos.sniff import sniff_image
from tests.unit.monitoring.photos.images import image_bytes

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("fmt", "content_type"), [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp")]
)
def test_real_images_are_recognised_with_their_size(fmt: str, content_type: str) -> None:
    found = sniff_image(image_bytes(fmt, (64, 48)))
    assert (found.content_type, found.width, found.height) == (content_type, 64, 48)


@pytest.mark.parametrize(
    "data",
    [
        b"just some text named photo.jpg",
        b"<?php system($_GET['c']); ?>",
        b"\xff\xd8\xff\xe0 not really a jpeg",  # JPEG magic, then garbage
        image_bytes("GIF"),  # a real image, but not a kind we take
        image_bytes("BMP"),
        image_bytes("JPEG")[:-200],  # truncated upload
        image_bytes("PNG")[:40] + b"\x00" * 8 + image_bytes("PNG")[48:],  # PNG with a broken chunk
    ],
    ids=["text", "script", "fake-magic", "gif", "bmp", "truncated-jpeg", "corrupt-png"],
)
def test_anything_else_is_refused(data: bytes) -> None:
    with pytest.raises(InvalidInputError):
        sniff_image(data)


def test_oversized_upload_is_its_own_error() -> None:
    with pytest.raises(PhotoTooLargeError):
        sniff_image(b"\xff" * (MAX_BYTES + 1))


def test_decompression_bomb_is_refused() -> None:
    bomb = image_bytes("PNG", (10_000, 10_000), mode="1")  # a few kB on disk, 100 megapixels decoded
    assert len(bomb) < 100_000
    with pytest.raises(InvalidInputError):
        sniff_image(bomb)
