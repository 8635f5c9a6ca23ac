"""map_frame: CP items → quantities per channel; unknown codes kept raw; events and GPS."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hj212 import CPGroup, decode_frame, encode_frame
from monitoring.profiles.loader import build_profiles, read_sources
from monitoring.profiles.mapping import map_frame
from monitoring.profiles.models import Profile

pytestmark = pytest.mark.unit

DATA = Path(__file__).resolve().parents[4] / "data" / "profiles"


@pytest.fixture(scope="module")
def default() -> Profile:
    # The shipped profiles, read once as text (the unit under test is pure).
    return build_profiles(read_sources(DATA))["default"]


def test_map_frame_with_channel_suffixes_maps_per_channel(default: Profile) -> None:
    # Given a real-time frame with two circuits
    items = {"Ua01": {"Rtd": "231.2", "Flag": "N"}, "P02": {"Rtd": "12.5", "Flag": "N"}, "Ia": {"Rtd": "3"}}
    # When mapped
    mapped = map_frame(default, "32", "2011", {"DataTime": "20261128183300"}, items)
    # Then each value lands on its channel and quantity, times are UTC
    got = {(v.channel, v.quantity): v.value for v in mapped.values}
    assert got == {("01", "ua"): 231.2, ("02", "p"): 12.5, ("", "ia"): 3.0}
    assert mapped.kind == "realtime"
    assert mapped.data_time == datetime(2026, 11, 28, 10, 33, tzinfo=UTC)
    assert mapped.unknown == {}


def test_map_frame_with_unknown_codes_keeps_them_raw(default: Profile) -> None:
    items = {"Ua": {"Rtd": "230"}, "THD_Ua": {"Rtd": "3.1", "Flag": "N"}, "Ia": {"Rtd": "2", "ZsRtd": "9"}}
    mapped = map_frame(default, "32", "2011", {"DataTime": "20261128183300", "Vendor": "x"}, items)
    assert mapped.unknown == {"THD_Ua": {"Rtd": "3.1", "Flag": "N"}, "Ia": {"ZsRtd": "9"}, "": {"Vendor": "x"}}


def test_map_frame_with_bad_values_flags_them_and_never_raises(default: Profile) -> None:
    items = {"Ua": {"Rtd": "abc"}, "Ub": {"Rtd": ""}, "Uc": {"Rtd": "NaN"}, "Ia": {"Rtd": "1e12"}}
    mapped = map_frame(default, "32", "2011", {"DataTime": "2026112818330"}, items)
    quality = {v.quantity: (v.value, set(v.quality)) for v in mapped.values}
    assert quality["ua"] == (None, {"unparseable"})
    assert quality["ub"] == (None, {"empty"})
    assert quality["uc"] == (None, {"non_finite"})
    assert quality["ia"] == (1e12, {"out_of_range"})
    assert mapped.data_time is None  # 13 digits is not a time


def test_map_frame_with_hj212_native_codes_uses_device_channels(default: Profile) -> None:
    items = {
        "g20801": {"Rtd": "35.2"},
        "g10101": {"Rtd": "1"},
        "g10201": {"Rtd": "20.1"},
        "SB1": {"RS": "1", "RT": "12.5"},
        "i33201": {"Info": "123456"},
    }
    native = build_profiles(read_sources(DATA))["hj212-2017"]
    mapped = map_frame(native, "51", "2011", {"DataTime": "20261128183300"}, items)
    got = {(v.channel, v.quantity): v.value for v in mapped.values}
    # The default profile inherits these codes but puts SBcc on the circuit's own channel "cc".
    assert {(v.channel, v.quantity) for v in map_frame(default, "51", "2011", {}, {"SB01": {"RS": "1"}}).values} == {
        ("01", "run_state")
    }
    assert got == {
        ("g20801", "ia"): 35.2,
        ("g10201", "run_state"): 1.0,
        ("g10201", "ia"): 20.1,
        ("SB1", "run_state"): 1.0,
        ("SB1", "run_hours"): 12.5,
        ("station", "ep_fwd"): 123456.0,
    }


def test_map_frame_with_st44_minute_data_reads_avg_and_cou(default: Profile) -> None:
    items = {"P": {"Avg": "10", "Min": "8", "Max": "12", "Flag": "N"}, "EPf": {"Max": "1000.5", "Cou": "0.2"}}
    mapped = map_frame(default, "44", "2051", {"DataTime": "20261128183000"}, items)
    assert mapped.kind == "minute"
    got = {(v.quantity, v.stat): v.value for v in mapped.values}
    assert got == {("p", "avg"): 10, ("p", "min"): 8, ("p", "max"): 12, ("ep_fwd", "max"): 1000.5}
    assert mapped.unknown == {"EPf": {"Cou": "0.2"}}  # the increment stays visible; energy comes from registers


def test_map_frame_with_simulator_codes_maps_every_documented_code(default: Profile) -> None:
    codes = "Ua Ub Uc Uab Ubc Uca Ia Ib Ic Pa Pb Pc P Qa Qb Qc Q S PFa PFb PFc PF F UAa UAb UAc IAa IAb IAc".split()
    items = {f"{c}01": {"Rtd": "0.5"} for c in codes} | {
        f"{c}01": {"Rtd": "1"} for c in ("EPf", "EPr", "EQf", "EQr", "DP")
    }
    mapped = map_frame(default, "31", "2011", {"DataTime": "20261128183300"}, items)
    assert mapped.unknown == {}
    assert len({v.quantity for v in mapped.values}) == len(items)


def test_map_frame_with_unit_in_watts_scales_to_kilowatts() -> None:
    doc = {
        "id": "w",
        "name": "W",
        "assumptions": ["watts"],
        "messages": [{"st": "*", "cn": "2011", "kind": "realtime"}],
        "factors": [{"code": "P", "quantity": "p", "unit": "W"}, {"code": "E", "quantity": "ep_fwd", "unit": "Wh"}],
    }
    profile = build_profiles({"w.json": json.dumps(doc)})["w"]
    mapped = map_frame(
        profile, "32", "2011", {"DataTime": "20261128183300"}, {"P": {"Rtd": "1500"}, "E": {"Rtd": "2000"}}
    )
    assert {v.quantity: v.value for v in mapped.values} == {"p": 1.5, "ep_fwd": 2.0}


def test_map_frame_with_soe_items_reads_millisecond_time_and_channel(default: Profile) -> None:
    # Given two SOE items as the simulator sends them on CN=3020
    items = {
        "SOE1": {"EventTime": "20261128183301123", "EventType": "power_loss", "Seq": "7", "Code": "Ua02"},
        "SOE2": {"EventTime": "20261128183302000", "EventType": "over_limit_clear", "Seq": "8", "Code": "Ia01"},
    }
    mapped = map_frame(default, "32", "3020", {"DataTime": "20261128183301"}, items)
    assert mapped.kind == "info"
    event, cleared = mapped.events
    assert (event.type, event.channel, event.detail["Seq"]) == ("power_loss", "02", "7")
    assert cleared.type == ""  # no Event kind for it yet: reported as unmapped, kept in the archive
    assert event.at == datetime(2026, 11, 28, 10, 33, 1, 123000, tzinfo=UTC)
    assert mapped.unknown == {}


def test_map_frame_with_unknown_event_code_keeps_it_typed_empty(default: Profile) -> None:
    scalars = {"EventTime": "20261128183301123", "EventType": "77"}
    (event,) = map_frame(default, "32", "3020", scalars, {}).events
    assert event.type == "" and event.code == "77"


def test_map_frame_with_gps_items_returns_position(default: Profile) -> None:
    items = {"GPS": {"Lat": "32.39", "Lng": "120.56"}}
    mapped = map_frame(default, "32", "2011", {"DataTime": "20261128183300"}, items)
    assert mapped.gps == (32.39, 120.56)
    assert mapped.values == () and mapped.unknown == {}


def test_map_frame_with_unknown_message_has_no_kind(default: Profile) -> None:
    mapped = map_frame(default, "32", "2999", {"DataTime": "20261128183300"}, {"Ua": {"Rtd": "1"}})
    assert mapped.kind is None and not mapped.is_reading


def test_map_frame_with_polid_groups_keeps_each_groups_status_apart(default: Profile) -> None:
    # Given the real logger's 3020 shape: four instruments, each with its working and alarm state
    groups = decode_frame(
        encode_frame(
            "QN=1;ST=21;CN=3020;MN=M;Flag=9;CP=&&DataTime=20261128183300;PolId=w01019,i12001-Info=1,i12002-Info=0;"
            "PolId=w21001,i12001-Info=6,i12002-Info=0;PolId=w21003,i12001-Info=1,i12002-Info=2;"
            "PolId=w21011,i12001-Info=3,i12002-Info=0&&"
        )
    ).cp.groups
    # When mapped
    mapped = map_frame(default, "21", "3020", {"DataTime": "20261128183300"}, {}, groups)
    # Then every instrument's states stay visible under its own name (the profile maps no i12xxx)
    assert mapped.kind == "info" and mapped.values == ()
    assert mapped.unknown == {
        f"PolId={pol}/{code}": {"Info": value}
        for pol, states in (("w01019", "10"), ("w21001", "60"), ("w21003", "12"), ("w21011", "30"))
        for code, value in zip(("i12001", "i12002"), states, strict=True)
    }
    assert mapped.data_time == datetime(2026, 11, 28, 10, 33, tzinfo=UTC)


SOE_AT = "20261128183301"


def test_map_frame_with_groups_puts_values_and_soe_on_the_groups_channel(default: Profile) -> None:
    # Given groups headed by a factor code the profile knows (channel 02), by bare circuit names, an SOE, a GPS
    groups = (
        CPGroup({"PolId": "Ua02", "Vendor": "x"}, {"P": {"Rtd": "5", "Flag": "N"}}),
        CPGroup({"PolId": "07"}, {"P": {"Rtd": "6"}, "SOE1": {"EventType": "power_loss", "EventTime": SOE_AT}}),
        CPGroup({"PolId": "08"}, {"GPS": {"Lat": "32.39", "Lng": "120.56"}}),
    )
    mapped = map_frame(default, "21", "3020", {"DataTime": "20261128183300"}, {"Ua01": {"Rtd": "230"}}, groups)
    # Then the plain item keeps its own channel, each group's values and SOE take the group's
    got = {(v.channel, v.quantity, v.value) for v in mapped.values}
    assert got == {("01", "ua", 230), ("02", "p", 5), ("07", "p", 6)}
    (event,) = mapped.events
    assert (event.type, event.channel) == ("power_loss", "07")
    assert mapped.unknown == {"PolId=Ua02": {"Vendor": "x"}}
    assert mapped.gps == (32.39, 120.56)
