"""The codec round-trips every record type exactly (what the adapters rely on)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitoring.archive.models import AuthStatus, RawFrame
from monitoring.errors import InvalidInputError
from monitoring.events.models import Event, EventKind
from monitoring.readings.models import (
    QUANTITIES,
    Aggregate,
    AggregatePeriod,
    Completeness,
    QuantityStats,
    Reading,
    ReadingKind,
)
from monitoring.readings.values import CHINA
from monitoring.registry.models import (
    AssociationParams,
    Contact,
    ContactRole,
    Enterprise,
    Exemption,
    ExemptionReason,
    MonitoringPoint,
    PointCodeParts,
)
from monitoring.registry.terminal import GpsFix, Terminal
from monitoring.storage import codec
from tests.contract.storage import builders as b

pytestmark = pytest.mark.unit
T = datetime(2026, 11, 28, 2, 0, 0, 123456, tzinfo=UTC)

RECORDS = [
    b.enterprise(
        contacts=(Contact("张三", ContactRole.LEGAL_REPRESENTATIVE, "13800000000", "openid-1"),),
        exemption=Exemption(ExemptionReason.UNSAFE, "王", T, "n"),
        list_seq=7,
    ),
    b.point(code_parts=PointCodeParts("P", "MF0001", "2"), mn="MN1", channel="01"),
    b.association(params=AssociationParams(control_on_kw=2.5, extra={"a": 1.0})),
    b.terminal(gps=GpsFix(32.1, 120.5, T), last_frame_at=T, clock_skew_s=-1.5, online=True),
    Reading("p1", T, ReadingKind.HOUR, {"ep_fwd": 1.25}, flags={"ep_fwd": "N"}, raw={"z": {"Rtd": "1"}}, received_at=T),
    Aggregate("p1", AggregatePeriod.DAY, T, 3, {"p": QuantityStats(3, 1.0, 2.0, 1.5)}, 4.5, 3600.0, T),
    Completeness("p1", date(2026, 11, 28), ReadingKind.MINUTE, 1440, 1439, T, T + timedelta(hours=1)),
    Event("MN1", EventKind.CLOCK_SKEW, T, detail={"skew_s": "400"}, received_at=T),
    RawFrame("MN1", b"\x00\x01##", T, "1.2.3.4:5", AuthStatus.AUTH_FAILED, "modbus", "2011", "1", "l", "s"),
    b.command("c1", T),
]


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: type(r).__name__)
def test_codec_round_trip_is_exact(record: object) -> None:
    text = codec.dumps(record)
    json.loads(text)  # plain JSON
    assert codec.loads(type(record), text) == record


def test_codec_ignores_unknown_keys_for_forward_compatibility() -> None:
    data = codec.to_data(b.terminal())
    data["added_in_a_later_version"] = 1
    assert codec.from_data(Terminal, data) == b.terminal()


def test_codec_rebuilding_invalid_data_raises_invalid_input() -> None:
    data = codec.to_data(b.point())
    data["ct_ratio"] = -1
    with pytest.raises(InvalidInputError):
        codec.from_data(MonitoringPoint, data)
    with pytest.raises(InvalidInputError):
        codec.from_data(Enterprise, {"enterprise_id": "x"})


# ---- the written-out Reading encoder gives the generic codec's text, byte for byte ----------------------------
_names = st.sampled_from(sorted(QUANTITIES))
_text = st.text(max_size=12)
_times = st.datetimes(
    min_value=datetime(1970, 1, 2), max_value=datetime(2200, 1, 1), timezones=st.sampled_from([UTC, CHINA])
)
_readings = st.builds(
    Reading,
    point_id=_text.filter(bool),
    data_time=_times,
    kind=st.sampled_from(list(ReadingKind)),
    values=st.dictionaries(_names, st.floats(allow_nan=False, allow_infinity=False) | st.integers(-(10**6), 10**6)),
    flags=st.dictionaries(_names, st.text(min_size=1, max_size=4)),
    raw=st.dictionaries(_text, st.dictionaries(_text, _text, max_size=3), max_size=4),
    mn=_text,
    received_at=st.none() | _times,
)


def _generic_dumps(record: object) -> str:
    return json.dumps(codec.to_data(record), ensure_ascii=False, separators=(",", ":"), sort_keys=True)


@settings(max_examples=300, deadline=None)
@given(_readings)
def test_codec_dumps_of_a_reading_equals_the_generic_encoding(reading: Reading) -> None:
    assert codec.dumps(reading) == _generic_dumps(reading)
    assert codec.loads(Reading, codec.dumps(reading)) == reading


def test_codec_dumps_of_an_unusual_reading_takes_the_generic_walk() -> None:
    class Name(str):
        pass

    odd = Reading(Name("p1"), T, ReadingKind.HOUR, {"p": 1.0}, flags={"p": Name("N")}, mn=Name("MN"))
    assert codec.dumps(odd) == _generic_dumps(odd)


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: type(r).__name__)
def test_codec_dumps_equals_the_generic_encoding_for_every_record(record: object) -> None:
    assert codec.dumps(record) == _generic_dumps(record)


# ---- the written-out Reading decoder gives the generic walk's record, or its error -----------------------------
def _generic_from_data(data: dict[str, object]) -> Reading:
    kwargs = {name: decode(data[name]) for name, decode in codec._plan(Reading) if name in data}
    try:
        return Reading(**kwargs)
    except (TypeError, ValueError, KeyError) as exc:
        raise InvalidInputError(f"cannot rebuild Reading: {exc}") from exc


def _outcome(rebuild: object, data: dict[str, object]) -> object:
    try:
        return rebuild(data)  # type: ignore[operator]
    except Exception as exc:  # noqa: BLE001 - the error's type and text are what is compared
        return (type(exc), str(exc))


_ODD_FIELDS = {  # what `dumps` never writes, but a stored item or an older writer might hold
    "values": st.dictionaries(_names, st.integers(-5, 5) | st.booleans() | st.just("1.5") | st.none()),
    "flags": st.dictionaries(_names, st.text(max_size=6)) | st.integers(),
    "raw": st.dictionaries(_text, st.dictionaries(_text, _text | st.integers(), max_size=2), max_size=3) | st.text(),
    "kind": st.sampled_from(["minute", "hour", "second", 5]),
    "data_time": st.sampled_from(["2026-11-24T01:02:00+00:00", "2026-11-24T09:02:00+08:00", "2026-11-24T01:02", "x"]),
    "received_at": st.none() | st.sampled_from(["2026-11-24T01:02:03+00:00", 7]),
    "mn": st.text(max_size=4) | st.integers(),
}


@settings(max_examples=300, deadline=None)
@given(_readings, st.data())
def test_codec_loads_of_a_reading_equals_the_generic_walk(reading: Reading, draw: st.DataObject) -> None:
    # Given what dumps writes, with some fields replaced by odd values or left out
    data = json.loads(codec.dumps(reading))
    for name in draw.draw(st.sets(st.sampled_from(sorted(_ODD_FIELDS)), max_size=2)):
        if draw.draw(st.booleans()):
            del data[name]
        else:
            data[name] = draw.draw(_ODD_FIELDS[name])
    # Then the written-out decoder rebuilds the same record, or fails with the same error, as the generic walk
    assert _outcome(lambda d: codec.from_data(Reading, d), data) == _outcome(_generic_from_data, data)


def test_codec_loads_of_a_frame_reading_with_many_raw_codes_is_exact() -> None:
    raw = {f"SB{i}-{c}": {"Rtd": str(i), "Flag": "N"} for i in range(20) for c in ("RS", "RT")}
    reading = Reading("p1", T, ReadingKind.MINUTE, {"p": 1.0, "ua": 220.5}, flags={"p": "N"}, raw=raw, mn="MN1")
    rebuilt = codec.loads(Reading, codec.dumps(reading))
    assert rebuilt == reading and rebuilt.raw["SB3-RT"] == {"Rtd": "3", "Flag": "N"}
    with pytest.raises(TypeError):
        rebuilt.raw["SB3-RT"]["Rtd"] = "9"  # type: ignore[index]  # still frozen all the way down


@pytest.mark.parametrize(
    "changes",
    [
        {"mn": 7},
        {"values": {"p": 2, "ua": True}},
        {"values": {"p": "1.5"}},
        {"values": {"p": None}},
        {"kind": "second"},
        {"flags": {"p": "TOOLONG"}},
        {"raw": {"a": {"Rtd": 1}}},
        {"data_time": "2026-11-24T01:02"},
        {"received_at": None},
        {"flags": None},
    ],
    ids=str,
)
def test_codec_loads_of_an_odd_reading_equals_the_generic_walk(changes: dict[str, object]) -> None:
    data = {**json.loads(codec.dumps(RECORDS[4])), **changes}
    assert _outcome(lambda d: codec.from_data(Reading, d), data) == _outcome(_generic_from_data, data)
