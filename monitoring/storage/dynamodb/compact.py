"""Compact, versioned bodies of reading and aggregate items (the `z` attribute of the readings table).

More: docs/dynamodb.md, "Module notes".
"""

from __future__ import annotations

import json
import math
import zlib
from collections.abc import Mapping
from datetime import datetime, timedelta
from itertools import islice

from monitoring.readings.models import Aggregate, AggregatePeriod, QuantityStats, Reading, ReadingKind
from monitoring.storage import codec
from monitoring.storage.dynamodb.compact_dictionary import DICTIONARY_V1

# A body's first byte. Legacy bodies are zlib streams, whose first byte is 0x78 (zlib.compress, 32 KB window);
# these never are. A new layout or dictionary gets a new byte; the old ones stay readable.
READING_V1 = 0x01
AGGREGATE_V1 = 0x02

# Frozen for format 1: values are stored by position in this order (new quantities need a new format byte).
QUANTITY_ORDER: tuple[str, ...] = (
    "ua", "ub", "uc", "uab", "ubc", "uca", "ia", "ib", "ic", "i0", "pa", "pb", "pc", "p", "qa", "qb", "qc", "q",
    "s", "pf", "pfa", "pfb", "pfc", "freq", "ep_fwd", "ep_rev", "eq_fwd", "eq_rev", "angle_ua", "angle_ub",
    "angle_uc", "angle_ia", "angle_ib", "angle_ic", "demand", "run_state", "run_hours", "energy_day",
)  # fmt: skip
_KNOWN = frozenset(QUANTITY_ORDER)
_WBITS = -15  # raw deflate: no zlib header or checksum (the item is the unit of integrity)
_LEVEL = 9
_LINE, _TEXT = "\n", "\x1f"  # separators: neither occurs in what repr or JSON writes
_ONE_US = timedelta(microseconds=1)
_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode
_SHAPES: dict[str, list[tuple[str, int, tuple[str, ...]]]] = {}  # raw shape text → parsed (a point's is constant)
_SHAPES_LIMIT = 4_096


def _deflate(text: str, kind: int) -> bytes:
    squeezer = zlib.compressobj(_LEVEL, zlib.DEFLATED, _WBITS, zdict=DICTIONARY_V1)
    return bytes((kind,)) + squeezer.compress(text.encode()) + squeezer.flush()


def _inflate(body: bytes, kind: int) -> str:
    if not body or body[0] != kind:
        raise ValueError(f"not a compact body of kind {kind:#04x}")
    inflater = zlib.decompressobj(_WBITS, zdict=DICTIONARY_V1)
    text = inflater.decompress(body[1:]) + inflater.flush()
    if not inflater.eof or inflater.unused_data:
        raise ValueError("truncated or trailing deflate data")
    return text.decode()


def is_compact(body: bytes) -> bool:
    """True for a body written by this module (else a legacy zlib JSON body)."""
    return bool(body) and body[0] in (READING_V1, AGGREGATE_V1)


def _micros(delta: timedelta) -> str:
    return str(delta // _ONE_US)


def encode_reading(reading: Reading) -> bytes | None:
    """The body of a reading item, or None when the reading holds what the layout cannot carry (a line break in
    its MN, a separator inside a raw text, a quantity added after format 1): the caller writes the legacy body.
    Point, kind and data time are the item's key and are not repeated."""
    text = reading_text(reading)
    return None if text is None else _deflate(text, READING_V1)


def reading_text(reading: Reading) -> str | None:
    """The text a compact reading body deflates (reading buckets deflate many under one stream), or None when
    the layout cannot carry the reading (see `encode_reading`)."""
    mn = reading.mn
    values = reading.values
    if _LINE in mn or not values.keys() <= _KNOWN:  # (a quantity newer than format 1 would be dropped)
        return None
    flags = reading.flags
    texts = [text for item in reading.raw.values() for text in item.values()]
    joined = _TEXT.join(texts)
    if texts and (joined.count(_TEXT) != len(texts) - 1 or _LINE in joined):
        return None
    received = reading.received_at
    default_flags = flags.keys() == values.keys() and all(f == "N" for f in flags.values())
    return _LINE.join(
        (
            mn,
            "" if received is None else _micros(received - reading.data_time),
            ",".join([repr(values[q]) if q in values else "" for q in QUANTITY_ORDER]),
            "" if default_flags else _json(dict(flags)),
            _json([[code, list(item)] for code, item in reading.raw.items()]),
            joined,
        )
    )


def reading_body(reading: Reading) -> bytes:
    """A reading item's `z`: the compact body, or zlib JSON for what that layout cannot carry (a line break in the
    MN, say); the reading buffer on the county host stores the same bytes."""
    return encode_reading(reading) or zlib.compress(codec.dumps(reading).encode(), 6)


def reading_from_body(body: bytes, point_id: str, kind: ReadingKind, data_time: datetime) -> Reading:
    """`reading_body`'s reading back, either layout (zlib JSON was also written before the compact body)."""
    if is_compact(body):
        return decode_reading(body, point_id, kind, data_time)
    return codec.loads(Reading, zlib.decompress(body).decode())


def _shape(text: str) -> list[tuple[str, int, tuple[str, ...]]]:
    shape = _SHAPES.get(text)
    if shape is None:
        entries = json.loads(text)
        if not isinstance(entries, list):
            raise ValueError("raw shape is not a list")
        shape = [(str(code), len(fields), tuple(map(str, fields))) for code, fields in entries]
        if len(_SHAPES) >= _SHAPES_LIMIT:
            _SHAPES.clear()
        _SHAPES[text] = shape
    return shape


def decode_reading(body: bytes, point_id: str, kind: ReadingKind, data_time: datetime) -> Reading:
    """A reading from its item's body and key. ValueError or InvalidInputError (the Reading's own checks: a
    non-finite value, an unknown quantity) on a body that is not one."""
    try:
        text = _inflate(body, READING_V1)
    except (ValueError, zlib.error, UnicodeDecodeError) as exc:
        raise ValueError(f"malformed reading body: {exc}") from exc
    return reading_from_text(text, point_id, kind, data_time)


def reading_from_text(text: str, point_id: str, kind: ReadingKind, data_time: datetime) -> Reading:
    """The reading `reading_text` wrote; ValueError or InvalidInputError as `decode_reading` raises them."""
    try:
        mn, received, value_text, flag_text, shape_text, joined = text.split(_LINE)
        numbers = value_text.split(",")
        if len(numbers) != len(QUANTITY_ORDER):
            raise ValueError("wrong number of value slots")
        values = {q: float(x) for q, x in zip(QUANTITY_ORDER, numbers, strict=True) if x}
        flags: Mapping[str, str] = dict.fromkeys(values, "N") if not flag_text else json.loads(flag_text)
        shape = _shape(shape_text)
        split = joined.split(_TEXT) if joined or any(count for _, count, _ in shape) else []
        texts = iter(split)
        raw = {code: dict(zip(fields, islice(texts, count), strict=True)) for code, count, fields in shape}
        if next(texts, None) is not None:
            raise ValueError("more raw texts than the shape holds")
        at = None if not received else data_time + timedelta(microseconds=int(received))
    except (TypeError, ValueError, zlib.error, UnicodeDecodeError) as exc:
        raise ValueError(f"malformed reading body: {exc}") from exc
    return Reading(point_id, data_time, kind, values, flags, raw, mn, at)


def _number(x: float | None) -> str:
    return "" if x is None else repr(float(x))


def encode_aggregate(aggregate: Aggregate) -> bytes | None:
    """The body of an aggregate item, or None (the caller writes the legacy body) when its stats name a quantity
    outside QUANTITY_ORDER or hold a non-finite figure (only an overflowing sum of finite readings makes one)."""
    stats = aggregate.stats
    figures = [x for s in stats.values() for x in (s.minimum, s.maximum, s.mean)] + [aggregate.run_seconds or 0.0]
    if not stats.keys() <= _KNOWN or not all(map(math.isfinite, figures)):
        return None
    computed = aggregate.computed_at
    slots = []
    for q in QUANTITY_ORDER:
        s = stats.get(q)
        slots.append("" if s is None else f"{int(s.count)} {float(s.minimum)!r} {float(s.maximum)!r} {float(s.mean)!r}")
    text = _LINE.join(
        (
            str(int(aggregate.samples)),
            _number(aggregate.energy_kwh),
            _number(aggregate.run_seconds),
            "" if computed is None else _micros(computed - aggregate.start),
            ",".join(slots),
        )
    )
    return _deflate(text, AGGREGATE_V1)


def aggregate_samples(body: bytes) -> int:
    """An aggregate body's sample count, without building the aggregate (the hours-with-data query)."""
    try:
        return int(_inflate(body, AGGREGATE_V1).partition(_LINE)[0])
    except (ValueError, zlib.error, UnicodeDecodeError) as exc:
        raise ValueError(f"malformed aggregate body: {exc}") from exc


def decode_aggregate(body: bytes, point_id: str, period: AggregatePeriod, start: datetime) -> Aggregate:
    """An aggregate from its item's body and key; ValueError on a body that is not one."""
    try:
        samples, energy, run, computed, slot_text = _inflate(body, AGGREGATE_V1).split(_LINE)
        slots = slot_text.split(",")
        if len(slots) != len(QUANTITY_ORDER):
            raise ValueError("wrong number of stats slots")
        stats: dict[str, QuantityStats] = {}
        for q, slot in zip(QUANTITY_ORDER, slots, strict=True):
            if slot:
                count, low, high, mean = slot.split(" ")
                stats[q] = QuantityStats(int(count), float(low), float(high), float(mean))
        if not all(math.isfinite(x) for s in stats.values() for x in (s.minimum, s.maximum, s.mean)):
            raise ValueError("non-finite statistic")
        return Aggregate(
            point_id,
            period,
            start,
            int(samples),
            stats,
            float(energy) if energy else None,
            float(run) if run else None,
            None if not computed else start + timedelta(microseconds=int(computed)),
        )
    except (TypeError, ValueError, zlib.error, UnicodeDecodeError) as exc:
        raise ValueError(f"malformed aggregate body: {exc}") from exc
