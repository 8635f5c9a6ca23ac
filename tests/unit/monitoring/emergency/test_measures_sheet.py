"""Cell parsers of the 应急减排清单 sheet: what a bureau clerk types, and what is refused."""

from __future__ import annotations

import pytest

from monitoring.emergency.measures_sheet import parse_hours, parse_level, parse_share
from monitoring.emergency.models import Level
from monitoring.errors import InvalidInputError

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("text", "level"),
    [("黄", Level.YELLOW), ("黄色", Level.YELLOW), (" 橙色预警 ", Level.ORANGE), ("RED", Level.RED), ("红", Level.RED)],
)
def test_levels_in_chinese_or_english(text: str, level: Level) -> None:
    assert parse_level(text) is level


@pytest.mark.parametrize(("text", "share"), [("0.6", 0.6), ("60%", 0.6), ("60％", 0.6), ("0", 0.0), ("", None)])
def test_shares_as_fraction_or_percent(text: str, share: float | None) -> None:
    assert parse_share(text) == share


@pytest.mark.parametrize(
    ("text", "hours"),
    [("8-12", ((8, 12),)), ("14-18、8-12", ((8, 12), (14, 18))), ("08:00-12:00；0～6", ((0, 6), (8, 12))), ("", ())],
)
def test_hours_as_local_whole_hour_spans(text: str, hours: tuple[tuple[int, int], ...]) -> None:
    assert parse_hours(text) == hours


@pytest.mark.parametrize(
    ("parse", "text"),
    [
        (parse_level, "紫色"),
        (parse_level, ""),
        (parse_share, "1.2"),
        (parse_share, "-0.1"),
        (parse_share, "六成"),
        (parse_hours, "12-8"),
        (parse_hours, "8-25"),
        (parse_hours, "8:30-12"),
        (parse_hours, "上午"),
    ],
)
def test_bad_cells_are_refused_with_a_message(parse: object, text: str) -> None:
    with pytest.raises(InvalidInputError):
        parse(text)  # type: ignore[operator]
