"""The XLSX: a sheet per section with Chinese headers, frozen header rows, percent and hour formats, 无数据 for
a missing figure (never 0), and the towns/branches sheet in the county report only."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook

from monitoring.reports.monthly.build import build_monthly
from monitoring.reports.monthly.model import MonthlyReport, Scope, ScopeKind
from monitoring.reports.monthly.xlsx import write_xlsx
from tests.unit.monitoring.reports.monthly.world import november, one_alert_per_enterprise
from tests.unit.monitoring.views.world import NOW, world

pytestmark = pytest.mark.unit
NOV = date(2026, 11, 1)


def _book(report: MonthlyReport):  # type: ignore[no-untyped-def]
    out = io.BytesIO()
    write_xlsx(report, out)
    return load_workbook(io.BytesIO(out.getvalue()))


def test_sheets_headers_frozen_rows_and_formats() -> None:
    book = _book(build_monthly(november(), "rugao", Scope(ScopeKind.COUNTY), NOV, NOW))
    assert book.sheetnames == [
        "概况",
        "报警统计",
        "办理时限",
        "在线与完整率",
        "应急管控",
        "安装进度",
        "运维巡检",
        "分镇分局",
    ]
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2"
        assert sheet["A1"].font.bold
    alarms = book["报警统计"]
    assert [c.value for c in alarms[1]][:4] == ["规则", "规则标识", "合计", "待响应"]
    assert alarms["A2"].value.startswith("治污设施停运") and alarms["C2"].value == 2
    assert [c.value for c in alarms[alarms.max_row]][:3] == ["合计", None, 4]
    limits = book["办理时限"]
    assert [limits["C2"].value, limits["D2"].value, limits["F2"].value] == [2, 2, 0.5]
    assert limits["F2"].number_format == "0.0%" and limits["G2"].number_format == "0.00"
    rows = book["在线与完整率"]
    assert rows["B2"].value == "如皋市鑫源化工有限公司" and rows["G2"].number_format == "0.0%"
    assert rows["G2"].value == pytest.approx(27 / 662, abs=1e-4)
    assert rows["G4"].value == "无数据" and rows["H4"].value == "无数据"  # e3: no points, no figure
    assert book["应急管控"]["I2"].value == "江安镇金属制品厂"
    assert book["运维巡检"]["E2"].value == "是"
    assert book["概况"]["B2"].value == "如皋市工况用电监控月度报告（2026年11月）"


def test_alerts_of_one_window_are_one_row_with_their_count() -> None:
    book = _book(build_monthly(one_alert_per_enterprise(november()), "rugao", Scope(ScopeKind.COUNTY), NOV, NOW))
    rows = [r for r in book["应急管控"].iter_rows(min_row=2, values_only=True) if r[0] == "模拟应急管控"]
    assert book["应急管控"]["J1"].value == "同时段下达次数"
    assert [(r[1], r[3], r[4], r[5], r[6], r[7], r[8], r[9]) for r in rows] == [
        ("红色", "2026-11-13 00:00", 1, 0, 1, 0, "江安镇金属制品厂", 1),
        ("橙色", "2026-11-13 00:00", 3, 1, 1, 1, "江安镇金属制品厂", 3),
        ("橙色", "2026-11-13 06:00", 1, 0, 0, 1, None, 1),
    ]


def test_a_branch_report_has_no_units_sheet_and_an_empty_month_says_so() -> None:
    book = _book(build_monthly(world(), "rugao", Scope(ScopeKind.BRANCH, "rugao-b6"), date(2025, 3, 1), NOW))
    assert "分镇分局" not in book.sheetnames
    assert book["报警统计"].max_row == 1  # headers only
    assert book["应急管控"]["A2"].value == "本月无应急预警"
    assert book["办理时限"]["F2"].value == "无数据"


def test_a_month_in_a_year_without_a_holiday_table_says_working_days_are_monday_to_friday() -> None:
    later = NOW.replace(year=2041, month=2, day=3)  # no table for 2041 (neither ours nor chinesecalendar's)
    r = build_monthly(world(), "rugao", Scope(ScopeKind.COUNTY), date(2041, 1, 1), later)
    assert r.calendar_warning == "2041年度法定节假日安排未录入，按周一至周五计算"
    overview = {row[0]: row[1] for row in _book(r)["概况"].iter_rows(min_row=2, values_only=True)}
    assert overview["工作日"] == r.calendar_warning
    assert build_monthly(world(), "rugao", Scope(ScopeKind.COUNTY), NOV, NOW).calendar_warning is None
