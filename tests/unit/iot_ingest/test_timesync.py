"""Clock skew from the QN of each frame."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from typing import Any

import pytest

from iot_ingest.timesync import measure_skew, qn_time

pytestmark = pytest.mark.unit


def _frame(cn: str | None, qn: str | None) -> Any:
    return SimpleNamespace(cn=cn, qn=qn)


def test_qn_time_parses_17_digit_qn_with_milliseconds() -> None:
    assert qn_time("20261128183346123") == datetime(2026, 11, 28, 18, 33, 46, 123000)


@pytest.mark.parametrize("qn", [None, "", "2026112818334", "abc", "20261340183346123"])
def test_qn_time_with_unreadable_qn_returns_none(qn: str | None) -> None:
    assert qn_time(qn) is None


def test_measure_skew_positive_when_terminal_runs_ahead() -> None:
    now = datetime(2026, 11, 28, 18, 33, 0)
    assert measure_skew(_frame("2011", "20261128183346000"), now) == 46.0
    assert measure_skew(_frame("2011", "20261128183200000"), now) == -60.0


def test_measure_skew_ignores_replies_echoing_platform_qn() -> None:
    assert measure_skew(_frame("9011", "20261128183346000"), datetime(2026, 1, 1)) is None
