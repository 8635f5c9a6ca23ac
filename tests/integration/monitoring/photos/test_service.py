"""Keeping photos: checked bytes under a fresh id on disk, the record in sqlite, reads only within scope."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitoring.errors import InvalidInputError, NotFoundError
from monitoring.photos.models import PhotoKind
from monitoring.photos.service import store_photo, visible_photo
from monitoring.storage.photo_blobs.local import LocalPhotoBlobs
from monitoring.storage.sqlite import open_store
from tests.unit.monitoring.photos.images import image_bytes

pytestmark = pytest.mark.integration
NOW = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)


def test_photo_is_kept_and_read_back_only_within_scope(tmp_path: Path) -> None:
    store = open_store(tmp_path / "db.sqlite")
    blobs = LocalPhotoBlobs(tmp_path / "photos")
    data = image_bytes("JPEG", (120, 90))
    photo = store_photo(store.photos, blobs, data=data, enterprise_id="e1", kind=PhotoKind.INSTALLATION,
                        uploaded_by="acct-7", now=NOW, subject_id="MN0001")  # fmt: skip
    assert (photo.content_type, photo.size, photo.width, photo.height) == ("image/jpeg", len(data), 120, 90)
    assert photo.sha256 == hashlib.sha256(data).hexdigest()
    assert blobs.get(photo.photo_id) == data and store.photos.get_photo(photo.photo_id) == photo
    assert visible_photo(store.photos, photo.photo_id, None) == photo
    assert visible_photo(store.photos, photo.photo_id, frozenset({"e1"})) == photo
    with pytest.raises(NotFoundError):
        visible_photo(store.photos, photo.photo_id, frozenset({"e2"}))
    store.close()


def test_a_refused_upload_leaves_nothing_behind(tmp_path: Path) -> None:
    store = open_store(tmp_path / "db.sqlite")
    blobs = LocalPhotoBlobs(tmp_path / "photos")
    with pytest.raises(InvalidInputError):
        store_photo(store.photos, blobs, data=b"text renamed to a.jpg", enterprise_id="e1", kind=PhotoKind.SITE,
                    uploaded_by="acct-7", now=NOW)  # fmt: skip
    assert store.photos.photos_for("e1") == [] and not (tmp_path / "photos").exists()
    store.close()
