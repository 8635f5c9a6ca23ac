"""Photo record logic: create-only puts, NotFoundError, per-enterprise lists newest first."""

from __future__ import annotations

from abc import ABC, abstractmethod

from monitoring.errors import ConflictError, InvalidInputError, NotFoundError
from monitoring.photos.models import Photo, check_photo_id


class PhotoRepositoryBase(ABC):
    """Implements `monitoring.photos.ports.PhotoRepository` over storage primitives."""

    @abstractmethod
    def _insert_photo(self, photo: Photo) -> None:
        """Insert; ConflictError if the id exists."""

    @abstractmethod
    def _get_photo(self, photo_id: str) -> Photo | None: ...

    @abstractmethod
    def _photos_for(self, enterprise_id: str, limit: int) -> list[Photo]:
        """Up to `limit` photos of the enterprise, newest first (created_at, then id, descending)."""

    def put_photo(self, photo: Photo) -> None:
        if self._get_photo(photo.photo_id) is not None:
            raise ConflictError(f"photo {photo.photo_id} exists")
        self._insert_photo(photo)

    def get_photo(self, photo_id: str) -> Photo:
        found = self._get_photo(check_photo_id(photo_id))
        if found is None:
            raise NotFoundError(f"照片 {photo_id} 不存在")
        return found

    def photos_for(self, enterprise_id: str, *, limit: int = 200) -> list[Photo]:
        if not 1 <= limit <= 1000:
            raise InvalidInputError("limit must be within 1..1000")
        photos = self._photos_for(enterprise_id, limit)
        return sorted(photos, key=lambda p: (p.created_at, p.photo_id), reverse=True)[:limit]
