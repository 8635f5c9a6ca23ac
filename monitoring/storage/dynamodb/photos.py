"""Photo records on the `state` table: pk "photo#<id>" / sk "photo", written only if absent; gsi1 lists an
enterprise's photos ("photoent#<enterprise>", sk = created_at # id).

More: docs/dynamodb.md.
"""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist

from monitoring.photos.models import Photo
from monitoring.storage import codec
from monitoring.storage.base.photos import PhotoRepositoryBase
from monitoring.storage.dynamodb._client import time_key, translate
from monitoring.storage.dynamodb.models import StateItem


class DynamoDBPhotoRepository(PhotoRepositoryBase):
    def __init__(self, model: type[StateItem]) -> None:
        self._model = model

    def _insert_photo(self, photo: Photo) -> None:
        item = self._model(f"photo#{photo.photo_id}", "photo", t="photo", body=codec.dumps(photo))
        item.gsi1pk = f"photoent#{photo.enterprise_id}"
        item.gsi1sk = f"{time_key(photo.created_at)}#{photo.photo_id}"
        with translate("put photo"):
            item.save(condition=self._model.pk.does_not_exist())

    def _get_photo(self, photo_id: str) -> Photo | None:
        with translate("get photo"):
            try:
                item = self._model.get(f"photo#{photo_id}", "photo", consistent_read=True)
            except DoesNotExist:
                return None
        return None if item.body is None else codec.loads(Photo, item.body)

    def _photos_for(self, enterprise_id: str, limit: int) -> list[Photo]:
        with translate("list photos"):
            items = self._model.gsi1.query(  # type: ignore[attr-defined]
                f"photoent#{enterprise_id}", scan_index_forward=False, limit=limit, page_size=min(limit, 500)
            )
            return [codec.loads(Photo, i.body) for i in items if i.body]
