"""The working-day calendar: a year's table file wins over the package, a year nobody knows falls back to
Monday–Friday and says so in Chinese, a malformed table is refused with what is wrong."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from monitoring.reports import workdays


@pytest.fixture
def tables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setattr(workdays, "TABLES", tmp_path)
    workdays._table.cache_clear()
    yield tmp_path
    workdays._table.cache_clear()


def _write(folder: Path, year: int, holidays: list[str], adjusted: list[str]) -> None:
    doc = {"year": year, "source": f"国务院办公厅关于{year}年部分节假日安排的通知", "holidays": holidays,
           "workdays": adjusted}  # fmt: skip
    (folder / f"{year}.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")


def test_a_year_without_a_table_counts_monday_to_friday_and_says_so(tables: Path) -> None:
    assert not workdays.calendar_known(2027)
    assert workdays.is_workday(date(2027, 1, 1))  # a Friday: no table knows it is New Year's Day
    assert not workdays.is_workday(date(2027, 1, 2))
    assert workdays.calendar_warning([date(2027, 1, 4)]) == "2027年度法定节假日安排未录入，按周一至周五计算"
    assert workdays.calendar_warning([date(2026, 10, 1), date(2026, 12, 31)]) is None  # the package knows 2026
    assert workdays.add_workdays(date(2026, 12, 31), 1) == date(2027, 1, 1)


def test_a_table_file_gives_holidays_and_adjusted_working_days_before_the_package(tables: Path) -> None:
    _write(tables, 2027, ["2027-01-01"], ["2027-01-02"])
    assert workdays.calendar_known(2027) and workdays.calendar_warning([date(2027, 1, 4)]) is None
    assert not workdays.is_workday(date(2027, 1, 1))
    assert workdays.is_workday(date(2027, 1, 2))  # a Saturday made a working day
    assert workdays.add_workdays(date(2026, 12, 31), 1) == date(2027, 1, 2)
    _write(tables, 2026, [], [])  # read before the package: 2026-10-01 (国庆, a Thursday) now counts
    workdays._table.cache_clear()
    assert workdays.is_workday(date(2026, 10, 1))


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"year": 2026, "source": "x", "holidays": [], "workdays": []}, '"year": 2027'),
        ({"year": 2027, "source": "", "holidays": [], "workdays": []}, "source"),
        ({"year": 2027, "source": "x", "holidays": ["2026-12-31"], "workdays": []}, "outside 2027"),
        ({"year": 2027, "source": "x", "holidays": "2027-01-01", "workdays": []}, "list of YYYY-MM-DD"),
        ({"year": 2027, "source": "x", "holidays": ["2027-01-01"], "workdays": ["2027-01-01"]}, "both"),
    ],
)
def test_a_malformed_table_is_refused_with_what_is_wrong(doc: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        workdays.parse_table(2027, json.dumps(doc))
