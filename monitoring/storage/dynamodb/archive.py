"""The raw-frame archive in DynamoDB: one item per frame on its MN's hash chain.

More: docs/dynamodb.md, "Module notes".
"""

from __future__ import annotations

import json
import zlib
from collections import OrderedDict
from datetime import datetime, timedelta

from pynamodb.exceptions import PynamoDBException

from monitoring._time import from_micros, to_micros
from monitoring.archive.models import ArchivedFrame, AuthStatus, RawFrame
from monitoring.errors import ConflictError
from monitoring.storage.base.archive import ArchiveRepositoryBase
from monitoring.storage.dynamodb._client import is_condition_failure, seq_key, time_key, time_range, translate
from monitoring.storage.dynamodb.models import ArchiveItem


def _lsi_key(received_at: datetime, digest: str) -> str:
    return f"{time_key(received_at)}#{digest}"


def _to_record(item: ArchiveItem) -> ArchivedFrame:
    meta = json.loads(item.body or "{}")
    frame = RawFrame(
        mn=item.pk,
        raw=zlib.decompress(item.z) if item.z is not None else bytes(item.raw or b""),
        received_at=from_micros(int(meta["received_at_us"])),
        peer=meta["peer"],
        auth=AuthStatus(meta["auth"]),
        crc=meta["crc"],
        cn=meta["cn"],
        qn=meta["qn"],
        listener=meta["listener"],
        session=meta["session"],
    )
    return ArchivedFrame(frame=frame, seq=int(item.sk), prev_hash=meta["prev_hash"], hash=meta["hash"])


class DynamoDBArchiveRepository(ArchiveRepositoryBase):
    def __init__(self, model: type[ArchiveItem], *, retention_days: int | None = None, heads: int = 20_000) -> None:
        self._model = model
        # None keeps frames forever. With a TTL, verification from genesis needs the base to anchor at the oldest
        # retained link (docs/dynamodb.md, "Archive retention").
        self._retention_days = retention_days
        # The chain heads this process wrote or read last (a warm decode container): no head query per frame, and
        # no redelivery lookup for a frame received after the head. A stale head only costs a refused put.
        self._heads: OrderedDict[str, ArchivedFrame] = OrderedDict()
        self._max_heads = heads

    def _remember(self, record: ArchivedFrame) -> None:
        self._heads[record.frame.mn] = record
        self._heads.move_to_end(record.frame.mn)
        while len(self._heads) > self._max_heads:
            self._heads.popitem(last=False)

    def _find_by_dedupe_key(self, mn: str, key: str) -> ArchivedFrame | None:
        key_mn, micros, digest = key.rsplit("|", 2)
        if key_mn != mn:
            return None
        known = self._heads.get(mn)
        if known is not None and int(micros) > to_micros(known.frame.received_at):
            return None  # received after the newest link: not archived yet (docs/dynamodb.md §4)
        lsi_key = _lsi_key(from_micros(int(micros)), digest)
        with translate("archive dedupe lookup"):
            keys = [
                (hit.pk, hit.sk)
                for hit in self._model.lsi1.query(mn, self._model.lsi1sk == lsi_key, consistent_read=True)  # type: ignore[attr-defined]
            ]
            # The index holds keys only; a hit (a redelivery, rare) costs one more read for the record.
            records = [_to_record(item) for item in self._model.batch_get(keys, consistent_read=True)] if keys else []
        return next((r for r in records if r.frame.dedupe_key == key), None)

    def _head(self, mn: str) -> ArchivedFrame | None:
        known = self._heads.get(mn)
        if known is not None:
            return known
        with translate("archive head"):
            hits = list(self._model.query(mn, scan_index_forward=False, limit=1, consistent_read=True))
        if not hits:
            return None
        head = _to_record(hits[0])
        self._remember(head)
        return head

    def _insert(self, record: ArchivedFrame) -> None:
        f = record.frame
        meta = {
            "peer": f.peer,
            "auth": f.auth.value,
            "crc": f.crc,
            "cn": f.cn,
            "qn": f.qn,
            "listener": f.listener,
            "session": f.session,
            "received_at_us": to_micros(f.received_at),
            "prev_hash": record.prev_hash,
            "hash": record.hash,
        }
        expires = None if self._retention_days is None else f.received_at + timedelta(days=self._retention_days)
        item = self._model(
            f.mn,
            seq_key(record.seq),
            t="ar",
            lsi1sk=_lsi_key(f.received_at, f.digest),
            z=zlib.compress(f.raw, 6),
            body=json.dumps(meta, sort_keys=True),
            expires_at=expires,
        )
        try:
            item.save(condition=self._model.pk.does_not_exist())
        except PynamoDBException as exc:
            self._heads.pop(f.mn, None)  # another appender moved the head: read it again
            if is_condition_failure(exc):
                raise ConflictError(f"archive {f.mn}: seq {record.seq} is taken") from exc
            with translate("archive append"):
                raise
        self._remember(record)

    def _by_time(self, mn: str, start: datetime, end: datetime, limit: int) -> list[ArchivedFrame]:
        bounds = time_range(start, end)
        if bounds is None:
            return []
        with translate("archive frames by time"):
            hits = self._model.lsi1.query(  # type: ignore[attr-defined]
                mn, self._model.lsi1sk.between(bounds[0], bounds[1] + "#~"), consistent_read=True
            )
            keys = [(hit.pk, hit.sk) for hit in hits]
            items = self._model.batch_get(keys, consistent_read=True) if keys else []
            # Receive-time order can differ from chain order when appenders race; the contract is chain order.
            records = sorted((_to_record(item) for item in items), key=lambda r: r.seq)
        return records[:limit]

    def _by_seq(self, mn: str, from_seq: int, limit: int) -> list[ArchivedFrame]:
        with translate("archive chain"):
            items = self._model.query(
                mn,
                self._model.sk >= seq_key(from_seq),
                consistent_read=True,
                limit=limit,
                page_size=min(limit, 1000),
            )
            return [_to_record(item) for item in items]
