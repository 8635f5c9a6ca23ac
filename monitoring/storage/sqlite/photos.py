"""Photo records in sqlite (schema/91_photos.sql); the id's primary key makes a second insert a ConflictError."""

from __future__ import annotations

from monitoring._time import to_micros
from monitoring.photos.models import Photo
from monitoring.storage import codec
from monitoring.storage.base.photos import PhotoRepositoryBase
from monitoring.storage.sqlite.db import Database


class SqlitePhotoRepository(PhotoRepositoryBase):
    def __init__(self, db: Database) -> None:
        self._db = db

    def _insert_photo(self, photo: Photo) -> None:
        with self._db.write() as c:
            c.execute(
                "INSERT INTO photo (photo_id, enterprise_id, created_at, body) VALUES (?, ?, ?, ?)",
                (photo.photo_id, photo.enterprise_id, to_micros(photo.created_at), codec.dumps(photo)),
            )

    def _get_photo(self, photo_id: str) -> Photo | None:
        with self._db.read() as c:
            row = c.execute("SELECT body FROM photo WHERE photo_id = ?", (photo_id,)).fetchone()
        return None if row is None else codec.loads(Photo, row[0])

    def _photos_for(self, enterprise_id: str, limit: int) -> list[Photo]:
        with self._db.read() as c:
            rows = c.execute(
                "SELECT body FROM photo WHERE enterprise_id = ? ORDER BY created_at DESC, photo_id DESC LIMIT ?",
                (enterprise_id, limit),
            ).fetchall()
        return [codec.loads(Photo, r[0]) for r in rows]
