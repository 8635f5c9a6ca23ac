"""convert / parse_local_time: hostile strings never raise."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitoring.readings.values import convert, parse_local_time

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("raw", "value", "flags"),
    [
        ("231.5", 231.5, set()),
        (" -1.5 ", -1.5, {"out_of_range"}),  # a negative voltage is kept but flagged
        ("+2", 2.0, set()),
        (".5", 0.5, set()),
        ("1e3", 1000.0, set()),
        ("", None, {"empty"}),
        (None, None, {"empty"}),
        ("12,3", None, {"unparseable"}),
        ("0x10", None, {"unparseable"}),
        ("inf", None, {"non_finite"}),
        ("-NaN", None, {"non_finite"}),
        ("1e999", None, {"non_finite"}),
        ("600000", 600000.0, {"out_of_range"}),
    ],
)
def test_convert_voltage_strings_gives_value_and_flags(raw: str | None, value: float | None, flags: set[str]) -> None:
    converted = convert(raw, "ua")
    assert converted.value == value
    assert set(converted.quality) == flags


def test_convert_power_factor_above_one_is_flagged_out_of_range() -> None:
    assert convert("1.2", "pf").quality == {"out_of_range"}
    assert convert("95", "pf", 0.01).value == pytest.approx(0.95)


@given(st.text(max_size=40))
def test_convert_any_text_never_raises(text: str) -> None:
    result = convert(text, "p", 0.001)
    assert result.value is None or result.value == result.value  # never NaN


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20261128183300", datetime(2026, 11, 28, 10, 33, tzinfo=UTC)),
        ("20261128183300123", datetime(2026, 11, 28, 10, 33, 0, 123000, tzinfo=UTC)),
        ("20260101000000", datetime(2025, 12, 31, 16, 0, tzinfo=UTC)),
        ("20261328183300", None),
        ("2026112818330", None),
        ("abc", None),
        (None, None),
    ],
)
def test_parse_local_time_reads_china_wall_time(text: str | None, expected: datetime | None) -> None:
    assert parse_local_time(text) == expected
