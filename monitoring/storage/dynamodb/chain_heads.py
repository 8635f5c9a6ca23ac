"""The chain over delivered archive objects in DynamoDB (state table, PITR: it cannot be rebuilt without reading
every manifest): one link per object at pk = mchain, sk = link#<seq>."""

from __future__ import annotations

from pynamodb.exceptions import PynamoDBException

from monitoring.archive.manifest import ChainLink
from monitoring.errors import ConflictError
from monitoring.storage.base.chain_heads import ChainHeadsRepositoryBase, link_body, link_from
from monitoring.storage.dynamodb._client import is_condition_failure, translate
from monitoring.storage.dynamodb.models import StateItem

_PK = "mchain"
_LINK = "link#"


def _sk(seq: int) -> str:
    return f"{_LINK}{seq:012d}"


def _link(item: StateItem) -> ChainLink:
    return link_from(int(item.sk[len(_LINK) :]), item.body or "")


class DynamoDBChainHeadsRepository(ChainHeadsRepositoryBase):
    def __init__(self, model: type[StateItem]) -> None:
        self._model = model

    def _insert(self, link: ChainLink) -> None:
        item = self._model(_PK, _sk(link.seq), t="chain_link")
        item.body = link_body(link)
        try:
            item.save(condition=self._model.pk.does_not_exist())
        except PynamoDBException as exc:
            if is_condition_failure(exc):
                raise ConflictError(f"chain: seq {link.seq} is taken") from exc
            with translate("write chain link"):
                raise

    def _recent(self, limit: int) -> list[ChainLink]:
        with translate("read chain head"):
            items = self._model.query(
                _PK, self._model.sk.startswith(_LINK), scan_index_forward=False, limit=limit, consistent_read=True
            )
            return [_link(i) for i in items]

    def _links(self, from_seq: int, limit: int) -> list[ChainLink]:
        with translate("read chain links"):
            items = self._model.query(
                _PK, self._model.sk.between(_sk(from_seq), _sk(10**12 - 1)), limit=limit, consistent_read=True
            )
            return [_link(i) for i in items]
