"""Compiled mapping plans: the same MappedFrame as a field-by-field mapping, and never a stale plan."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitoring.profiles import mapping
from monitoring.profiles.loader import build_profiles, read_sources
from monitoring.profiles.mapping import MappedFrame, MappedValue, map_frame
from monitoring.profiles.models import META_FIELDS, VALUE_FIELDS, Profile
from monitoring.readings.values import convert, parse_local_time

pytestmark = pytest.mark.unit

DATA = Path(__file__).resolve().parents[4] / "data" / "profiles"
PROFILES = build_profiles(read_sources(DATA))


def reference_map_frame(
    profile: Profile, st: str | None, cn: str | None, scalars: Mapping[str, str], items: Mapping[str, Mapping[str, str]]
) -> MappedFrame:
    """map_frame as it was before plans: every field looked up and converted on its own (the oracle)."""
    rule = profile.message_for(st, cn)
    kind = rule.kind if rule else None
    values: list[MappedValue] = []
    unknown: dict[str, dict[str, str]] = {}
    gps_codes = {spec.split("-")[0]: axis for axis, spec in profile.gps.items() if "-" not in spec}
    gps_fields = {tuple(spec.split("-", 1)): axis for axis, spec in profile.gps.items() if "-" in spec}
    gps: dict[str, float] = {}
    event_fields = mapping._event_fields(profile)
    for code, fields in items.items():
        flag = fields.get("Flag")
        leftover: dict[str, str] = {}
        mapped_any = False
        for fld, raw in fields.items():
            if fld in event_fields and code not in gps_codes:
                continue
            if (code, fld) in gps_fields or (code in gps_codes and fld in VALUE_FIELDS):
                axis = gps_fields.get((code, fld)) or gps_codes[code]
                converted = convert(raw, "", 1.0)
                if converted.value is not None:
                    gps[axis] = converted.value
                continue
            hit = profile.factor_for(code, fld) if fld in VALUE_FIELDS else None
            if hit is None:
                leftover[fld] = raw
                continue
            factor, channel = hit
            mapped_any = True
            c = convert(raw, factor.quantity, factor.scale)
            values.append(MappedValue(channel, factor.quantity, VALUE_FIELDS[fld], c.value, raw, c.quality, flag, code))
        if leftover and (not set(leftover) <= META_FIELDS or not mapped_any):
            unknown[code] = leftover
    events = mapping._events(profile, scalars, items) if kind in ("event", "info") else ()
    extra = {
        k: v
        for k, v in scalars.items()
        if k not in mapping._KNOWN_SCALARS and not mapping._is_event_scalar(profile, k, kind)
    }
    if extra:
        unknown[""] = extra
    position = (gps["lat"], gps["lon"]) if "lat" in gps and "lon" in gps else None
    data_time_raw = scalars.get("DataTime")
    return MappedFrame(kind, parse_local_time(data_time_raw), data_time_raw, tuple(values), events, position, unknown)


# Codes the shipped profiles know (with and without channel suffixes), SOE/GPS items and strangers.
_codes = st.sampled_from(
    ["Ua", "Ua01", "Ia02", "P", "P01", "EPf01", "PF", "F", "SB1", "SB01", "g208", "w01018", "GPS", "SOE1", "XX9", ""]
)
_fields = st.sampled_from([*VALUE_FIELDS, "Flag", "EFlag", "SampleTime", "Lat", "Lng", "EventType", "Code", "ZsRtd"])
_raw = st.one_of(
    st.sampled_from(
        ["230.5", "-1", "0", "1e3", "1e999", "nan", "inf", " 12 ", "", "N", "1_0", "5e5", "1.", ".5", "-.5", "+1"]
    ),
    st.sampled_from(
        ["١٢.٣", "²", "1.2.3", "-", "+", ".", "-0", "--1", "1.-2", "1e0005", "0.0001", "12\n", "١", "1,2", "3,", ",4"]
    ),
    st.from_regex(r"[+-]?[0-9]{0,4}(\.[0-9]{0,3})?([eE][+-]?[0-9]{0,4})?", fullmatch=True),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.decimals(allow_nan=False, allow_infinity=False, places=3).map(str),
    st.text(max_size=6),
)
_items = st.dictionaries(_codes, st.dictionaries(_fields, _raw, max_size=5), max_size=8)
_scalars = st.dictionaries(
    st.sampled_from(["DataTime", "EventType", "EventTime", "Vendor", "QnRtn", "PolId"]),
    st.sampled_from(["20261128183300", "2", "20261128183301123", "x", ""]),
    max_size=4,
)
_messages = st.sampled_from([("31", "2011"), ("32", "2051"), ("32", "3020"), ("32", "2999"), (None, None)])


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(sorted(PROFILES)), _messages, _scalars, _items)
def test_map_frame_equals_the_field_by_field_mapping(
    profile_id: str, message: tuple[str | None, str | None], scalars: dict[str, str], items: dict[str, dict[str, str]]
) -> None:
    profile = PROFILES[profile_id]
    st_, cn = message
    expected = reference_map_frame(profile, st_, cn, scalars, items)
    assert map_frame(profile, st_, cn, scalars, items) == expected
    assert map_frame(profile, st_, cn, scalars, items) == expected  # from the cached plan too


def _profile(scale_unit: str, *, code: str = "P") -> Profile:
    doc = {
        "id": "t",
        "name": "T",
        "assumptions": ["test"],
        "messages": [{"st": "*", "cn": "2011", "kind": "realtime"}],
        "factors": [{"code": code, "quantity": "p", "unit": scale_unit}],
    }
    return build_profiles({"t.json": json.dumps(doc)})["t"]


def test_a_changed_profile_never_uses_the_old_profiles_plan() -> None:
    items = {"P": {"Rtd": "1500", "Flag": "N"}}
    kilowatts, watts = _profile("kW"), _profile("W")
    assert [v.value for v in map_frame(kilowatts, "32", "2011", {}, items).values] == [1500.0]
    assert [v.value for v in map_frame(watts, "32", "2011", {}, items).values] == [1.5]
    assert [v.value for v in map_frame(kilowatts, "32", "2011", {}, items).values] == [1500.0]
    # a profile derived with dataclasses.replace starts with empty caches, not its parent's
    renamed = dataclasses.replace(kilowatts, factors=_profile("kW", code="Q").factors)
    assert renamed.plans is not kilowatts.plans and renamed._memo is not kilowatts._memo
    mapped = map_frame(renamed, "32", "2011", {}, items)
    assert mapped.values == () and mapped.unknown == {"P": {"Rtd": "1500", "Flag": "N"}}


def test_a_new_field_layout_gets_its_own_plan() -> None:
    profile = _profile("kW")
    first = map_frame(profile, "32", "2011", {"DataTime": "20261128183300"}, {"P": {"Rtd": "1"}})
    assert [(v.stat, v.value) for v in first.values] == [("value", 1.0)]
    # an added field, another field order, an added item, an added scalar: each mapped in full
    more = map_frame(profile, "32", "2011", {"DataTime": "20261128183300"}, {"P": {"Rtd": "1", "Max": "3"}})
    assert [(v.stat, v.value) for v in more.values] == [("value", 1.0), ("max", 3.0)]
    swapped = map_frame(profile, "32", "2011", {"DataTime": "20261128183300"}, {"P": {"Max": "3", "Rtd": "1"}})
    assert [v.stat for v in swapped.values] == ["max", "value"]
    extra = map_frame(profile, "32", "2011", {"DataTime": "20261128183300"}, {"P": {"Rtd": "1"}, "Z": {"Rtd": "9"}})
    assert extra.unknown == {"Z": {"Rtd": "9"}}
    vendor = map_frame(profile, "32", "2011", {"DataTime": "20261128183300", "V": "x"}, {"P": {"Rtd": "1"}})
    assert vendor.unknown == {"": {"V": "x"}}
    # and another message on the same layout is not taken for real-time data
    assert map_frame(profile, "32", "2051", {"DataTime": "20261128183300"}, {"P": {"Rtd": "1"}}).kind is None
    assert len(profile.plans.keys()) == 6


def test_plans_are_bounded_and_least_recently_used_go_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mapping, "PLAN_LIMIT", 4)
    profile = _profile("kW")
    layouts = [{f"X{i}": {"Rtd": "1"}} for i in range(6)]
    for items in layouts[:4]:
        map_frame(profile, "32", "2011", {}, items)
    map_frame(profile, "32", "2011", {}, layouts[0])  # used again: now the most recent
    for items in layouts[4:]:
        map_frame(profile, "32", "2011", {}, items)
    kept = [key[3] for key in profile.plans.keys()]  # type: ignore[index]  # the item codes of each plan's layout
    assert len(kept) == 4
    assert ("X0",) in kept and ("X1",) not in kept
