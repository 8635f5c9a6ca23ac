"""Ports of the photo area: the records (`PhotoRepository`, in the `Store`) and the bytes (`PhotoBlobStore`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from monitoring.photos.models import Photo


@dataclass(frozen=True, slots=True)
class UploadForm:
    """Where a client uploads a photo's bytes itself (an S3 presigned POST: `wx.uploadFile` sends exactly this
    multipart form, the file under the name `file`), and until when."""

    url: str
    fields: Mapping[str, str]
    expires_in_s: int


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

    direct_uploads: bool  # True where clients upload straight to the store (upload_form / take_upload)

    def put(self, photo_id: str, data: bytes, content_type: str) -> None: ...

    def get(self, photo_id: str) -> bytes:
        """NotFoundError if absent."""
        ...

    def delete(self, photo_id: str) -> None: ...

    def download_url(self, photo_id: str, content_type: str) -> str | None:
        """A short-lived URL the client fetches the bytes from directly (S3 presigned GET); None: serve them."""
        ...

    def upload_form(self, photo_id: str, uploader_id: str) -> UploadForm | None:
        """A form for uploading straight to the store, unchecked, into a place only this uploader's
        `take_upload` reads; None where uploads go through the API."""
        ...

    def take_upload(self, photo_id: str, uploader_id: str, max_bytes: int) -> bytes:
        """The bytes uploaded through `upload_form`, removed from there. NotFoundError if none;
        PhotoTooLargeError (nothing read) if over `max_bytes`."""
        ...
