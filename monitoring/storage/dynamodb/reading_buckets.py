"""Reading buckets: one item holding a point's readings of one kind over N minutes (the county host writes them).

Item: pk `rb#<point_id>#<kind>`, sk `time_key(bucket start)`, `t`="rb", `z` the body, `v` a version for merges,
TTL from the newest reading's data time. Body layout and measurements: docs/dynamodb.md, "Module notes".
"""

from __future__ import annotations

import zlib
from collections.abc import Container, Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta

from monitoring.errors import InvalidInputError
from monitoring.readings.models import Reading, ReadingKind
from monitoring.storage import codec
from monitoring.storage.dynamodb import compact
from monitoring.storage.dynamodb._client import time_key
from monitoring.storage.dynamodb.compact_dictionary import DICTIONARY_V1

MAX_BUCKET_MINUTES = 60  # readers widen a range's lower bound by this much to find the bucket holding its start
# The kinds the county host buckets (its buffer takes minute and real-time readings; hour and day readings, a few
# a day, stay one item each): readers of other kinds make no bucket query.
BUCKETED_KINDS = frozenset({ReadingKind.MINUTE, ReadingKind.REALTIME})
MAX_BODY_BYTES = 350_000  # DynamoDB refuses items over 400 KB (keys and attributes included)


BUCKET_V1 = 0x03  # a body's first byte (compact.py's reading and aggregate bodies use 0x01 and 0x02)
ITEM_TYPE = "rb"
_WBITS = -15
_LEVEL = 9
_MAX_TEXT = 4 << 20  # inflating stops here: a bucket of 60 readings is tens of KB (DynamoDB items are ≤ 400 KB)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US = timedelta(microseconds=1)
_MINUTE = timedelta(minutes=1)


class BucketTooLarge(InvalidInputError):
    """A reading bucket whose body would pass DynamoDB's item limit (a terminal's huge raw texts)."""


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


# Compact reading text fields (compact.reading_text: mn, received, values, flags, raw shape, raw texts) whose cells
# are stored transposed, and the separator of their cells: a row then holds one quantity's (or raw text's) value
# at each minute of the bucket. Both kinds of row join their cells with _ROW (in neither kind of cell): a frame's
# raw texts repeat its values, and with one separator deflate finds a value row's run of minutes in a raw row too
# (≈ 23 % fewer bytes than a comma between values).
_TRANSPOSED = {2: ",", 5: "\x1f"}
_FIELDS = 6
_ROW = "\x1f"


def _block(column: list[str], sep: str | None) -> list[str]:
    """Lines storing one field of every compact reading: "=" + the value all share, "T<n>" + n transposed rows of
    cells, or "*" + one line per reading. No field holds a line break (compact.reading_text's layout)."""
    if column and all(value == column[0] for value in column):
        return ["=" + column[0]]
    if sep is not None and column:
        cells = [value.split(sep) for value in column]
        if all(len(c) == len(cells[0]) for c in cells):
            return [f"T{len(cells[0])}", *(_ROW.join(row) for row in zip(*cells, strict=True))]
    return ["*", *column]


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
    texts = [compact.reading_text(r) for r in ordered]
    tags = "".join("j" if text is None else "c" for text in texts)
    gaps = [_micros(b.data_time - a.data_time) for a, b in zip(ordered, ordered[1:], strict=False)]
    lines = [str(base), ",".join(map(str, gaps)), tags]  # gaps, not offsets: a minute's gap repeats
    for r, text in zip(ordered, texts, strict=True):
        if text is None:  # what the compact layout cannot carry: the codec's JSON (one line: JSON escapes breaks)
            lines.append(codec.dumps(r))
    fields = [text.split("\n") for text in texts if text is not None]
    for index in range(_FIELDS):
        lines.extend(_block([f[index] for f in fields], _TRANSPOSED.get(index)))
    return _deflate("\n".join(lines).encode())


def _take(lines: Iterator[str]) -> str:
    line = next(lines, None)
    if line is None:
        raise ValueError("truncated reading bucket")
    return line


def _read_block(lines: Iterator[str], count: int, sep: str | None) -> list[str]:
    head = _take(lines)
    if head.startswith("=") and count:
        return [head[1:]] * count
    if head == "*":
        return [_take(lines) for _ in range(count)]
    if sep is not None and head.startswith("T") and head[1:].isdigit() and int(head[1:]) >= 1 and count:
        rows = [_take(lines).split(_ROW) for _ in range(int(head[1:]))]
        if any(len(row) != count for row in rows):
            raise ValueError("a transposed row does not hold one cell per reading")
        return [sep.join(cells) for cells in zip(*rows, strict=True)]
    raise ValueError(f"malformed field block {head[:20]!r}")


def _parse(body: bytes) -> tuple[list[datetime], str, Iterator[str]]:
    """(data times ascending, tags, the remaining lines) of a body; ValueError when it is not one."""
    lines = iter(_inflate(body).decode().split("\n"))
    times = [_EPOCH + timedelta(microseconds=int(_take(lines)))]
    gap_line = _take(lines)
    for gap in map(int, gap_line.split(",") if gap_line else ()):
        if gap <= 0:
            raise ValueError("reading bucket times out of order")
        times.append(times[-1] + timedelta(microseconds=gap))
    tags = _take(lines)
    if len(tags) != len(times) or tags.strip("cj"):
        raise ValueError("reading bucket times and tags do not match")
    return times, tags, lines


def decode_bucket(body: bytes, point_id: str, kind: ReadingKind) -> list[tuple[str, Reading]]:
    """(time_key(data_time), reading) of every reading a body holds, ascending. ValueError on a malformed body."""
    return [(k, r) for k, r in decode_bucket_keyed(body, point_id, kind, ()) if r is not None]


def decode_bucket_keyed(
    body: bytes, point_id: str, kind: ReadingKind, known: Container[str]
) -> list[tuple[str, Reading | None]]:
    """`decode_bucket`, with None instead of the reading for a key in `known` (the caller decoded it before)."""
    kind = ReadingKind(kind)
    try:
        times, tags, lines = _parse(body)
        json_texts = [_take(lines) for tag in tags if tag == "j"]
        count = tags.count("c")
        columns = [_read_block(lines, count, _TRANSPOSED.get(index)) for index in range(_FIELDS)]
        if next(lines, None) is not None:
            raise ValueError("trailing lines")
        compact_texts = iter(["\n".join(f) for f in zip(*columns, strict=True)] if count else [])
        others = iter(json_texts)
        out: list[tuple[str, Reading | None]] = []
        for when, tag in zip(times, tags, strict=True):
            text = next(compact_texts) if tag == "c" else next(others)
            key = time_key(when)
            if key in known:
                out.append((key, None))
            elif tag == "c":
                out.append((key, compact.reading_from_text(text, point_id, kind, when)))
            else:
                reading = codec.loads(Reading, text)
                if reading.point_id != point_id or reading.kind != kind or reading.data_time != when:
                    raise ValueError("reading bucket record does not match its bucket")
                out.append((key, reading))
        return out
    except (TypeError, ValueError, zlib.error, UnicodeDecodeError) as exc:
        raise ValueError(f"malformed reading bucket: {exc}") from exc


def bucket_data_times(body: bytes) -> set[datetime]:
    """The data times a body holds, without decoding the readings."""
    try:
        return set(_parse(body)[0])
    except (TypeError, ValueError, zlib.error, UnicodeDecodeError) as exc:
        raise ValueError(f"malformed reading bucket: {exc}") from exc


def check_bucket_readings(point_id: str, kind: ReadingKind, start: datetime, readings: Sequence[Reading]) -> None:
    """ValueError unless the kind is bucketed and every reading is the point's, of the kind, within
    [start, start + MAX_BUCKET_MINUTES) (the window readers search a bucket for)."""
    if kind not in BUCKETED_KINDS:
        raise ValueError(f"{kind.value} readings are not bucketed (only {sorted(k.value for k in BUCKETED_KINDS)})")
    end = start + MAX_BUCKET_MINUTES * _MINUTE
    for r in readings:
        if r.point_id != point_id or r.kind != kind:
            raise ValueError(f"reading of {r.point_id}/{r.kind.value} merged into a bucket of {point_id}/{kind.value}")
        if not start <= r.data_time < end:
            raise ValueError(f"reading at {r.data_time.isoformat()} outside the bucket starting {start.isoformat()}")
