"""Chain a delivered object (write its manifest, then one global link) and verify the whole archive: objects
against manifests, manifests against links, links against each other, each MN's entries against its previous."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from monitoring.archive import manifest as mf
from monitoring.archive.manifest import ChainLink, Manifest, MnRef
from monitoring.archive.models import GENESIS_HASH, RawFrame
from monitoring.errors import ConflictError, InvalidInputError, StorageUnavailableError

LOOKBACK = 16  # manifests read back at a cold start to find each MN's previous entry (≥ 2 minutes of objects)
_RETRIES = 16
_PAGE = 1_000
Parse = Callable[[str, bytes], Sequence[RawFrame]]  # an object's key and bytes → its frame records in order


class ObjectStore(Protocol):
    """The archive bucket as the chain needs it (S3: functions/adapters/archive_objects.py)."""

    def get(self, key: str, version: str | None = None) -> bytes | None: ...  # None: no such object
    def put(self, key: str, data: bytes) -> None: ...
    def keys(self, prefix: str) -> list[str]: ...


class ChainLinks(Protocol):
    """The global chain's links (monitoring.storage.ports.ChainHeadsRepository)."""

    def append(self, link: ChainLink) -> None: ...
    def recent(self, limit: int = 8) -> list[ChainLink]: ...
    def at(self, seq: int) -> ChainLink | None: ...
    def links(self, *, from_seq: int = 1, limit: int = 1_000) -> list[ChainLink]: ...


@dataclass
class _Heads:
    """Each MN's latest entry as of link `seq` (hash `hash`), from the manifests of links `since`..`seq`."""

    seq: int = 0
    hash: str = GENESIS_HASH
    since: int = 1
    mns: dict[str, MnRef] = field(default_factory=dict)

    def add(self, link: ChainLink, manifest: Manifest) -> None:
        for e in manifest.entries:
            self.mns[e.mn] = MnRef(link.object_key, e.hash, link.seq)
        self.seq, self.hash = link.seq, link.hash


class ManifestChain:
    """One per warm container: it keeps every MN's head, so a warm run reads no earlier manifest."""

    def __init__(self, links: ChainLinks, objects: ObjectStore, parse: Parse, *, lookback: int = LOOKBACK) -> None:
        self._links, self._objects, self._parse, self._lookback = links, objects, parse, lookback
        self._heads = _Heads()

    def chain(self, key: str, version: str | None = None) -> ChainLink:
        """Chain one delivered object; idempotent (a redelivered event, or a rerun after a failure half way,
        adds nothing twice). The manifest is written before its link, so a link never names a missing one."""
        for done in self._objects.keys(f"{mf.MANIFEST_PREFIX}{key}."):  # an earlier run's manifests (usually none)
            digits = done.rsplit(".", 3)[-3]
            link = self._links.at(int(digits)) if digits.isdigit() else None
            if link is not None and link.object_key == key:
                return link
        body = self._objects.get(key, version)
        if body is None:
            raise StorageUnavailableError(f"archive object {key} is not there")
        digest, frames = mf.sha256(body), self._parse(key, body)
        for _ in range(_RETRIES):
            recent = self._links.recent(8)
            mine = next((link for link in recent if link.object_key == key), None)
            if mine is not None:
                return mine  # a concurrent run of the same object won
            head = recent[0] if recent else None
            heads = self._heads_at(head, recent)
            seq, prev_hash = (1, GENESIS_HASH) if head is None else (head.seq + 1, head.hash)
            manifest = mf.build(key, digest, frames, seq=seq, prev_hash=prev_hash, prev=heads.mns)
            data = mf.encode(manifest)
            link = ChainLink(
                seq, key, prev_hash, mf.sha256(data), len(frames), len(manifest.entries), mf.received_span(frames)
            )
            self._objects.put(link.manifest_key, data)
            try:
                self._links.append(link)
            except ConflictError:
                continue  # another object took this seq: rebuild on the new head
            heads.add(link, manifest)
            return link
        raise StorageUnavailableError(f"chain: could not append {key} after {_RETRIES} attempts")

    def _heads_at(self, head: ChainLink | None, recent: Sequence[ChainLink]) -> _Heads:
        """Every MN's head as of `head`: the cached heads caught up by reading the manifests since, or (cold, or
        too far behind) rebuilt from the last `lookback` manifests."""
        if head is None:
            self._heads = _Heads()
            return self._heads
        h = self._heads
        if h.seq > head.seq or head.seq - h.seq > self._lookback or (h.seq and not self._same(h.seq, h.hash, recent)):
            h = self._heads = _Heads(since=max(1, head.seq - self._lookback + 1))
            h.seq = h.since - 1
        for link in self._links.links(from_seq=h.seq + 1, limit=head.seq - h.seq) if head.seq > h.seq else []:
            h.add(link, self._manifest(link))
        return h

    def _same(self, seq: int, hash_: str, recent: Sequence[ChainLink]) -> bool:
        """Whether the cached heads are on this chain (a container outliving a store, as in tests, is not)."""
        link = next((r for r in recent if r.seq == seq), None) or self._links.at(seq)
        return link is not None and link.hash == hash_

    def _manifest(self, link: ChainLink) -> Manifest:
        data = self._objects.get(link.manifest_key)
        if data is None or mf.sha256(data) != link.hash:
            raise StorageUnavailableError(
                f"chain: manifest of link {link.seq} is missing or altered; verify the archive"
            )
        return mf.decode(data)


@dataclass(frozen=True, slots=True)
class Problem:
    """What verification found wrong, where (link seq, object, MN when it concerns one) — message in Chinese."""

    seq: int
    object_key: str
    mn: str
    message: str


@dataclass
class ArchiveVerification:
    links: int = 0
    frames: dict[str, int] = field(default_factory=dict)  # frames checked per MN
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(
    links: ChainLinks, objects: ObjectStore, parse: Parse, *, lookback: int = LOOKBACK, delivered: str | None = None
) -> ArchiveVerification:
    """Walk the global chain from link 1 and check everything as stored now; every problem is reported. With
    `delivered` (the deliveries' prefix), an object there that no link names is reported too."""
    out = ArchiveVerification()
    prev_hash, expected = GENESIS_HASH, 1
    heads: dict[str, MnRef] = {}
    unread: set[int] = set()  # links whose manifest could not be trusted: entries after them are not judged on them
    chained: set[str] = set()
    while True:
        page = links.links(from_seq=expected, limit=_PAGE)
        if not page:
            for key in objects.keys(delivered) if delivered is not None else []:
                if key not in chained:
                    out.problems.append(Problem(0, key, "", "数据对象未上链（链函数未处理，或刚送达）"))
            return out
        for link in page:
            if link.seq != expected:
                out.problems.append(Problem(expected, "", "", f"全局链缺少第 {expected}–{link.seq - 1} 环"))
            elif link.prev_hash != prev_hash:
                out.problems.append(
                    Problem(link.seq, link.object_key, "", "全局链断开：本环的上一清单哈希与上一环不符")
                )
            _check_link(link, objects, parse, heads, unread, lookback, out)
            chained.add(link.object_key)
            out.links += 1
            prev_hash, expected = link.hash, link.seq + 1


def _check_link(
    link: ChainLink, objects: ObjectStore, parse: Parse, heads: dict[str, MnRef], unread: set[int], lookback: int,
    out: ArchiveVerification,
) -> None:  # fmt: skip
    def problem(message: str, mn: str = "") -> None:
        out.problems.append(Problem(link.seq, link.object_key, mn, message))

    data = objects.get(link.manifest_key)
    if data is None or mf.sha256(data) != link.hash:
        unread.add(link.seq)
        return problem(
            f"清单 {link.manifest_key} " + ("已被删除" if data is None else "已被替换或改动（哈希与链不符）")
        )
    try:
        manifest = mf.decode(data)
    except InvalidInputError:
        unread.add(link.seq)
        return problem(f"清单 {link.manifest_key} 无法读取")
    if (manifest.seq, manifest.prev_hash, manifest.object_key) != (link.seq, link.prev_hash, link.object_key):
        problem("清单的序号、上一清单哈希或对象名与链不符")
    body = objects.get(link.object_key)
    if body is None:
        problem("数据对象已被删除")
    elif mf.sha256(body) != manifest.object_sha256:
        problem("数据对象的字节已被改动（哈希与清单不符）")
    frames = parse(link.object_key, body) if body is not None else []
    actual = {e.mn: e for e in mf.entries_of(frames, {})} if body is not None else {}
    for entry in manifest.entries:
        seen = heads.get(entry.mn)
        if entry.prev is not None and entry.prev.seq in unread:
            pass  # its previous entry is in a manifest already reported
        elif entry.prev is not None and entry.prev != seen:
            problem("与该终端的上一清单条目不衔接（缺失或顺序错乱）", entry.mn)
        elif entry.prev is None and seen is not None and link.seq - seen.seq <= lookback:
            problem("该终端的上一清单条目未被链接", entry.mn)
        heads[entry.mn] = MnRef(link.object_key, entry.hash, link.seq)
        got = actual.pop(entry.mn, None)
        if body is None:
            continue
        if got is None or (got.first, got.last, got.count, got.frames_sha256) != (
            entry.first, entry.last, entry.count, entry.frames_sha256,
        ):  # fmt: skip
            problem("数据帧与清单不符（改动、缺失或顺序错乱）", entry.mn)
        else:
            out.frames[entry.mn] = out.frames.get(entry.mn, 0) + entry.count
    for mn in actual:
        problem("数据对象中有清单外的数据帧", mn)
    return None
