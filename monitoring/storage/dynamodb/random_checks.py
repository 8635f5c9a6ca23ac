"""Random-inspection documents on the `state` table: pk "rc<kind>#<key>" / sk "rc" with `version`, written on a
version condition; gsi1 lists a group ("rc<kind>s#<group>", sk = key).

More: docs/dynamodb.md.
"""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist

from monitoring.storage.base.random_checks import RandomChecksRepositoryBase
from monitoring.storage.dynamodb._client import translate
from monitoring.storage.dynamodb.models import StateItem


class DynamoDBRandomChecksRepository(RandomChecksRepositoryBase):
    def __init__(self, model: type[StateItem]) -> None:
        self._model = model

    def _put_doc(self, kind: str, key: str, group: str, body: str, version: int, expected: int) -> None:
        item = self._model(f"rc{kind}#{key}", "rc", t=f"rc{kind}", body=body, version=version)
        item.gsi1pk = f"rc{kind}s#{group}"
        item.gsi1sk = key
        condition = self._model.pk.does_not_exist() if expected == 0 else self._model.version == expected
        with translate(f"put random-check {kind}"):
            item.save(condition=condition)

    def _get_doc(self, kind: str, key: str) -> str | None:
        with translate(f"get random-check {kind}"):
            try:
                item = self._model.get(f"rc{kind}#{key}", "rc", consistent_read=True)
            except DoesNotExist:
                return None
        return item.body

    def _list_docs(self, kind: str, group: str) -> list[str]:
        with translate(f"list random-check {kind}s"):
            items = self._model.gsi1.query(f"rc{kind}s#{group}")  # type: ignore[attr-defined]
            return [i.body for i in items if i.body]
