"""A shard's rule windows as one compressed blob (format 1), so any container can pick up where another left off.

More: docs/rules.md, "Module notes" (warm_shards).
"""

from __future__ import annotations

import json
import math
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import quote

from monitoring.evaluation.models import Sample
from monitoring.rules.sample_cache import Window

FORMAT = 1
PREFIX = "rules-snapshots/"
MAX_BYTES = 512 * 2**20  # decompressed; a shard of 5,000 enterprises' windows is far below
_VALUES = ("p", "ia", "ib", "ic", "ua", "ub", "uc", "energy")


class SnapshotBlobs(Protocol):
    """Where snapshots are kept (S3 in AWS): get returns None for an absent key; both raise
    StorageUnavailableError on an outage."""

    def get(self, key: str) -> bytes | None: ...

    def put(self, key: str, data: bytes) -> None: ...


@dataclass(frozen=True, slots=True)
class WarmSnapshot:
    """The windows of a shard's points as they stood after the shard's tick `tick` (whole ranges only)."""

    county_id: str
    shard: int
    tick: datetime
    windows: Mapping[str, Window]
    # The rule-state documents the tick left in its container's cache (state_cache.RuleStateCache.export):
    # (tick key, stamp it saved on the mark, key -> canonical JSON or None); None: none kept
    state: tuple[str, str, Mapping[str, str | None]] | None = None


def snapshot_key(county_id: str, shard: int) -> str:
    return f"{PREFIX}{quote(county_id, safe='')}/{shard}.json.gz"


def _iso(t: datetime | None) -> str | None:
    return None if t is None else t.isoformat()


def encode(snapshot: WarmSnapshot) -> bytes:
    points = {
        pid: [
            _iso(start),
            _iso(end),
            [[s.at.isoformat(), *(getattr(s, v) for v in _VALUES), s.flag, _iso(s.received_at)] for s in samples],
        ]
        for pid, (start, end, samples) in sorted(snapshot.windows.items())
    }
    doc = {
        "format": FORMAT,
        "county": snapshot.county_id,
        "shard": snapshot.shard,
        "tick": snapshot.tick.isoformat(),
        "points": points,
    }
    if snapshot.state is not None:
        key, stamp, docs = snapshot.state
        doc["state"] = {"key": key, "stamp": stamp, "docs": dict(sorted(docs.items()))}
    body = json.dumps(doc, separators=(",", ":"), allow_nan=False).encode()
    packer = zlib.compressobj(6, zlib.DEFLATED, 31)  # gzip
    return packer.compress(body) + packer.flush()


def _time(raw: Any) -> datetime:
    t = datetime.fromisoformat(raw)  # TypeError/ValueError on anything else
    if t.tzinfo is None:
        raise ValueError("time without an offset")
    return t


def _number(raw: Any) -> float | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        raise ValueError(f"not a number: {raw!r}")
    return raw  # an int stays an int: evidence shows values as they were read


def _window(raw: Any) -> Window:
    start, end, rows = raw
    start, end = _time(start), _time(end)
    samples: list[Sample] = []
    for row in rows:
        at, *values, flag, received = row
        if len(values) != len(_VALUES) or not isinstance(flag, str):
            raise ValueError("bad sample row")
        sample = Sample(
            _time(at),
            **{name: _number(v) for name, v in zip(_VALUES, values, strict=True)},
            flag=flag,
            received_at=None if received is None else _time(received),
        )
        if not start <= sample.at < end or (samples and sample.at < samples[-1].at):
            raise ValueError("sample outside its window or out of order")
        samples.append(sample)
    if not start < end:
        raise ValueError("empty window")
    return start, end, samples


def _state(raw: Any) -> tuple[str, str, dict[str, str | None]] | None:
    if raw is None:
        return None
    key, stamp, docs = raw["key"], raw["stamp"], raw["docs"]
    ok = isinstance(key, str) and isinstance(stamp, str) and stamp and isinstance(docs, dict)
    if not ok or not all(isinstance(k, str) and (v is None or isinstance(v, str)) for k, v in docs.items()):
        raise ValueError("bad rule-state section")
    return key, stamp, docs


def decode(data: bytes, county_id: str, shard: int) -> WarmSnapshot | None:
    """The snapshot in `data`, or None when it is not a whole format-1 snapshot of this county's shard (corrupt,
    truncated, another version or another shard's): the caller then reads the windows from the store."""
    try:
        unpacker = zlib.decompressobj(31)
        body = unpacker.decompress(data, MAX_BYTES)
        if unpacker.unconsumed_tail or not unpacker.eof:
            return None
        doc = json.loads(body)
        if doc.get("format") != FORMAT or doc.get("county") != county_id or doc.get("shard") != shard:
            return None
        points = doc["points"]
        if not isinstance(points, dict):
            return None
        windows = {str(pid): _window(raw) for pid, raw in points.items()}
        return WarmSnapshot(county_id, shard, _time(doc["tick"]), windows, _state(doc.get("state")))
    except (zlib.error, ValueError, TypeError, KeyError, AttributeError):
        return None
