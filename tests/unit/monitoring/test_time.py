"""parse_aware: the one reading of a time a person types into the CLIs (--now, --at)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from monitoring._time import parse_aware
from monitoring.errors import InvalidInputError

pytestmark = pytest.mark.unit


def test_a_time_with_its_offset_is_that_instant_in_that_offset() -> None:
    value = parse_aware("2026-12-06T09:30+08:00")
    assert value == datetime(2026, 12, 6, 1, 30, tzinfo=UTC)
    assert value.utcoffset() == timedelta(hours=8) and value.tzinfo == timezone(timedelta(hours=8))


@pytest.mark.parametrize(
    ("text", "message"),
    [("yesterday", "不是 ISO 8601 时间：'yesterday'"), ("", "不是 ISO 8601 时间"), ("2026-12-06T09:30", "缺少时区")],
)
def test_a_time_that_is_not_iso_or_has_no_offset_is_refused_in_chinese(text: str, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        parse_aware(text)
