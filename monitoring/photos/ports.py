"""Ports of the photo area: the records (`PhotoRepository`, in the `Store`) and the bytes (`PhotoBlobStore`)."""

from __future__ import annotations

from typing import Protocol

from monitoring.photos.models import Photo


class PhotoRepository(Protocol):
    def put_photo(self, photo: Photo) -> None:
        """Create; ConflictError if the id exists (records never change)."""
        ...

    def get_photo(self, photo_id: str) -> Photo:
        """NotFoundError if absent."""
        ...

    def photos_for(self, enterprise_id: str, *, limit: int = 200) -> list[Photo]:
        """The enterprise's photos, newest first."""
        ...


class PhotoBlobStore(Protocol):
    """Where the bytes are: the data directory locally, S3 in AWS. Keys are photo ids only."""

    def put(self, photo_id: str, data: bytes, content_type: str) -> None: ...

    def get(self, photo_id: str) -> bytes:
        """NotFoundError if absent."""
        ...

    def delete(self, photo_id: str) -> None: ...

    def download_url(self, photo_id: str, content_type: str) -> str | None:
        """A short-lived URL the client fetches the bytes from directly (S3 presigned GET); None: serve them."""
        ...
