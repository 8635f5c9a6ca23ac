"""Reading buckets: one item holding a point's readings of one kind over N minutes (the county host writes them).

Item: pk `rb#<point_id>#<kind>`, sk `time_key(bucket start)`, `t`="rb", `z` the body below, `v` a version for
merges, TTL from the newest reading's data time. A bucket of `minutes` starts at a per-point offset (a stable
hash of the point), so different points' buckets close, and are written, at different minutes.

Body: BUCKET_V1, then one raw deflate stream (compact.py's preset dictionary) of a text holding the first
reading's epoch microseconds and, per reading ascending, a header line "<µs after the first> <c|j> <bytes>" and
that many bytes: compact.py's reading text (c) or, for what that layout cannot carry, the codec JSON (j).
Consecutive minutes of a point repeat everything but their values, which deflate's window turns into
back-references: ~7× smaller than one compact item per reading.

More: docs/dynamodb.md, "Module notes".
"""

from __future__ import annotations

import zlib
from collections.abc import Container, Iterable, Sequence
from datetime import UTC, datetime, timedelta

from monitoring.readings.models import Reading, ReadingKind
from monitoring.storage import codec
from monitoring.storage.dynamodb import compact
from monitoring.storage.dynamodb._client import time_key
from monitoring.storage.dynamodb.compact_dictionary import DICTIONARY_V1

MAX_BUCKET_MINUTES = 60  # readers widen a range's lower bound by this much to find the bucket holding its start
BUCKET_V1 = 0x03  # a body's first byte (compact.py's reading and aggregate bodies use 0x01 and 0x02)
ITEM_TYPE = "rb"
_WBITS = -15
_LEVEL = 9
_MAX_TEXT = 4 << 20  # inflating stops here: a bucket of 60 readings is tens of KB (DynamoDB items are ≤ 400 KB)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US = timedelta(microseconds=1)
_MINUTE = timedelta(minutes=1)


def bucket_pk(point_id: str, kind: ReadingKind) -> str:
    return f"rb#{point_id}#{ReadingKind(kind).value}"


def bucket_offset(point_id: str, minutes: int) -> timedelta:
    """The point's whole-minute offset into every bucket of `minutes` (crc32: the same in every process; salted
    so that it is independent of the roll-up's minute, `rollup_offset`)."""
    return timedelta(minutes=zlib.crc32(b"rb#" + point_id.encode()) % _check_minutes(minutes))


def _check_minutes(minutes: int) -> int:
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= MAX_BUCKET_MINUTES:
        raise ValueError(f"bucket minutes must be a whole number within 1..{MAX_BUCKET_MINUTES}, not {minutes!r}")
    return minutes


def bucket_start(point_id: str, data_time: datetime, minutes: int) -> datetime:
    """The start of the point's bucket of `minutes` that holds `data_time` (UTC): buckets are aligned to the
    epoch plus the point's offset, so they never overlap and every reading has exactly one."""
    if data_time.tzinfo is None:
        raise ValueError("data_time must be timezone-aware")
    size = timedelta(minutes=_check_minutes(minutes))
    since = data_time.astimezone(UTC) - _EPOCH - bucket_offset(point_id, minutes)
    return _EPOCH + bucket_offset(point_id, minutes) + (since // size) * size


def _deflate(data: bytes) -> bytes:
    squeezer = zlib.compressobj(_LEVEL, zlib.DEFLATED, _WBITS, zdict=DICTIONARY_V1)
    return bytes((BUCKET_V1,)) + squeezer.compress(data) + squeezer.flush()


def _inflate(body: bytes) -> bytes:
    if not body or body[0] != BUCKET_V1:
        raise ValueError("not a reading bucket body")
    inflater = zlib.decompressobj(_WBITS, zdict=DICTIONARY_V1)
    data = inflater.decompress(body[1:], _MAX_TEXT)
    if inflater.unconsumed_tail:
        raise ValueError("reading bucket body inflates beyond its limit")
    data += inflater.flush()
    if not inflater.eof or inflater.unused_data:
        raise ValueError("truncated or trailing deflate data")
    return data


def _micros(delta: timedelta) -> int:
    return delta // _ONE_US


def encode_bucket(readings: Iterable[Reading]) -> bytes:
    """The body of a bucket holding `readings` (one point and kind; the first of a data time wins)."""
    unique: dict[datetime, Reading] = {}
    for r in readings:
        unique.setdefault(r.data_time, r)
    if not unique:
        raise ValueError("a reading bucket holds at least one reading")
    ordered = [unique[t] for t in sorted(unique)]
    first = ordered[0]
    if any(r.point_id != first.point_id or r.kind != first.kind for r in ordered):
        raise ValueError("a reading bucket holds one point's readings of one kind")
    base = _micros(first.data_time - _EPOCH)
    parts = [f"{base}\n".encode()]
    for r in ordered:
        text = compact.reading_text(r)
        tag, payload = ("c", text.encode()) if text is not None else ("j", codec.dumps(r).encode())
        parts.append(f"{_micros(r.data_time - _EPOCH) - base} {tag} {len(payload)}\n".encode())
        parts.append(payload)
    return _deflate(b"".join(parts))


def _records(body: bytes) -> Iterable[tuple[datetime, str, bytes]]:
    """(data time, tag, payload) of each reading in a body, ascending. ValueError when it is not one."""
    data = _inflate(body)
    line_end = data.find(b"\n")
    if line_end < 0:
        raise ValueError("reading bucket body without a base time")
    base = _EPOCH + timedelta(microseconds=int(data[:line_end]))
    at, previous = line_end + 1, None
    while at < len(data):
        line_end = data.find(b"\n", at)
        if line_end < 0:
            raise ValueError("truncated reading header")
        offset, tag, size = data[at:line_end].decode().split(" ")
        length = int(size)
        payload = data[line_end + 1 : line_end + 1 + length]
        if tag not in ("c", "j") or length < 0 or len(payload) != length:
            raise ValueError("malformed reading record")
        when = base + timedelta(microseconds=int(offset))
        if previous is not None and when <= previous:
            raise ValueError("reading bucket records out of order")
        yield when, tag, payload
        at, previous = line_end + 1 + length, when


def _decode_one(tag: str, payload: bytes, point_id: str, kind: ReadingKind, when: datetime) -> Reading:
    if tag == "c":
        return compact.reading_from_text(payload.decode(), point_id, kind, when)
    reading = codec.loads(Reading, payload.decode())
    if reading.point_id != point_id or reading.kind != kind or reading.data_time != when:
        raise ValueError("reading bucket record does not match its bucket")
    return reading


def decode_bucket(body: bytes, point_id: str, kind: ReadingKind) -> list[tuple[str, Reading]]:
    """(time_key(data_time), reading) of every reading a body holds, ascending. ValueError on a malformed body."""
    return [(k, r) for k, r in decode_bucket_keyed(body, point_id, kind, ()) if r is not None]


def decode_bucket_keyed(
    body: bytes, point_id: str, kind: ReadingKind, known: Container[str]
) -> list[tuple[str, Reading | None]]:
    """`decode_bucket`, with None instead of the reading for a key in `known` (the caller decoded it before)."""
    kind = ReadingKind(kind)
    try:
        out: list[tuple[str, Reading | None]] = []
        for when, tag, payload in _records(body):
            key = time_key(when)
            out.append((key, None if key in known else _decode_one(tag, payload, point_id, kind, when)))
        return out
    except (TypeError, ValueError, zlib.error, UnicodeDecodeError) as exc:
        raise ValueError(f"malformed reading bucket: {exc}") from exc


def bucket_data_times(body: bytes) -> set[datetime]:
    """The data times a body holds, without decoding the readings."""
    try:
        return {when for when, _, _ in _records(body)}
    except (TypeError, ValueError, zlib.error, UnicodeDecodeError) as exc:
        raise ValueError(f"malformed reading bucket: {exc}") from exc


def check_bucket_readings(point_id: str, kind: ReadingKind, start: datetime, readings: Sequence[Reading]) -> None:
    """ValueError unless every reading is the point's, of the kind, within [start, start + MAX_BUCKET_MINUTES)
    (the window readers search a bucket for)."""
    end = start + MAX_BUCKET_MINUTES * _MINUTE
    for r in readings:
        if r.point_id != point_id or r.kind != kind:
            raise ValueError(f"reading of {r.point_id}/{r.kind.value} merged into a bucket of {point_id}/{kind.value}")
        if not start <= r.data_time < end:
            raise ValueError(f"reading at {r.data_time.isoformat()} outside the bucket starting {start.isoformat()}")
