"""An alarm's frames and their proof from the S3 archive (AWS): the delivered objects holding each MN's frames of the
window, found through the global chain's links; each MN's frames in them, bytes as archived; the manifests of
those objects and the contiguous links from the first to the last (or to the head). docs/monitoring.md §10."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Protocol

from monitoring._time import to_micros
from monitoring.archive import manifest as mf
from monitoring.archive.manifest import ChainLink, Manifest, MnEntry
from monitoring.archive.models import RawFrame
from monitoring.errors import InvalidInputError
from monitoring.ingest.delivered_objects import body_of, frames_of
from monitoring.ingest.records import parse_record
from monitoring.profiles.models import Profile

SLACK: Final = timedelta(hours=1)  # objects delivered out of receipt order by up to this much are still found
MAX_LINKS: Final = 50_000  # links scanned for one export (≈ 4 days of a province's objects, one each 7 s)
MAX_TAIL_LINKS: Final = 1_000  # links after the last needed one carried up to the head; beyond, the head is stated
_PAGE: Final = 1_000
Parse = Callable[[str, bytes], Sequence[RawFrame]]


class EvidenceTooLargeError(InvalidInputError):
    """The manifests alone exceed the caller's size budget (the API's limit): found before any object is read."""

    def __init__(self, size: int) -> None:
        super().__init__(f"the manifests of the window alone are {size} bytes")
        self.size = size


class ArchiveObjects(Protocol):
    """The archive bucket, read only (S3: monitoring/storage/archive_s3.py)."""

    def get(self, key: str, version: str | None = None) -> bytes | None: ...  # None: no such object


class ChainLinks(Protocol):
    """The global chain's links (monitoring.storage.ports.ChainHeadsRepository), read only."""

    def head(self) -> ChainLink | None: ...
    def at(self, seq: int) -> ChainLink | None: ...
    def links(self, *, from_seq: int = 1, limit: int = 1_000) -> list[ChainLink]: ...


@dataclass(frozen=True, slots=True)
class DeliveredFrame:
    """A frame record at `position` among the frame records of the object chained as link `seq`."""

    seq: int
    position: int
    frame: RawFrame

    @property
    def frame_id(self) -> str:
        """The frame's name in a package (readings.csv 帧序号, frames/ file): link seq and position."""
        return f"{self.seq}-{self.position}"


@dataclass(frozen=True, slots=True)
class DeliveredEntry:
    """One MN's entry in one object's manifest with all the MN's frames of that object, in order."""

    link: ChainLink
    entry: MnEntry
    frames: tuple[DeliveredFrame, ...]


@dataclass(frozen=True, slots=True)
class DeliveredChain:
    """One terminal's entries from the first to the last object holding a frame of the window (contiguous: each
    entry links to the one before), and the frames of the window among them."""

    mn: str
    entries: tuple[DeliveredEntry, ...]
    window: tuple[DeliveredFrame, ...]
    profile: Profile | None


@dataclass(frozen=True, slots=True)
class DeliveredProof:
    """The terminals' chains, the manifests their entries are in (link seq → bytes as stored), and the links from
    the first of those manifests to the last, or to the head when at most MAX_TAIL_LINKS follow."""

    chains: tuple[DeliveredChain, ...]
    links: tuple[ChainLink, ...]
    manifests: dict[int, bytes]
    head: ChainLink

    @property
    def reaches_head(self) -> bool:
        return self.links[-1].seq == self.head.seq


@dataclass(frozen=True, slots=True)
class _Found:
    link: ChainLink
    data: bytes
    manifest: Manifest


class DeliveredArchive:
    """Reads an export's frames and proof from the bucket and the links; `parse` as the chain function's."""

    def __init__(self, links: ChainLinks, objects: ArchiveObjects, parse: Parse = frames_of) -> None:
        self._links, self._objects, self._parse = links, objects, parse

    def proof(
        self,
        mns: Sequence[str],
        since: datetime,
        until: datetime,
        profiles: dict[str, Profile | None],
        *,
        max_bytes: int | None = None,
    ) -> DeliveredProof | None:
        """None when no frame of these MNs received in [since, until] is on the chain. EvidenceTooLargeError as soon
        as the manifests to carry pass `max_bytes` (before their objects are read: an API answers in time)."""
        head = self._links.head()
        if head is None or not mns:
            return None
        a, b = to_micros(since), to_micros(until)
        entries: dict[str, list[DeliveredEntry]] = {mn: [] for mn in mns}
        found: dict[int, _Found] = {}
        carried = 0
        wanted: dict[int, list[MnEntry]] = {}
        for link in self._candidates(head, a, b):  # the manifests first: the budget is known before any object
            got = self._manifest(link)
            if got is None:
                continue  # missing or unreadable: the package's verification finds the entries that skip it
            mine = [e for e in (got.manifest.entry(mn) for mn in mns) if e is not None]
            if mine:
                found[link.seq], wanted[link.seq] = got, mine
                carried += len(got.data)
                if max_bytes is not None and carried > max_bytes:
                    raise EvidenceTooLargeError(carried)
        for seq, mine in wanted.items():
            got = found[seq]
            for entry, frames in zip(mine, self._frames(got.link, got.manifest, mine), strict=True):
                entries[entry.mn].append(DeliveredEntry(got.link, entry, frames))
        chains = []
        for mn in mns:
            chain = _trim(mn, entries[mn], a, b, profiles.get(mn))
            if chain is not None:
                chains.append(chain)
        if not chains:
            return None
        used = sorted({e.link.seq for c in chains for e in c.entries})
        last = head.seq if head.seq - used[-1] <= MAX_TAIL_LINKS else used[-1]
        links = self._range(used[0], last)
        return DeliveredProof(tuple(chains), tuple(links), {s: found[s].data for s in used}, head)

    def _candidates(self, head: ChainLink, a: int, b: int) -> list[ChainLink]:
        """Links from the first whose object may hold a frame received in [a, b] to the last that may, in seq
        order (every link between them too: a terminal's entries must be contiguous)."""
        low, high = 1, head.seq  # the first link whose frames reach a − SLACK (links are in delivery order)
        edge = a - int(SLACK.total_seconds() * 1e6)
        while low < high:
            mid = (low + high) // 2
            link = self._links.at(mid)
            if link is None or link.received is None or link.received[1] >= edge:
                high = mid
            else:
                low = mid + 1
        scanned: list[ChainLink] = []
        first = last = -1
        stop = b + int(SLACK.total_seconds() * 1e6)
        seq = low
        while seq <= head.seq:
            if len(scanned) >= MAX_LINKS:  # a package missing part of its window without saying so: refuse
                raise InvalidInputError(f"证据时间窗口内的归档数据对象超过 {MAX_LINKS} 个，无法导出")
            page = self._links.links(from_seq=seq, limit=_PAGE)
            if not page:
                break
            for link in page:
                span = link.received
                if span is not None and span[0] > stop:
                    return scanned[first : last + 1] if first >= 0 else []
                scanned.append(link)
                if span is None or (span[0] <= b and span[1] >= a):
                    first = len(scanned) - 1 if first < 0 else first
                    last = len(scanned) - 1
            seq = page[-1].seq + 1
        return scanned[first : last + 1] if first >= 0 else []

    def _manifest(self, link: ChainLink) -> _Found | None:
        data = self._objects.get(link.manifest_key)
        if data is None:
            return None
        try:
            return _Found(link, data, mf.decode(data))
        except InvalidInputError:
            return None

    def _frames(
        self, link: ChainLink, manifest: Manifest, wanted: Sequence[MnEntry]
    ) -> list[tuple[DeliveredFrame, ...]]:
        """Each wanted entry's frames in the object as stored now (a missing object: none, which the package's
        verification reports against the manifest)."""
        stored = self._objects.get(link.object_key)
        if stored is None:
            return [() for _ in wanted]
        try:
            lines = [line for line in body_of(link.object_key, stored).splitlines() if line.strip()]
        except InvalidInputError:
            lines = []
        out = []
        for entry in wanted:
            fast = _by_positions(lines, entry, link.seq) if len(lines) == manifest.records else None
            if fast is None:  # lines that are not frame records shift positions: parse the object as the chain did
                every = self._parse(link.object_key, stored)
                fast = tuple(DeliveredFrame(link.seq, i, f) for i, f in enumerate(every) if f.mn == entry.mn)
            out.append(fast)
        return out

    def _range(self, first: int, last: int) -> list[ChainLink]:
        out: list[ChainLink] = []
        seq = first
        while seq <= last:
            page = self._links.links(from_seq=seq, limit=min(_PAGE, last - seq + 1))
            if not page:
                break
            out += page
            seq = page[-1].seq + 1
        return out


def _by_positions(lines: Sequence[bytes], entry: MnEntry, seq: int) -> tuple[DeliveredFrame, ...] | None:
    """The entry's frames when every line is a frame record: only lines naming the MN are parsed. None when what
    is found does not match the manifest (then the slow path decides)."""
    needle = json.dumps(entry.mn).encode("ascii")
    out = []
    for position in range(entry.first, entry.last + 1):
        line = lines[position]
        if needle not in line:
            continue
        try:
            frame = RawFrame.of(parse_record(line))
        except InvalidInputError:
            return None
        if frame.mn == entry.mn:
            out.append(DeliveredFrame(seq, position, frame))
    if len(out) != entry.count or mf.frames_digest(f.frame for f in out) != entry.frames_sha256:
        return None
    return tuple(out)


def _trim(mn: str, entries: Sequence[DeliveredEntry], a: int, b: int, profile: Profile | None) -> DeliveredChain | None:
    """From the first entry with a frame received in [a, b] to the last one."""

    def inside(f: DeliveredFrame) -> bool:
        return a <= to_micros(f.frame.received_at) <= b

    def hit(e: DeliveredEntry) -> bool:
        if any(inside(f) for f in e.frames):
            return True
        # an object gone or altered in the window is carried as found, so that verification reports it
        span = e.link.received
        return len(e.frames) != e.entry.count and (span is None or (span[0] <= b and span[1] >= a))

    hits = [i for i, e in enumerate(entries) if hit(e)]
    if not hits:
        return None
    kept = tuple(entries[hits[0] : hits[-1] + 1])
    window = tuple(f for e in kept for f in e.frames if inside(f))
    return DeliveredChain(mn, kept, window, profile)
