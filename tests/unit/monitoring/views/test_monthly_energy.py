"""The month's energy per enterprise: sums of the daily figures (today from its hours), None for no data, the days
counted; the scope and order of the enterprises; the XLSX's Chinese headers and rows."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook

from monitoring._time import china_day_bounds
from monitoring.errors import InvalidInputError
from monitoring.readings.models import Aggregate, AggregatePeriod
from monitoring.views.monthly_energy import (
    HEADERS,
    enterprises_in_scope,
    month_days,
    month_energy,
    write_xlsx,
)
from tests.unit.monitoring.views.world import DAY_START, NOW, world

pytestmark = pytest.mark.unit


def _day(point: str, day: date, kwh: float | None) -> Aggregate:
    return Aggregate(point, AggregatePeriod.DAY, china_day_bounds(day)[0], 1440, energy_kwh=kwh)


def test_a_past_month_sums_its_days_only() -> None:
    s = world()
    e1 = s.registry.get_enterprise("e1")
    for a in (
        _day("p1", date(2026, 9, 30), 999.0),  # the month before: not counted
        _day("p1", date(2026, 10, 1) + timedelta(days=31), 888.0),  # 2026-11-01: the month after
        _day("p1", date(2026, 10, 1), 100.0),
        _day("p2", date(2026, 10, 1), 20.0),
        _day("p1", date(2026, 10, 2), 50.5),
        _day("p1", date(2026, 10, 3), None),
    ):
        s.readings.put_aggregate(a)
    got = month_energy(s, e1, date(2026, 10, 17), NOW)
    assert (got.production_kwh, got.control_kwh, got.main_kwh) == (150.5, 20.0, None)
    assert (got.days, got.days_with_data, got.days_complete) == (31, 2, 1)


def test_the_current_month_counts_up_to_today_and_today_from_its_hours() -> None:
    s = world()
    e1 = s.registry.get_enterprise("e1")
    s.readings.put_aggregate(_day("p2", date(2026, 11, 1), 30.0))
    s.readings.put_aggregate(_day("p1", date(2026, 11, 28), 5000.0))  # a daily figure of today is not yet whole
    for h in range(3):
        s.readings.put_aggregate(
            Aggregate("p1", AggregatePeriod.HOUR, DAY_START + timedelta(hours=h), 60, energy_kwh=4.0)
        )
    got = month_energy(s, e1, date(2026, 11, 1), NOW)
    assert (got.production_kwh, got.control_kwh) == (12.0, 30.0)
    assert (got.days, got.days_with_data, got.days_complete) == (28, 2, 0)


def test_no_figures_is_none_not_zero_and_a_future_month_is_refused() -> None:
    s = world()
    got = month_energy(s, s.registry.get_enterprise("e3"), date(2026, 11, 1), NOW)
    assert (got.production_kwh, got.control_kwh, got.main_kwh, got.days_with_data) == (None, None, None, 0)
    assert month_days(date(2026, 2, 10), NOW) == (date(2026, 2, 1), date(2026, 2, 28))
    with pytest.raises(InvalidInputError):
        month_days(date(2026, 12, 1), NOW)


def test_scope_filters_and_list_order() -> None:
    s = world()
    assert [e.enterprise_id for e in enterprises_in_scope(s, "rugao", None)] == ["e1", "e2", "e3"]
    assert [e.enterprise_id for e in enterprises_in_scope(s, "rugao", frozenset({"e3", "e2"}))] == ["e2", "e3"]
    assert [e.enterprise_id for e in enterprises_in_scope(s, "rugao", None, branch_id="rugao-b6")] == ["e2"]
    assert enterprises_in_scope(s, "other-county", None) == []


def test_xlsx_has_chinese_headers_and_says_no_data() -> None:
    s = world()
    s.readings.put_aggregate(_day("p1", date(2026, 10, 1), 100.0))
    rows = [month_energy(s, s.registry.get_enterprise(e), date(2026, 10, 1), NOW) for e in ("e1", "e3")]
    out = io.BytesIO()
    write_xlsx(date(2026, 10, 1), rows, {}, {}, out)
    sheet = load_workbook(io.BytesIO(out.getvalue())).active
    assert sheet is not None and sheet.title == "2026年10月用电汇总"
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert tuple(values[0]) == HEADERS and "企业名称" in values[0]
    assert values[1][1] == "如皋市鑫源化工有限公司" and values[1][5:8] == [100.0, "无数据", "无数据"]
    assert values[2][5:8] == ["无数据", "无数据", "无数据"] and len(values) == 3
