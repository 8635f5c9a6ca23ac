"""Photo bytes under the data directory: `<root>/<2 hex>/<photo id>`, written whole (temp file, fsync, rename).

Only a checked photo id (`ph-` + 32 hex) becomes part of a path, so no request can name a file outside `root`.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from monitoring.errors import NotFoundError, StorageUnavailableError
from monitoring.photos.models import check_photo_id
from monitoring.photos.ports import UploadForm


class LocalPhotoBlobs:
    """`PhotoBlobStore` on the local file system; photos are served by the API itself (no download URL)."""

    direct_uploads = False

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()

    def _path(self, photo_id: str) -> Path:
        check_photo_id(photo_id)
        return self.root / photo_id[3:5] / photo_id

    def put(self, photo_id: str, data: bytes, content_type: str) -> None:
        path = self._path(photo_id)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{photo_id}.{secrets.token_hex(4)}.tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, path)
            finally:
                tmp.unlink(missing_ok=True)
        except OSError as exc:
            raise StorageUnavailableError(f"photo {photo_id} not written: {exc.strerror}") from exc

    def get(self, photo_id: str) -> bytes:
        try:
            return self._path(photo_id).read_bytes()
        except FileNotFoundError as exc:
            raise NotFoundError(f"照片 {photo_id} 不存在") from exc
        except OSError as exc:
            raise StorageUnavailableError(f"photo {photo_id} not read: {exc.strerror}") from exc

    def delete(self, photo_id: str) -> None:
        self._path(photo_id).unlink(missing_ok=True)

    def download_url(self, photo_id: str, content_type: str) -> str | None:
        check_photo_id(photo_id)
        return None

    def upload_form(self, photo_id: str, uploader_id: str) -> UploadForm | None:
        return None  # locally every upload goes through the API

    def take_upload(self, photo_id: str, uploader_id: str, max_bytes: int) -> bytes:
        check_photo_id(photo_id)
        raise NotFoundError(f"照片 {photo_id} 未上传")
