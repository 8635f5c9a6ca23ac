"""A delivered object's manifest (per MN: positions, count, SHA-256 of its frames, link to its previous entry) and
the global chain link over manifests' hashes. More: docs/deploy.md, "The manifest chain over S3 deliveries"."""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from monitoring._time import to_micros
from monitoring.archive.models import GENESIS_HASH, RawFrame
from monitoring.errors import InvalidInputError

MAX_OBJECT_KEY = 900  # S3 allows 1,024; the manifest's key adds a prefix and a suffix
MANIFEST_PREFIX = "manifests/"  # beside raw/, outside the prefix whose deliveries notify the chain function
FORMAT = 1


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest_key(object_key: str, seq: int) -> str:
    """Where the manifest of `object_key` as link `seq` is written (a lost race leaves another seq's, unchained)."""
    return f"{MANIFEST_PREFIX}{object_key}.{seq:012d}.json.gz"


@dataclass(frozen=True, slots=True)
class MnRef:
    """Where an MN's chain stands: the object whose manifest holds its latest entry, that entry's hash, and the
    global seq of that manifest."""

    object_key: str
    hash: str
    seq: int


@dataclass(frozen=True, slots=True)
class MnEntry:
    """One MN's frames in one object: positions among the object's frame records (0-based), their count, the
    SHA-256 over their canonical forms in order, and the link to the MN's previous entry (None: none known)."""

    mn: str
    first: int
    last: int
    count: int
    frames_sha256: str
    prev: MnRef | None

    @property
    def hash(self) -> str:
        """The MN's chain hash after this entry: SHA-256(previous entry's hash ‖ 0x0A ‖ frames_sha256)."""
        prev = GENESIS_HASH if self.prev is None else self.prev.hash
        return sha256(f"{prev}\n{self.frames_sha256}".encode("ascii"))


@dataclass(frozen=True, slots=True)
class Manifest:
    """An object's manifest as link `seq` of the global chain, after the manifest whose hash is `prev_hash`."""

    object_key: str
    object_sha256: str
    seq: int
    prev_hash: str
    records: int
    entries: tuple[MnEntry, ...]

    def entry(self, mn: str) -> MnEntry | None:
        return next((e for e in self.entries if e.mn == mn), None)


@dataclass(frozen=True, slots=True)
class ChainLink:
    """The one chain item per object: link `seq` joins the previous manifest's hash to this manifest's hash.
    `received` (first, last receipt in µs since the epoch, of the object's frame records) is a finding aid for
    evidence exports, outside every hash; None on links written before it was kept, or of objects without frames."""

    seq: int
    object_key: str
    prev_hash: str
    hash: str
    records: int
    mns: int
    received: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        if self.seq < 1 or not self.object_key or len(self.object_key) > MAX_OBJECT_KEY:
            raise InvalidInputError("chain link: seq ≥ 1 and an object key of at most 900 characters")

    @property
    def manifest_key(self) -> str:
        return manifest_key(self.object_key, self.seq)


def received_span(frames: Sequence[RawFrame]) -> tuple[int, int] | None:
    """The first and last receipt time (µs) among an object's frame records (a link's finding aid)."""
    times = [to_micros(f.received_at) for f in frames]
    return (min(times), max(times)) if times else None


def frames_digest(frames: Iterable[RawFrame]) -> str:
    h = hashlib.sha256()
    for frame in frames:
        h.update(frame.canonical() + b"\n")
    return h.hexdigest()


def entries_of(frames: Sequence[RawFrame], prev: Mapping[str, MnRef]) -> tuple[MnEntry, ...]:
    """An object's entries, one per MN in order of first appearance, each linked to `prev[mn]` when known."""
    positions: dict[str, list[int]] = {}
    for index, frame in enumerate(frames):
        positions.setdefault(frame.mn, []).append(index)
    return tuple(
        MnEntry(mn, at[0], at[-1], len(at), frames_digest(frames[i] for i in at), prev.get(mn))
        for mn, at in positions.items()
    )


def build(
    object_key: str, object_sha256: str, frames: Sequence[RawFrame], *, seq: int, prev_hash: str,
    prev: Mapping[str, MnRef],
) -> Manifest:  # fmt: skip
    return Manifest(object_key, object_sha256, seq, prev_hash, len(frames), entries_of(frames, prev))


def encode(manifest: Manifest) -> bytes:
    """Canonical bytes (gzip without a timestamp, so the same manifest is the same bytes): referenced objects
    listed once, each entry as [mn, first, last, count, frames_sha256, ref index or -1, previous hash, seq]."""
    refs: dict[str, int] = {}
    rows = []
    for e in manifest.entries:
        p = e.prev
        ref = -1 if p is None else refs.setdefault(p.object_key, len(refs))
        rows.append(
            [
                e.mn,
                e.first,
                e.last,
                e.count,
                e.frames_sha256,
                ref,
                "" if p is None else p.hash,
                0 if p is None else p.seq,
            ]
        )
        # fmt: skip
    doc = {
        "v": FORMAT, "object": manifest.object_key, "object_sha256": manifest.object_sha256, "seq": manifest.seq,
        "prev": manifest.prev_hash, "records": manifest.records, "refs": list(refs), "mns": rows,
    }  # fmt: skip
    text = json.dumps(doc, separators=(",", ":"), sort_keys=True, ensure_ascii=True).encode("ascii")
    return gzip.compress(text, mtime=0)


def decode(data: bytes) -> Manifest:
    """A manifest from its stored bytes; anything else is InvalidInputError."""
    try:
        doc = json.loads(gzip.decompress(data))
        if doc["v"] != FORMAT:
            raise ValueError(f"format {doc['v']}")
        refs = [str(r) for r in doc["refs"]]
        entries = tuple(
            MnEntry(str(mn), int(f), int(la), int(n), str(h), None if ref < 0 else MnRef(refs[ref], str(ph), int(ps)))
            for mn, f, la, n, h, ref, ph, ps in doc["mns"]
        )
        return Manifest(
            str(doc["object"]), str(doc["object_sha256"]), int(doc["seq"]), str(doc["prev"]), int(doc["records"]),
            entries,
        )  # fmt: skip
    except (OSError, EOFError, ValueError, KeyError, TypeError, IndexError) as exc:
        raise InvalidInputError(f"not a manifest: {exc}") from exc
