"""Profile validation: clear errors naming file, key and reason; extends; the shipped profiles load."""

from __future__ import annotations

import json
from typing import Any

import pytest

from monitoring.profiles.loader import ProfileError, build_profiles

pytestmark = pytest.mark.unit

BASE: dict[str, Any] = {
    "id": "base",
    "name": "测试",
    "assumptions": ["test"],
    "messages": [{"st": "*", "cn": "2011", "kind": "realtime"}],
    "factors": [{"code": "Ua{ch?}", "quantity": "ua", "unit": "V"}],
}


def _build(*docs: dict[str, Any]) -> dict[str, Any]:
    return build_profiles({f"dir{i}/{d['id']}.json": json.dumps(d) for i, d in enumerate(docs)})


def _error(*docs: dict[str, Any]) -> ProfileError:
    with pytest.raises(ProfileError) as info:
        _build(*docs)
    return info.value


def test_build_profiles_with_valid_base_returns_profile() -> None:
    # Given a minimal valid profile / When it is built
    profiles = _build(BASE)
    # Then it is keyed by id and keeps its rules
    assert profiles["base"].factors[0].quantity == "ua"
    assert profiles["base"].default_channel == ""


@pytest.mark.parametrize(
    ("patch", "key", "reason"),
    [
        ({"factors": [{"code": "Ua", "quantity": "ua", "unit": "kW"}]}, "factors[0].unit", "is not a unit of ua"),
        ({"factors": [{"code": "Ua", "quantity": "volts", "unit": "V"}]}, "factors[0].quantity", "unknown quantity"),
        ({"factors": [{"code": "Ua", "quantity": "u", "phase": "X", "unit": "V"}]}, "factors[0].quantity", "unknown"),
        ({"factors": [{"code": "U{ch}{ch}", "quantity": "ua", "unit": "V"}]}, "factors[0].code", "at most one"),
        ({"factors": [{"code": "Ua", "quantity": "ua", "unit": "V", "scale": 0}]}, "factors[0].scale", "zero"),
        (
            {"factors": [{"code": "Ua", "quantity": "ua", "unit": "V", "fields": ["Flag"]}]},
            "factors[0].fields",
            "no value",
        ),
        ({"factors": [{"code": "Ua", "quantity": "ua", "unit": "V", "colour": 1}]}, "factors[0].colour", "unknown key"),
        ({"factors": [{"code": "Ua", "quantity": "ua", "unit": "V", "channel": "{ch}"}]}, "factors[0].channel", "{ch}"),
        ({"messages": [{"st": "*", "cn": "20111", "kind": "realtime"}]}, "messages[0].cn", "four digits"),
        ({"messages": [{"st": "*", "cn": "2011", "kind": "bogus"}]}, "messages[0].kind", "unknown kind"),
        ({"assumptions": []}, "assumptions", "at least one assumption"),
        ({"id": "Bad Id"}, "id", "lower-case"),
        ({"colour": "red"}, "colour", "unknown key"),
        ({"default_channel": "way-too-long"}, "default_channel", "0-8"),
        ({"events": {"type_field": "T", "time_field": "E", "types": {"1": "boom"}}}, "events.types.1", "unknown event"),
    ],
)
def test_build_profiles_with_bad_key_names_file_key_and_reason(patch: dict[str, Any], key: str, reason: str) -> None:
    # Given a profile with one bad key / When it is built
    error = _error({**BASE, **patch})
    # Then the error names the file, the key path and why
    assert error.file.startswith("dir0/")
    assert error.key == key
    assert reason in error.reason
    assert f": {key}: " in str(error)


def test_build_profiles_with_duplicate_factor_reports_both_places() -> None:
    factors = [{"code": "Ua", "quantity": "ua", "unit": "V"}, {"code": "Ua", "quantity": "ub", "unit": "V"}]
    error = _error({**BASE, "factors": factors})
    assert error.key == "factors[1].code"
    assert "factors[0]" in error.reason


def test_build_profiles_with_invalid_json_reports_line() -> None:
    with pytest.raises(ProfileError) as info:
        build_profiles({"x.json": '{"id": "x",\n  oops}'})
    assert info.value.key == "$"
    assert "line 2" in info.value.reason


def test_build_profiles_with_unknown_or_cyclic_extends_fails() -> None:
    assert _error({**BASE, "extends": "nope"}).key == "extends"
    a = {**BASE, "id": "a", "extends": "b"}
    b = {**BASE, "id": "b", "extends": "a"}
    assert "cycle" in _error(a, b).reason


def test_build_profiles_with_duplicate_id_fails() -> None:
    assert "duplicate profile id" in _error(BASE, BASE).reason


def test_child_profile_overrides_parent_codes_without_code_change() -> None:
    # Given a province profile that only re-declares Ua in W-less volts-as-kV and adds a code
    child = {
        "id": "province",
        "name": "某省",
        "extends": "base",
        "factors": [
            {"code": "Ua{ch?}", "quantity": "ua", "unit": "kV"},
            {"code": "a19001", "quantity": "p", "unit": "W"},
        ],
    }
    # When both are built
    profiles = _build(BASE, child)
    province = profiles["province"]
    # Then the child's rule wins, the parent's rules and assumptions are inherited
    hit = province.factor_for("Ua", "Rtd")
    assert hit is not None and hit[0].scale == 1000.0
    power = province.factor_for("a19001", "Rtd")
    assert power is not None and power[0].scale == pytest.approx(0.001)
    assert province.message_for("32", "2011") is not None
    assert province.assumptions == ("test",)
    assert profiles["base"].factor_for("Ua", "Rtd")[0].scale == 1.0  # type: ignore[index]


def test_factor_for_prefers_exact_code_over_pattern() -> None:
    factors = [{"code": "X{ch?}", "quantity": "ua", "unit": "V"}, {"code": "X9", "quantity": "ub", "unit": "V"}]
    profile = _build({**BASE, "factors": factors})["base"]
    assert profile.factor_for("X9", "Rtd")[0].quantity == "ub"  # type: ignore[index]
    assert profile.factor_for("X7", "Rtd") is not None
    assert profile.factor_for("X7", "Rtd")[1] == "7"  # type: ignore[index]
    assert profile.factor_for("Y7", "Rtd") is None


def test_message_for_prefers_exact_st_over_wildcard() -> None:
    messages = [{"st": "*", "cn": "2011", "kind": "realtime"}, {"st": "44", "cn": "2011", "kind": "minute"}]
    profile = _build({**BASE, "messages": messages})["base"]
    assert profile.message_for("44", "2011").kind == "minute"  # type: ignore[union-attr]
    assert profile.message_for("32", "2011").kind == "realtime"  # type: ignore[union-attr]
    assert profile.message_for("32", "9999") is None


def test_build_profiles_with_id_not_matching_file_name_fails() -> None:
    with pytest.raises(ProfileError) as info:
        build_profiles({"other.json": json.dumps(BASE)})
    assert info.value.key == "id" and "file name" in info.value.reason


def test_quantity_vocabulary_matches_the_reading_model() -> None:
    from monitoring.readings.models import QUANTITY_INFO
    from monitoring.readings.quantities import QUANTITIES

    assert set(QUANTITIES) == set(QUANTITY_INFO)
