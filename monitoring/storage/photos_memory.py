"""In-memory primitives of the photo records (part of `memory_store()`)."""

from __future__ import annotations

import threading

from monitoring.errors import ConflictError
from monitoring.photos.models import Photo
from monitoring.storage.base.photos import PhotoRepositoryBase


class MemoryPhotoRepository(PhotoRepositoryBase):
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rows: dict[str, Photo] = {}

    def _insert_photo(self, photo: Photo) -> None:
        with self._lock:
            if photo.photo_id in self._rows:
                raise ConflictError(f"photo {photo.photo_id} exists")
            self._rows[photo.photo_id] = photo

    def _get_photo(self, photo_id: str) -> Photo | None:
        return self._rows.get(photo_id)

    def _photos_for(self, enterprise_id: str, limit: int) -> list[Photo]:
        with self._lock:
            return [p for p in self._rows.values() if p.enterprise_id == enterprise_id]
