"""Compact reading and aggregate bodies: exact round trips, the legacy escape hatch, refusals, size, frozen format."""

from __future__ import annotations

import hashlib
import json
import math
import sys
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitoring.errors import InvalidInputError
from monitoring.readings.models import (
    QUANTITIES,
    QUANTITY_INFO,
    Aggregate,
    AggregatePeriod,
    QuantityStats,
    Reading,
    ReadingKind,
)
from monitoring.storage import codec
from monitoring.storage.dynamodb import compact
from monitoring.storage.dynamodb.compact_dictionary import DICTIONARY_V1

pytestmark = pytest.mark.unit

T = datetime(2026, 11, 28, 2, 0, 0, 123456, tzinfo=UTC)
DEMO = json.loads((Path(__file__).parent / "demo_records.json").read_text(encoding="utf-8"))


def _round_trip(reading: Reading) -> Reading:
    body = compact.encode_reading(reading)
    assert body is not None and compact.is_compact(body)
    back = compact.decode_reading(body, reading.point_id, reading.kind, reading.data_time)
    assert back == reading
    assert codec.dumps(back) == codec.dumps(reading)  # the same record to the byte, not just equal floats
    return back


def _body(text: str, kind: int = compact.READING_V1) -> bytes:
    squeezer = zlib.compressobj(9, zlib.DEFLATED, -15, zdict=DICTIONARY_V1)
    return bytes((kind,)) + squeezer.compress(text.encode()) + squeezer.flush()


def test_quantity_order_is_every_quantity_once() -> None:
    # Fails when a quantity is added to the model: give it a place in a new format (format 1 is frozen)
    assert sorted(compact.QUANTITY_ORDER) == sorted(QUANTITY_INFO)
    assert len(set(compact.QUANTITY_ORDER)) == len(compact.QUANTITY_ORDER)


def test_a_quantity_format_1_does_not_know_is_left_to_the_legacy_body(monkeypatch: pytest.MonkeyPatch) -> None:
    # As if "demand" had been added to the model after format 1 was frozen: it must not be dropped
    monkeypatch.setattr(compact, "_KNOWN", frozenset(compact.QUANTITY_ORDER) - {"demand"})
    assert compact.encode_reading(Reading("p", T, ReadingKind.MINUTE, {"p": 1.0, "demand": 2.0}, mn="MN")) is None
    assert compact.encode_reading(Reading("p", T, ReadingKind.MINUTE, {"p": 1.0}, mn="MN")) is not None


def test_every_quantity_flag_and_raw_entry_round_trips() -> None:
    values = {name: 1000.0 + i + i / 7 for i, name in enumerate(sorted(QUANTITIES))}
    letters = "NFMSDCTB"
    flags = {name: letters[i % len(letters)] for i, name in enumerate(sorted(QUANTITIES))}
    raw = {
        "Ia01": {"Max": "194.90", "Min": "0194.9", "Flag": "N"},
        "g208": {"Rtd": "-0.0", "Avg": "1e5", "Info": "文本 with spaces"},
        "EMPTY": {},
        "X": {"": ""},
    }
    reading = Reading("RG002-MF0001", T, ReadingKind.MINUTE, values, flags, raw, "010000A8000000020000000", T)
    _round_trip(reading)


@pytest.mark.parametrize(
    "value",
    [
        157215.79,  # an energy counter: needs more than float32 (float32 would read 157215.796875)
        123456789012.125,
        0.1 + 0.2,  # 0.30000000000000004: 17 significant digits
        -0.0,
        5e-324,
        sys.float_info.max,
        -sys.float_info.max,
        1e-7,
        1e22,
        2.0**53 + 2,
    ],
)
def test_values_keep_every_bit(value: float) -> None:
    back = _round_trip(Reading("p", T, ReadingKind.MINUTE, {"ep_fwd": value, "pf": -value}, mn="MN"))
    assert math.copysign(1.0, back.values["ep_fwd"]) == math.copysign(1.0, value)  # −0.0 stays −0.0


@pytest.mark.parametrize(
    ("flags", "why"),
    [
        ({}, "no flags"),
        ({"p": "N"}, "fewer flags than values"),
        ({"p": "N", "ia": "N", "ua": "N"}, "a flag for a quantity without a value"),
        ({"p": "F", "ia": "N"}, "same keys, not all N"),
        ({"p": "MN", "ia": "T"}, "multi-letter flag"),
    ],
)
def test_flags_other_than_the_default_round_trip(flags: dict[str, str], why: str) -> None:
    _round_trip(Reading("p", T, ReadingKind.REALTIME, {"p": 1.5, "ia": 2.0}, flags, mn="MN"))


@pytest.mark.parametrize("received_at", [None, T, T + timedelta(seconds=93, microseconds=7), T - timedelta(days=40)])
def test_received_at_round_trips(received_at: datetime | None) -> None:
    _round_trip(Reading("p", T, ReadingKind.HOUR, {"p": 1.5}, mn="", received_at=received_at))


@pytest.mark.parametrize(
    "reading",
    [
        Reading("p", T, ReadingKind.MINUTE, {"p": 1.0}, mn="MN\nX"),
        Reading("p", T, ReadingKind.MINUTE, {"p": 1.0}, raw={"A": {"Rtd": "1\x1f2"}}, mn="MN"),
        Reading("p", T, ReadingKind.MINUTE, {"p": 1.0}, raw={"A": {"Rtd": "line\nbreak"}}, mn="MN"),
    ],
)
def test_text_the_layout_cannot_carry_is_left_to_the_legacy_body(reading: Reading) -> None:
    assert compact.encode_reading(reading) is None


def test_a_body_with_a_non_finite_value_is_refused() -> None:
    # Reading refuses nan/inf on the way in, so no body holds one; a forged one is refused on the way out too
    slots = ["nan"] + [""] * (len(compact.QUANTITY_ORDER) - 1)
    with pytest.raises(InvalidInputError):
        compact.decode_reading(_body("\n".join(["MN", "", ",".join(slots), "", "[]", ""])), "p", ReadingKind.MINUTE, T)
    with pytest.raises(InvalidInputError):
        Reading("p", T, ReadingKind.MINUTE, {"p": math.inf})


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"\x7f",  # an unknown format byte
        zlib.compress(b'{"a":1}'),  # a legacy body
        _body("MN\n\n1.0\n\n[]\n"),  # too few value slots
        _body("MN\n\n" + "," * (len(compact.QUANTITY_ORDER) - 1) + '\n\n[["A",["Rtd"]]]\n1\x1f2'),  # texts > shape
        _body("MN\n\n" + "," * (len(compact.QUANTITY_ORDER) - 1) + "\n\n[]"),  # a line missing
    ],
)
def test_malformed_bodies_are_refused(body: bytes) -> None:
    with pytest.raises(ValueError):
        compact.decode_reading(body, "p", ReadingKind.MINUTE, T)


def test_truncated_body_is_refused() -> None:
    body = compact.encode_reading(Reading("p", T, ReadingKind.MINUTE, {"p": 1.0}, mn="MN"))
    assert body is not None
    with pytest.raises(ValueError):
        compact.decode_reading(body[:-3], "p", ReadingKind.MINUTE, T)


def test_legacy_bodies_are_told_apart() -> None:
    reading = Reading("p", T, ReadingKind.MINUTE, {"p": 1.0}, mn="MN")
    for level in range(10):  # every zlib body starts with 0x78 whatever its level
        assert not compact.is_compact(zlib.compress(codec.dumps(reading).encode(), level))
    assert compact.is_compact(compact.encode_reading(reading) or b"")


def test_format_1_stays_readable() -> None:
    # Bodies written today must read the same for as long as items live: the dictionary and a body are pinned
    assert hashlib.sha256(DICTIONARY_V1).hexdigest() == (
        "a0673192c12e22ae41face12dc7cb2a38727792b9516ef2b9ab6873c195b2624"
    )
    golden = bytes.fromhex(
        "01f3f53300a6512e4b630330e0d2410686467aa6c85c53732343533d734b14455ca07c8d3d8bc57219ea999bcafb0100"
    )
    at = datetime(2026, 11, 24, 0, 50, tzinfo=UTC)
    expected = Reading(
        "p1",
        at,
        ReadingKind.MINUTE,
        {"p": 12.5, "ep_fwd": 157215.79},
        {"p": "N", "ep_fwd": "N"},
        {"EPf01": {"Cou": "1.75", "Flag": "N"}},
        "MN0001",
        at + timedelta(seconds=93),
    )
    assert compact.decode_reading(golden, "p1", ReadingKind.MINUTE, at) == expected


def test_a_demo_reading_is_small() -> None:
    # The demo fleet's minute reading: 33 quantities, 38 raw factors (≈ 2.4 KB of JSON, 722 B as zlib JSON)
    reading = codec.loads(Reading, json.dumps(DEMO["reading"]))
    body = compact.encode_reading(reading)
    assert body is not None
    assert len(body) <= 280
    assert len(zlib.compress(codec.dumps(reading).encode(), 6)) >= 2.5 * len(body)
    _round_trip(reading)


def test_a_demo_aggregate_round_trips_and_is_small() -> None:
    aggregate = codec.loads(Aggregate, json.dumps(DEMO["aggregate"]))
    # An hour of 30 quantities: its means carry 17 significant digits, which is most of what is left
    body = compact.encode_aggregate(aggregate)
    assert body is not None and len(body) <= 360
    assert len(zlib.compress(codec.dumps(aggregate).encode(), 6)) >= 1.8 * len(body)
    back = compact.decode_aggregate(body, aggregate.point_id, aggregate.period, aggregate.start)
    assert back == aggregate and codec.dumps(back) == codec.dumps(aggregate)
    assert compact.aggregate_samples(body) == aggregate.samples


@pytest.mark.parametrize(
    "aggregate",
    [
        Aggregate("p", AggregatePeriod.DAY, T, 0),
        Aggregate("p", AggregatePeriod.HOUR, T, 3, {"ep_fwd": QuantityStats(3, -0.0, 1e300, 0.1 + 0.2)}, 0.0, 12.5, T),
    ],
)
def test_aggregates_round_trip(aggregate: Aggregate) -> None:
    body = compact.encode_aggregate(aggregate)
    assert body is not None
    back = compact.decode_aggregate(body, aggregate.point_id, aggregate.period, aggregate.start)
    assert back == aggregate and codec.dumps(back) == codec.dumps(aggregate)


@pytest.mark.parametrize(
    "stats",
    [
        {"not_a_quantity": QuantityStats(1, 1.0, 1.0, 1.0)},
        {"p": QuantityStats(2, 1e308, 1e308, math.inf)},  # an overflowing mean
        {"p": QuantityStats(2, 1.0, 2.0, math.nan)},
    ],
)
def test_aggregates_the_layout_cannot_carry_are_left_to_the_legacy_body(stats: dict[str, QuantityStats]) -> None:
    assert compact.encode_aggregate(Aggregate("p", AggregatePeriod.HOUR, T, 2, stats)) is None


_finite = st.floats(allow_nan=False, allow_infinity=False)
_text = st.text(max_size=12)
_readings = st.builds(
    Reading,
    point_id=st.just("p"),
    data_time=st.just(T),
    kind=st.sampled_from(ReadingKind),
    values=st.dictionaries(st.sampled_from(sorted(QUANTITIES)), _finite, max_size=len(QUANTITIES)),
    flags=st.dictionaries(st.sampled_from(sorted(QUANTITIES)), st.text(min_size=1, max_size=4), max_size=6),
    raw=st.dictionaries(_text, st.dictionaries(_text, _text, max_size=4), max_size=6),
    mn=_text,
    received_at=st.none() | st.datetimes(timezones=st.just(UTC)),
)


@settings(max_examples=300, deadline=None)
@given(_readings)
def test_any_reading_round_trips_or_is_left_to_the_legacy_body(reading: Reading) -> None:
    body = compact.encode_reading(reading)
    if body is None:  # only for the separators, which the legacy body carries
        texts = [reading.mn, *(t for item in reading.raw.values() for t in item.values())]
        assert any("\n" in t for t in texts) or any("\x1f" in t for item in reading.raw.values() for t in item.values())
        return
    back = compact.decode_reading(body, reading.point_id, reading.kind, reading.data_time)
    assert back == reading and codec.dumps(back) == codec.dumps(reading)


_stats = st.builds(QuantityStats, st.integers(0, 10**6), _finite, _finite, _finite)
_aggregates = st.builds(
    Aggregate,
    point_id=st.just("p"),
    period=st.sampled_from(AggregatePeriod),
    start=st.just(T),
    samples=st.integers(0, 10**6),
    stats=st.dictionaries(st.sampled_from(sorted(QUANTITIES)), _stats, max_size=8),
    energy_kwh=st.none() | st.floats(min_value=0, allow_infinity=False),
    run_seconds=st.none() | _finite,
    computed_at=st.none() | st.datetimes(timezones=st.just(UTC)),
)


@settings(max_examples=200, deadline=None)
@given(_aggregates)
def test_any_aggregate_of_finite_figures_round_trips(aggregate: Aggregate) -> None:
    body = compact.encode_aggregate(aggregate)
    assert body is not None
    back = compact.decode_aggregate(body, aggregate.point_id, aggregate.period, aggregate.start)
    assert back == aggregate and codec.dumps(back) == codec.dumps(aggregate)
    assert compact.aggregate_samples(body) == aggregate.samples
