"""The reading bucket layout: per-point bucket starts that are stable and spread, and a body that round-trips every
reading (compact or not), small, and refuses what is not one."""

from __future__ import annotations

import json
import zlib
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitoring.readings.models import QUANTITIES, Reading, ReadingKind
from monitoring.storage import codec
from monitoring.storage.dynamodb import compact
from monitoring.storage.dynamodb._client import time_key
from monitoring.storage.dynamodb.compact_dictionary import DICTIONARY_V1
from monitoring.storage.dynamodb.reading_buckets import (
    BUCKET_V1,
    MAX_BUCKET_MINUTES,
    bucket_data_times,
    bucket_offset,
    bucket_start,
    decode_bucket,
    decode_bucket_keyed,
    encode_bucket,
)

DEMO = json.loads((Path(__file__).parent / "demo_records.json").read_text(encoding="utf-8"))
T0 = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)


def _demo(minute: int, point: str | None = None) -> Reading:
    base = codec.loads(Reading, json.dumps(DEMO["reading"]))
    at = T0 + timedelta(minutes=minute)
    values = {**base.values, "ep_fwd": base.values["ep_fwd"] + minute * 1.75, "p": 40.0 + minute % 7}
    return Reading(point or base.point_id, at, base.kind, values, base.flags, base.raw, base.mn,
                   at + timedelta(seconds=93))  # fmt: skip


def test_a_bucket_round_trips_its_readings_ascending_with_their_keys() -> None:
    readings = [_demo(m) for m in (4, 0, 2, 3, 1)]
    body = encode_bucket(readings)
    assert body[0] == BUCKET_V1 and not compact.is_compact(body)
    decoded = decode_bucket(body, readings[0].point_id, ReadingKind.MINUTE)
    ordered = sorted(readings, key=lambda r: r.data_time)
    assert decoded == [(time_key(r.data_time), r) for r in ordered]
    assert bucket_data_times(body) == {r.data_time for r in readings}


def test_a_reading_the_compact_layout_cannot_carry_round_trips_next_to_compact_ones() -> None:
    odd = _demo(1)
    odd = Reading(odd.point_id, odd.data_time, odd.kind, odd.values, odd.flags,
                  {"Ua01": {"Max": "a\nb\x1fc"}}, "MN\nline", None)  # fmt: skip
    assert compact.reading_text(odd) is None  # the compact layout refuses it
    realtime = Reading("pt-rt", T0 + timedelta(seconds=7, microseconds=5), ReadingKind.REALTIME, {"ua": 1.5})
    assert decode_bucket(encode_bucket([realtime]), "pt-rt", ReadingKind.REALTIME)[0][1] == realtime
    readings = [_demo(0), odd, _demo(2)]
    decoded = [r for _, r in decode_bucket(encode_bucket(readings), odd.point_id, ReadingKind.MINUTE)]
    assert decoded == readings


def test_the_first_reading_of_a_data_time_wins_and_mixed_points_are_refused() -> None:
    first, second = _demo(0), _demo(0)
    second = Reading(second.point_id, second.data_time, second.kind, {"ua": 1.0})
    assert [r for _, r in decode_bucket(encode_bucket([first, second]), first.point_id, first.kind)] == [first]
    with pytest.raises(ValueError, match="one point"):
        encode_bucket([_demo(0), _demo(1, point="other")])
    with pytest.raises(ValueError, match="at least one"):
        encode_bucket([])


def test_known_keys_are_not_decoded_again() -> None:
    readings = [_demo(m) for m in range(3)]
    known = {time_key(readings[1].data_time)}
    keyed = decode_bucket_keyed(encode_bucket(readings), readings[0].point_id, ReadingKind.MINUTE, known)
    assert keyed == [(time_key(readings[0].data_time), readings[0]), (time_key(readings[1].data_time), None),
                     (time_key(readings[2].data_time), readings[2])]  # fmt: skip


@pytest.mark.parametrize(
    "body",
    [
        b"",
        bytes((compact.READING_V1,)) + b"x",
        bytes((BUCKET_V1,)) + b"not deflate",
        encode_bucket([_demo(0)])[:-3],  # truncated
        encode_bucket([_demo(0)]) + b"\x00",  # trailing bytes
    ],
)
def test_a_body_that_is_not_a_bucket_is_refused(body: bytes) -> None:
    with pytest.raises(ValueError):
        decode_bucket(body, "p", ReadingKind.MINUTE)


def test_a_record_whose_length_lies_is_refused() -> None:
    squeezer = zlib.compressobj(9, zlib.DEFLATED, -15)
    text = b"1764000000000000\n0 c 999\nshort"
    body = bytes((BUCKET_V1,)) + squeezer.compress(text) + squeezer.flush()
    with pytest.raises(ValueError):
        decode_bucket(body, "p", ReadingKind.MINUTE)  # (compressed without the dictionary: refused either way)


def test_a_bucket_is_far_smaller_than_one_compact_item_per_reading() -> None:
    readings = [_demo(m) for m in range(15)]
    per_item = sum(len(compact.encode_reading(r) or b"") for r in readings) / len(readings)
    per_bucket = len(encode_bucket(readings)) / len(readings)
    assert per_bucket < per_item / 3, (per_bucket, per_item)


def test_bucket_offsets_are_stable_and_spread_over_the_buckets_minutes() -> None:
    assert bucket_offset("pt-0001", 5) == bucket_offset("pt-0001", 5)  # crc32, not hash(): the same everywhere
    assert bucket_offset("pt-0001", 60) == timedelta(minutes=zlib.crc32(b"rb#pt-0001") % 60)
    for minutes in (5, 10, 15, 30, 60):
        counts = Counter(bucket_offset(f"pt-{i:05d}", minutes) // timedelta(minutes=1) for i in range(3000))
        assert sorted(counts) == list(range(minutes))  # every minute of the bucket closes some points' buckets
        expected = 3000 / minutes
        assert max(counts.values()) < expected * 1.5 and min(counts.values()) > expected * 0.5, counts


@pytest.mark.parametrize("minutes", [5, 10, 15, 30, 60])
def test_every_reading_has_one_bucket_of_whole_aligned_minutes(minutes: int) -> None:
    point = "pt-0042"
    offset = bucket_offset(point, minutes)
    size = timedelta(minutes=minutes)
    starts = set()
    for m in range(0, 3 * 60):
        at = T0 + timedelta(minutes=m, seconds=m % 60)
        start = bucket_start(point, at, minutes)
        assert start <= at < start + size and start.tzinfo is not None
        assert (start - offset - datetime(1970, 1, 1, tzinfo=UTC)) % size == timedelta(0)
        starts.add(start)
    assert len(starts) in (3 * 60 // minutes, 3 * 60 // minutes + 1)
    # a non-UTC aware time is the same instant
    china = (T0 + timedelta(minutes=7)).astimezone(ZoneInfo("Asia/Shanghai"))
    assert bucket_start(point, china, minutes) == bucket_start(point, T0 + timedelta(minutes=7), minutes)


@pytest.mark.parametrize("minutes", [0, -5, MAX_BUCKET_MINUTES + 1, True, 5.0])
def test_bucket_sizes_outside_the_range_are_refused(minutes: object) -> None:
    with pytest.raises(ValueError, match="bucket minutes"):
        bucket_start("p", T0, minutes)  # type: ignore[arg-type]


def test_readings_that_differ_in_every_field_round_trip() -> None:
    # Given compact readings with different MNs, receipt times, flags and raw shapes (no field shared, no transposing)
    a, b, c = _demo(0), _demo(1), _demo(2)
    b = Reading(b.point_id, b.data_time, b.kind, {"ua": 1.0}, {"ua": "D"}, {"X01": {"Rtd": "1"}}, "MN2", None)
    c = Reading(c.point_id, c.data_time, c.kind, {}, {}, {}, "", c.data_time + timedelta(seconds=1))
    readings = [a, b, c]
    assert [r for _, r in decode_bucket(encode_bucket(readings), a.point_id, ReadingKind.MINUTE)] == readings


def test_a_transposed_row_with_a_missing_cell_is_refused() -> None:
    body = encode_bucket([_demo(0), _demo(1)])
    inflater = zlib.decompressobj(-15, zdict=DICTIONARY_V1)
    lines = (inflater.decompress(body[1:]) + inflater.flush()).decode().split("\n")
    row = next(i for i, line in enumerate(lines) if line.startswith("T")) + 1
    lines[row] = lines[row].rsplit("\x1f", 1)[0]  # one minute's cell of the first quantity gone
    squeezer = zlib.compressobj(9, zlib.DEFLATED, -15, zdict=DICTIONARY_V1)
    forged = bytes((BUCKET_V1,)) + squeezer.compress("\n".join(lines).encode()) + squeezer.flush()
    with pytest.raises(ValueError, match="one cell per reading"):
        decode_bucket(forged, _demo(0).point_id, ReadingKind.MINUTE)


_text = st.text(max_size=8)
_bucket_readings = st.lists(
    st.builds(
        Reading,
        point_id=st.just("p"),
        data_time=st.integers(0, 60 * 60 * 10**6 - 1).map(lambda us: T0 + timedelta(microseconds=us)),
        kind=st.just(ReadingKind.MINUTE),
        values=st.dictionaries(
            st.sampled_from(sorted(QUANTITIES)), st.floats(allow_nan=False, allow_infinity=False), max_size=6
        ),  # fmt: skip
        flags=st.dictionaries(st.sampled_from(sorted(QUANTITIES)), st.text(min_size=1, max_size=3), max_size=3),
        raw=st.dictionaries(_text, st.dictionaries(_text, _text, max_size=3), max_size=3),
        mn=st.sampled_from(["MN1", "MN2"]) | _text,
        received_at=st.none() | st.just(T0),
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=300, deadline=None)
@given(_bucket_readings)
def test_any_readings_round_trip_through_a_bucket(readings: list[Reading]) -> None:
    expected: dict[datetime, Reading] = {}
    for r in readings:
        expected.setdefault(r.data_time, r)
    decoded = decode_bucket(encode_bucket(readings), "p", ReadingKind.MINUTE)
    assert decoded == [(time_key(t), expected[t]) for t in sorted(expected)]
