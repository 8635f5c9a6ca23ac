"""load_profiles on real files: the shipped profiles load; a province file is data only; errors name the file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitoring.profiles.loader import DEFAULT_DIR, ProfileError, load_profiles
from monitoring.profiles.mapping import map_frame

pytestmark = pytest.mark.integration


def test_load_profiles_shipped_directory_loads_default_and_native() -> None:
    profiles = load_profiles(DEFAULT_DIR)
    assert set(profiles) == {"default", "hj212-2017"}
    assert profiles["default"].assumptions  # written at its top, inherited ones included


def test_load_profiles_with_province_file_needs_no_code_change(tmp_path: Path) -> None:
    # Given the shipped profiles plus a province profile written by an integrator, and the simulator's file
    for path in DEFAULT_DIR.glob("*.json"):
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    province = {
        "id": "jiangsu-test",
        "name": "江苏（示例）",
        "extends": "default",
        "assumptions": ["example codes"],
        "factors": [{"code": "e101{ch:2}", "quantity": "p", "unit": "W"}],
    }
    (tmp_path / "jiangsu_test.json").write_text(json.dumps(province, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "simulator_default.json").write_text('{"name": "not a profile"}', encoding="utf-8")
    # When loaded
    profiles = load_profiles(tmp_path)
    # Then the new codes map, the default's codes still map
    mapped = map_frame(
        profiles["jiangsu-test"],
        "51",
        "2011",
        {"DataTime": "20261128183300"},
        {"e10101": {"Rtd": "2500"}, "Ua01": {"Rtd": "230"}},
    )
    assert {(v.channel, v.quantity, v.value) for v in mapped.values} == {("01", "p", 2.5), ("01", "ua", 230.0)}


def test_load_profiles_with_broken_file_names_it(tmp_path: Path) -> None:
    doc = {"id": "broken", "name": "x", "assumptions": ["a"], "messages": []}
    doc["factors"] = [{"code": "Ua", "quantity": "ua", "unit": "kW"}]
    (tmp_path / "broken.json").write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(ProfileError) as info:
        load_profiles(tmp_path)
    assert info.value.file.endswith("broken.json") and info.value.key == "factors[0].unit"
