"""Binding groups a frame's values per channel key, keeping frame order, however the channels are spelled."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitoring.ingest import binding
from monitoring.ingest.binding import _by_channel
from monitoring.profiles.mapping import MappedValue
from monitoring.profiles.models import channel_key
from monitoring.readings.models import Reading, ReadingKind
from monitoring.readings.values import OUT_OF_RANGE
from monitoring.registry.models import FacilityKind, MonitoringPoint

pytestmark = pytest.mark.unit
T = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


def _value(channel: str, quantity: str) -> MappedValue:
    return MappedValue(channel, quantity, "value", 1.0, "1", frozenset(), "N", quantity + channel)


@pytest.mark.parametrize(
    "channels",
    [["01", "02", "01", "02"], ["1", "01", "02", "1", "001"], ["", "0", "00", "A"], []],
    ids=["distinct", "same-channel-spelled-twice", "zero-and-blank", "none"],
)
def test_values_are_grouped_per_channel_key_in_frame_order(channels: list[str]) -> None:
    values = [_value(ch, f"q{i}") for i, ch in enumerate(channels)]
    expected: dict[str, list[MappedValue]] = {}
    for v in values:
        expected.setdefault(channel_key(v.channel), []).append(v)
    got = _by_channel(values)
    assert got == expected and list(got) == list(expected)


def reference_reading(
    point: MonitoringPoint, kind: ReadingKind, values: list[MappedValue], unknown: dict[str, dict[str, str]]
) -> Reading:
    """_reading as it was before its one-pass path: rank statistics per quantity, the rest to raw (the oracle)."""
    default_order = binding._REALTIME_ORDER if kind is ReadingKind.REALTIME else binding._PERIOD_ORDER
    chosen: dict[str, MappedValue] = {}
    for v in values:
        order = binding._ORDER_FOR[v.quantity] or default_order
        if v.stat not in order or v.value is None or OUT_OF_RANGE in v.quality:
            continue
        current = chosen.get(v.quantity)
        if current is None or order.index(v.stat) < order.index(current.stat):
            chosen[v.quantity] = v
    raw: dict[str, dict[str, str]] = {code: dict(fields) for code, fields in unknown.items()}
    for v in values:
        if chosen.get(v.quantity) is v:
            continue
        fields = raw.setdefault(v.code, {})
        fields[binding._field_name(v.stat)] = v.raw
        if v.quality:
            fields["quality"] = ",".join(sorted(v.quality))
    numbers = {q: v.value * binding.secondary_ratio(q, point) for q, v in chosen.items() if v.value is not None}
    flags = {q: v.flag for q, v in chosen.items() if v.flag and len(v.flag) <= 4}
    return Reading(point.point_id, T, kind, numbers, flags, raw, "MN1", T)


_mapped_values = st.builds(
    MappedValue,
    channel=st.just("01"),
    quantity=st.sampled_from(["ua", "ia", "p", "pf", "ep_fwd", "run_state"]),
    stat=st.sampled_from(["value", "avg", "min", "max", "cou"]),
    value=st.none() | st.floats(-1e3, 1e3),
    raw=st.sampled_from(["1.5", "x", ""]),
    quality=st.sampled_from([frozenset(), frozenset({OUT_OF_RANGE}), frozenset({"empty", "unparseable"})]),
    flag=st.sampled_from([None, "N", "", "TOOLONG"]),
    code=st.sampled_from(["Ua01", "Ia01", "P01", "X01"]),
)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(_mapped_values, max_size=8),
    st.sampled_from(list(ReadingKind)),
    st.dictionaries(st.sampled_from(["Z", "Ua01"]), st.dictionaries(st.just("Rtd"), st.just("9")), max_size=2),
    st.booleans(),
)
def test_reading_equals_the_ranking_of_every_statistic(
    values: list[MappedValue], kind: ReadingKind, unknown: dict[str, dict[str, str]], secondary: bool
) -> None:
    point = MonitoringPoint("p1", "e", "f", "C", "回路", FacilityKind.CONTROL, mn="MN1", channel="01", ct_ratio=40.0)
    plain = dataclasses.replace(point, ct_ratio=1.0) if not secondary else point
    got = binding._reading(plain, kind, T, values, unknown, "MN1", T, secondary)
    assert got == reference_reading(plain, kind, values, unknown)
