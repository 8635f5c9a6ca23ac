"""Month and scope parsing: strict formats, Beijing-time month bounds."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from monitoring.errors import InvalidInputError
from monitoring.reports.monthly.model import Scope, ScopeKind, month_bounds, parse_month, parse_scope

pytestmark = pytest.mark.unit


def test_month_is_yyyy_mm_only() -> None:
    assert parse_month("2026-11") == date(2026, 11, 1)
    for bad in ("2026-13", "2026-1", "26-11", "2026-11-01", "１２３４-11", "", "1999-12", "2026-00"):
        with pytest.raises(InvalidInputError):
            parse_month(bad)


def test_month_bounds_are_beijing_midnights_and_december_rolls_over() -> None:
    assert month_bounds(date(2026, 11, 1)) == (
        datetime(2026, 10, 31, 16, tzinfo=UTC),
        datetime(2026, 11, 30, 16, tzinfo=UTC),
    )
    assert month_bounds(date(2026, 12, 1))[1] == datetime(2026, 12, 31, 16, tzinfo=UTC)


def test_scope_forms() -> None:
    assert parse_scope("county") == Scope(ScopeKind.COUNTY)
    assert parse_scope("town:rugao-jiangan") == Scope(ScopeKind.TOWN, "rugao-jiangan")
    assert parse_scope("branch:rugao-b1").text == "branch:rugao-b1"
    for bad in ("", "county:x", "town:", "branch:a b", "city:x", "town:" + "x" * 65):
        with pytest.raises(InvalidInputError):
            parse_scope(bad)
