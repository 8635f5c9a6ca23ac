"""The raw-frame archive in DynamoDB: a terminal's frames of one batch in one item (a bundle) on its MN's hash chain.

More: docs/dynamodb.md, "Module notes".
"""

from __future__ import annotations

import json
import random
import time
import zlib
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta

from pynamodb.exceptions import PynamoDBException

from monitoring._time import from_micros, to_micros
from monitoring.archive.models import GENESIS_HASH, ArchivedFrame, AuthStatus, RawFrame, link_hash
from monitoring.errors import ConflictError, StorageUnavailableError
from monitoring.storage.base.archive import ArchiveRepositoryBase
from monitoring.storage.dynamodb._client import is_condition_failure, seq_key, time_key, time_range, translate
from monitoring.storage.dynamodb.models import ArchiveItem

MAX_LINKS = 64  # frames in one bundle
MAX_RAW = 200_000  # bytes of frames in one bundle (an item holds 400 KB)
MAX_SPAN = timedelta(minutes=10)  # receive time from a bundle's first frame to its last
_RETRIES = 32
BUNDLE = "ab"  # item type of a bundle; "ar" items (one frame, written before bundles) are read as bundles of one


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


def _pack(links: Sequence[ArchivedFrame]) -> bytes:
    """One bundle's frames: a JSON header line (the first link's prev hash, the last link's hash, each link's
    metadata and size), then the raw bytes back to back; compressed together, since a terminal's frames resemble
    each other. The links between are not stored: each is the hash of its predecessor and its frame, and the
    stored last hash seals them (a changed frame breaks the bundle's last link, and so the chain)."""
    rows = [
        [to_micros(r.frame.received_at), r.frame.peer, r.frame.auth.value, r.frame.crc, r.frame.cn, r.frame.qn]
        + [r.frame.listener, r.frame.session, len(r.frame.raw)]
        for r in links
    ]
    doc = {"prev": links[0].prev_hash, "last": links[-1].hash, "links": rows}
    header = json.dumps(doc, separators=(",", ":")).encode()
    return zlib.compress(header + b"\n" + b"".join(r.frame.raw for r in links), 6)


def _unpack(item: ArchiveItem) -> list[ArchivedFrame]:
    if item.t != BUNDLE:
        return [_to_record(item)]
    header, _, raws = zlib.decompress(item.z or b"").partition(b"\n")  # JSON escapes newlines: the first ends it
    doc = json.loads(header)
    prev, seq, pos, out, rows = doc["prev"], int(item.sk), 0, [], doc["links"]
    for n, (us, peer, auth, crc, cn, qn, listener, session, size) in enumerate(rows, 1):
        raw = raws[pos : pos + size]
        pos += size
        frame = RawFrame(item.pk, raw, from_micros(us), peer, AuthStatus(auth), crc, cn, qn, listener, session)
        digest = doc["last"] if n == len(rows) else link_hash(prev, frame)
        out.append(ArchivedFrame(frame=frame, seq=seq, prev_hash=prev, hash=digest))
        prev, seq = digest, seq + 1
    return out


def _bundles(links: Sequence[ArchivedFrame]) -> Iterator[list[ArchivedFrame]]:
    """Consecutive links in bundles: a new one at MAX_LINKS, MAX_RAW, or a frame received out of the first's
    [received_at, received_at + MAX_SPAN] (what time-range reads through the index rely on)."""
    bundle: list[ArchivedFrame] = []
    size = 0
    for link in links:
        first = bundle[0].frame.received_at if bundle else None
        at = link.frame.received_at
        if bundle and (
            len(bundle) >= MAX_LINKS
            or size + len(link.frame.raw) > MAX_RAW
            or first is None
            or not first <= at <= first + MAX_SPAN
        ):
            yield bundle
            bundle, size = [], 0
        bundle.append(link)
        size += len(link.frame.raw)
    if bundle:
        yield bundle


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
        key_mn, micros, _ = key.rsplit("|", 2)
        if key_mn != mn:
            return None
        known = self._heads.get(mn)
        if known is not None and int(micros) > to_micros(known.frame.received_at):
            return None  # received after the newest link: not archived yet (docs/dynamodb.md §4)
        at = from_micros(int(micros))
        # The bundles that can hold it began within MAX_SPAN before it (a redelivery, rare: a few reads).
        found = self._bundles_from(mn, at - MAX_SPAN, at + timedelta(microseconds=1))
        return next((r for r in found if r.frame.dedupe_key == key), None)

    def _bundles_from(self, mn: str, first_from: datetime, first_before: datetime) -> list[ArchivedFrame]:
        """Every link of the bundles whose first frame was received in [first_from, first_before)."""
        bounds = time_range(first_from, first_before)
        if bounds is None:
            return []
        with translate("archive frames by time"):
            hits = self._model.lsi1.query(  # type: ignore[attr-defined]
                mn, self._model.lsi1sk.between(bounds[0], bounds[1] + "#~"), consistent_read=True
            )
            # The index holds keys only: the items are fetched by key.
            keys = [(hit.pk, hit.sk) for hit in hits]
            items = list(self._model.batch_get(keys, consistent_read=True)) if keys else []
        return [link for item in items for link in _unpack(item)]

    def _head(self, mn: str) -> ArchivedFrame | None:
        known = self._heads.get(mn)
        if known is not None:
            return known
        with translate("archive head"):
            hits = list(self._model.query(mn, scan_index_forward=False, limit=1, consistent_read=True))
        if not hits:
            return None
        head = _unpack(hits[0])[-1]
        self._remember(head)
        return head

    def _insert(self, record: ArchivedFrame) -> None:
        self._put_bundle([record])

    def _put_bundle(self, links: Sequence[ArchivedFrame]) -> None:
        first = links[0].frame
        expires = None if self._retention_days is None else first.received_at + timedelta(days=self._retention_days)
        item = self._model(
            first.mn,
            seq_key(links[0].seq),
            t=BUNDLE,
            lsi1sk=f"{time_key(first.received_at)}#",  # read by time range only (_bundles_from)
            z=_pack(links),
            expires_at=expires,
        )
        try:
            item.save(condition=self._model.pk.does_not_exist())
        except PynamoDBException as exc:
            self._heads.pop(first.mn, None)  # another appender moved the head: read it again
            if is_condition_failure(exc):
                raise ConflictError(f"archive {first.mn}: seq {links[0].seq} is taken") from exc
            with translate("archive append"):
                raise
        self._remember(links[-1])

    def append(self, frame: RawFrame) -> ArchivedFrame:
        return self.append_many([frame])[0]

    def append_many(self, frames: Sequence[RawFrame]) -> list[ArchivedFrame]:
        """Archive a batch in order: per MN, its new frames as one bundle (or a few) after the chain head."""
        out: list[ArchivedFrame | None] = [None] * len(frames)
        by_mn: dict[str, list[int]] = {}
        for i, frame in enumerate(frames):
            by_mn.setdefault(frame.mn, []).append(i)
        for mn, indexes in by_mn.items():
            for attempt in range(_RETRIES):
                if attempt:
                    time.sleep(random.uniform(0, min(0.05, 0.001 * 2**attempt)))  # racing writers stop colliding
                try:
                    self._append_mn(mn, [frames[i] for i in indexes], indexes, out)
                    break
                except ConflictError:
                    continue  # another writer took these seqs; rebuild on the new head
            else:
                raise StorageUnavailableError(f"archive {mn}: could not append after {_RETRIES} attempts")
        return [r for r in out if r is not None]

    def _append_mn(
        self, mn: str, frames: Sequence[RawFrame], indexes: Sequence[int], out: list[ArchivedFrame | None]
    ) -> None:
        head = self._head(mn)
        prev, seq = (GENESIS_HASH, 1) if head is None else (head.hash, head.seq + 1)
        links: list[ArchivedFrame] = []
        done: dict[str, ArchivedFrame] = {}
        for i, frame in zip(indexes, frames, strict=True):
            key = frame.dedupe_key
            record = done.get(key) or self._find_by_dedupe_key(mn, key)
            if record is None:
                record = ArchivedFrame(frame=frame, seq=seq, prev_hash=prev, hash=link_hash(prev, frame))
                links.append(record)
                prev, seq = record.hash, seq + 1
            done[key] = out[i] = record
        for bundle in _bundles(links):
            self._put_bundle(bundle)

    def _by_time(self, mn: str, start: datetime, end: datetime, limit: int) -> list[ArchivedFrame]:
        found = self._bundles_from(mn, start - MAX_SPAN, end)
        # Receive-time order can differ from chain order when appenders race; the contract is chain order.
        return sorted((r for r in found if start <= r.frame.received_at < end), key=lambda r: r.seq)[:limit]

    def _by_seq(self, mn: str, from_seq: int, limit: int) -> list[ArchivedFrame]:
        out: list[ArchivedFrame] = []
        with translate("archive chain"):
            # The bundle holding from_seq starts at most MAX_LINKS - 1 links before it.
            items = self._model.query(
                mn,
                self._model.sk >= seq_key(max(1, from_seq - MAX_LINKS + 1)),
                consistent_read=True,
                page_size=min(limit, 1000),
            )
            for item in items:
                out.extend(r for r in _unpack(item) if r.seq >= from_seq)
                if len(out) >= limit:
                    break
        return out[:limit]
