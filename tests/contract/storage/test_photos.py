"""Contract: photo records are create-only, found by id, and listed per enterprise newest first."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from monitoring.errors import ConflictError, InvalidInputError, NotFoundError
from monitoring.photos.models import Photo, PhotoKind, new_photo_id
from monitoring.storage.ports import Store
from tests.contract.storage.conftest import NOW

pytestmark = pytest.mark.contract


def _photo(enterprise_id: str = "e1", minutes: int = 0) -> Photo:
    return Photo(
        photo_id=new_photo_id(),
        enterprise_id=enterprise_id,
        kind=PhotoKind.INSTALLATION,
        uploaded_by="acct-installer-1",
        content_type="image/jpeg",
        size=1234,
        sha256="ab" * 32,
        width=640,
        height=480,
        created_at=NOW + timedelta(minutes=minutes),
        subject_id="MN0001",
    )


def test_photos_round_trip_and_list_newest_first(store: Store) -> None:
    first, second, elsewhere = _photo(minutes=0), _photo(minutes=5), _photo("e2")
    for p in (first, elsewhere, second):
        store.photos.put_photo(p)
    assert store.photos.get_photo(first.photo_id) == first
    assert store.photos.photos_for("e1") == [second, first]
    assert store.photos.photos_for("e1", limit=1) == [second]
    assert store.photos.photos_for("e3") == []


def test_photo_records_never_change(store: Store) -> None:
    photo = _photo()
    store.photos.put_photo(photo)
    with pytest.raises(ConflictError):
        store.photos.put_photo(dataclasses.replace(photo, enterprise_id="e2"))
    assert store.photos.get_photo(photo.photo_id).enterprise_id == "e1"


def test_photo_lookup_checks_the_id_before_the_store(store: Store) -> None:
    with pytest.raises(NotFoundError):
        store.photos.get_photo(new_photo_id())
    for bad in ("../../etc/passwd", "ph-" + "A" * 32, "ph-1' OR '1'='1", ""):
        with pytest.raises(InvalidInputError):
            store.photos.get_photo(bad)
