"""The chain over delivered archive objects in DynamoDB (state table, PITR: it cannot be rebuilt): a segment
per MN per object at pk = chain#<mn>, sk = seg#<first_seq>; a delivered object at pk = chainobj#<key>."""

from __future__ import annotations

import json

from pynamodb.exceptions import DoesNotExist, PynamoDBException

from monitoring.archive.delivered import ChainSegment, DeliveredObject
from monitoring.errors import ConflictError
from monitoring.storage.base.chain_heads import ChainHeadsRepositoryBase, segment_body, segment_from
from monitoring.storage.dynamodb._client import is_condition_failure, translate
from monitoring.storage.dynamodb.models import StateItem

_SEG = "seg#"
_DOC = "doc"


def _sk(first_seq: int) -> str:
    return f"{_SEG}{first_seq:012d}"


def _segment(mn: str, item: StateItem) -> ChainSegment:
    return segment_from(mn, int(item.sk[len(_SEG) :]), item.body or "")


class DynamoDBChainHeadsRepository(ChainHeadsRepositoryBase):
    def __init__(self, model: type[StateItem]) -> None:
        self._model = model

    def _recent(self, mn: str, limit: int) -> list[ChainSegment]:
        with translate("read chain head"):
            items = self._model.query(
                f"chain#{mn}", self._model.sk.startswith(_SEG), scan_index_forward=False, limit=limit,
                consistent_read=True,
            )  # fmt: skip
            return [_segment(mn, i) for i in items]

    def _insert_segment(self, segment: ChainSegment) -> None:
        item = self._model(f"chain#{segment.mn}", _sk(segment.first_seq), t="chain_segment")
        item.body = segment_body(segment)
        try:
            item.save(condition=self._model.pk.does_not_exist())
        except PynamoDBException as exc:
            if is_condition_failure(exc):
                raise ConflictError(f"chain {segment.mn}: seq {segment.first_seq} is taken") from exc
            with translate("write chain segment"):
                raise

    def _segments(self, mn: str, from_seq: int, limit: int) -> list[ChainSegment]:
        with translate("read chain segments"):
            items = self._model.query(
                f"chain#{mn}", self._model.sk.between(_sk(from_seq), _sk(10**12 - 1)), limit=limit,
                consistent_read=True,
            )  # fmt: skip
            return [_segment(mn, i) for i in items]

    def _delivered(self, key: str) -> DeliveredObject | None:
        with translate("read delivered object"):
            try:
                item = self._model.get(f"chainobj#{key}", _DOC, consistent_read=True)
            except DoesNotExist:
                return None
        d = dict(json.loads(item.body or "{}"))
        return DeliveredObject(key, str(d["digest"]), int(d["records"]), int(d["mns"]))

    def _put_delivered(self, delivered: DeliveredObject) -> None:
        item = self._model(f"chainobj#{delivered.key}", _DOC, t="delivered_object")
        d = delivered
        item.body = json.dumps({"digest": d.digest, "records": d.records, "mns": d.mns}, sort_keys=True)
        with translate("write delivered object"):
            item.save()
