"""Times and QN (HJ 212-2017 表3/表4): formatting, parsing, a strictly increasing generator fed `now`."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from hj212 import BadFrameError, QnGenerator, UsageError, format_qn, format_time, parse_time

pytestmark = pytest.mark.unit


def test_format_and_parse_time_round_trip() -> None:
    dt = datetime(2016, 8, 1, 8, 58, 57)
    assert format_time(dt) == "20160801085857"
    assert parse_time("20160801085857") == dt
    assert parse_time(" 20160824003817000 ") == datetime(2016, 8, 24, 0, 38, 17)
    assert parse_time("20160824003817123").microsecond == 123000
    assert format_qn(datetime(2016, 8, 1, 8, 58, 57, 223999)) == "20160801085857223"


@pytest.mark.parametrize(
    "text", ["", "2016080108585", "2016080108585x", "20161301085857", "２０１６０８０１０８５８５７"]
)
def test_parse_time_refuses_bad_text(text: str) -> None:
    with pytest.raises(BadFrameError) as exc:
        parse_time(text)
    assert exc.value.reason == "bad_time"


def test_qn_generator_is_strictly_increasing_even_for_the_same_now() -> None:
    gen = QnGenerator()
    now = datetime(2026, 11, 28, 18, 33, 46, 123456)
    qns = [gen.next(now) for _ in range(3)]
    assert qns == ["20261128183346123", "20261128183346124", "20261128183346125"]
    # a clock going backwards still gives increasing codes
    assert gen.next(now - timedelta(seconds=5)) == "20261128183346126"
    assert gen.next(now + timedelta(seconds=1)) == "20261128183347123"


def test_qn_generator_uses_wall_time_of_aware_datetimes() -> None:
    now = datetime(2026, 1, 1, 23, 59, 59, 999000, tzinfo=timezone(timedelta(hours=8)))
    gen = QnGenerator()
    assert gen.next(now) == "20260101235959999"
    assert gen.next(now) == "20260102000000000"


def test_qn_generator_refuses_non_datetime() -> None:
    with pytest.raises(UsageError):
        QnGenerator().next("now")  # type: ignore[arg-type]
