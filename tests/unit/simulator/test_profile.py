"""The default factor-code profile (data/profiles/simulator_default.json) and CP packing."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from simulator.electrical import Meter, MeterFaults
from simulator.model import CircuitTruth
from simulator.profile import DEFAULT_PROFILE, ProfileError, fmt, load_profile, pack

pytestmark = pytest.mark.unit


def test_profile_codes_are_exactly_what_the_meter_measures() -> None:
    profile = load_profile()
    sample = Meter(1, 1, 50.0).sample(datetime(2026, 11, 30, 8), CircuitTruth(30, 10, True, 1.0), MeterFaults(), 50.0)
    assert set(profile.codes) == set(sample)
    assert len(profile.codes) == len(set(profile.codes))


def test_profile_document_describes_every_upload_and_the_event_format() -> None:
    doc = json.loads(DEFAULT_PROFILE.read_text(encoding="utf-8"))
    assert {u["cn"] for u in doc["uploads"].values()} == {"2011", "2051", "2061", "2031", "2021", "2041"}
    assert doc["events"]["cn"] == "3020" and "EventTime" in doc["events"]["fields"]
    assert all(q["name_zh"] and q["unit"] is not None for q in doc["quantities"])


def test_broken_profile_is_rejected(tmp_path: Path) -> None:
    bad = tmp_path / "p.json"
    bad.write_text('{"name": "x", "quantities": [{"code": "U-a", "kind": "instant", "decimals": 1}], "uploads": {}}')
    with pytest.raises(ProfileError):
        load_profile(bad)
    with pytest.raises(ProfileError):
        load_profile(tmp_path / "missing.json")


def test_profile_with_an_unknown_field_is_rejected(tmp_path: Path) -> None:
    doc = json.loads(DEFAULT_PROFILE.read_text(encoding="utf-8"))
    doc["uploads"]["minute"]["fields"]["instant"].append("Median")
    bad = tmp_path / "p.json"
    bad.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(ProfileError, match="may only use"):
        load_profile(bad)


def test_pack_keeps_packets_under_the_limit_and_repeats_the_head() -> None:
    items = [f"Ua{i:02d}-Rtd=230.0,Ua{i:02d}-Flag=N" for i in range(1, 60)]
    packets = pack("DataTime=20261130080000", items, 200)
    assert all(len(p) <= 200 and p.startswith("DataTime=20261130080000;") for p in packets)
    assert [i for p in packets for i in p.split(";")[1:]] == items


def test_fmt_never_prints_negative_zero() -> None:
    assert fmt(-0.0001, 2) == "0.00" and fmt(-1.234, 2) == "-1.23"
