"""Keep and find photos: checked bytes under a fresh id, then the record; reads only within the caller's scope."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime

from monitoring._time import require_utc
from monitoring.errors import NotFoundError
from monitoring.photos.models import MAX_BYTES, Photo, PhotoKind, check_photo_id, new_photo_id
from monitoring.photos.ports import PhotoBlobStore, PhotoRepository, UploadForm
from monitoring.photos.sniff import sniff_image


def store_photo(
    photos: PhotoRepository,
    blobs: PhotoBlobStore,
    *,
    data: bytes,
    enterprise_id: str,
    kind: PhotoKind,
    uploaded_by: str,
    now: datetime,
    subject_id: str | None = None,
    photo_id: str | None = None,
) -> Photo:
    """Check `data` is a real image (sniff_image), store the bytes, then the record (a record never points at
    missing bytes; bytes without a record are unreachable and cost only space)."""
    image = sniff_image(data)
    photo = Photo(
        photo_id=photo_id or new_photo_id(),
        enterprise_id=enterprise_id,
        kind=kind,
        uploaded_by=uploaded_by,
        content_type=image.content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        width=image.width,
        height=image.height,
        created_at=require_utc(now, "now"),
        subject_id=subject_id,
    )
    blobs.put(photo.photo_id, data, photo.content_type)
    photos.put_photo(photo)
    return photo


def visible_photo(
    photos: PhotoRepository,
    photo_id: str,
    visible_enterprises: frozenset[str] | None,
    also: Callable[[Photo], bool] | None = None,
) -> Photo:
    """The photo's record if the caller may see its enterprise (None = the whole county) or `also` allows it
    (e.g. an alarm dispatched to the caller's branch); NotFoundError otherwise, as for a photo that does not exist."""
    check_photo_id(photo_id)
    photo = photos.get_photo(photo_id)
    if visible_enterprises is not None and photo.enterprise_id not in visible_enterprises:
        if also is not None and also(photo):
            return photo
        raise NotFoundError(f"照片 {photo_id} 不存在")
    return photo


def start_direct_upload(blobs: PhotoBlobStore, uploader_id: str) -> tuple[str, UploadForm] | None:
    """A photo id and the form to upload its bytes straight to the blob store (S3: photos up to 10 MB do not fit
    through API Gateway and Lambda); None where uploads go through the API."""
    photo_id = new_photo_id()
    form = blobs.upload_form(photo_id, uploader_id)
    return None if form is None else (photo_id, form)


def finish_direct_upload(
    photos: PhotoRepository,
    blobs: PhotoBlobStore,
    *,
    photo_id: str,
    enterprise_id: str,
    kind: PhotoKind,
    uploaded_by: str,
    now: datetime,
    subject_id: str | None = None,
) -> Photo:
    """Check the bytes the uploader sent through its form like any upload and keep them; they leave the
    incoming place either way. Only the same uploader can finish (its id is part of the incoming key)."""
    data = blobs.take_upload(check_photo_id(photo_id), uploaded_by, MAX_BYTES)
    return store_photo(photos, blobs, data=data, enterprise_id=enterprise_id, kind=kind, uploaded_by=uploaded_by,
                       now=now, subject_id=subject_id, photo_id=photo_id)  # fmt: skip
