"""The monthly report as an XLSX workbook: one sheet per section, Chinese headers, frozen header rows, number
formats (percentages, hours); a missing figure is written as 无数据, never as 0."""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from monitoring._time import CHINA
from monitoring.alarms.models import STATE_NAMES, AlarmState
from monitoring.reports.monthly.model import MonthlyReport, TimeLimit

PERCENT = "0.0%"
HOURS = "0.00"
NO_DATA = "无数据"


def _sheet(book: Workbook, title: str, headers: Sequence[str], widths: Sequence[int]) -> Worksheet:
    sheet = book.create_sheet(title)
    sheet.append(list(headers))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for n, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(n)].width = width
    sheet.freeze_panes = "A2"
    return sheet


def _formats(sheet: Worksheet, columns: dict[int, str]) -> None:
    for row in sheet.iter_rows(min_row=2):
        for col, fmt in columns.items():
            row[col - 1].number_format = fmt


def _value(v: float | None) -> float | str:
    return NO_DATA if v is None else v


def _overview(book: Workbook, r: MonthlyReport) -> None:
    sheet = _sheet(book, "概况", ("项目", "内容"), (24, 60))
    local = r.generated_at.astimezone(CHINA)
    for item in (
        ("报告", r.title),
        ("县（市）", r.county),
        ("范围", r.scope_name),
        ("统计月份", f"{r.month.year}年{r.month.month}月（北京时间）"),
        ("生成时间", local.strftime("%Y-%m-%d %H:%M")),
        ("企业数", len(r.enterprises)),
        ("报警总数", r.alarm_total),
        (
            "说明",
            "报警按生成时间计入当月，办理状态为报告生成时的状态；在线率按终端、按小时计（终端某小时有任一点位的数据即该小时在线，企业在线率为其各终端在线率的平均），完整率按分钟数据计。",
        ),
        *((("工作日", r.calendar_warning),) if r.calendar_warning else ()),
    ):
        sheet.append(list(item))
    for row in sheet.iter_rows(min_row=2):
        row[1].alignment = Alignment(wrap_text=True, vertical="top")


def _alarms(book: Workbook, r: MonthlyReport) -> None:
    states = list(AlarmState)
    sheet = _sheet(
        book, "报警统计", ("规则", "规则标识", "合计", *(STATE_NAMES[s] for s in states)), (40, 24, 8) + (12,) * 6
    )
    for rule in r.rules:
        sheet.append([rule.name, rule.rule, rule.total, *(rule.by_state.get(s.value, 0) for s in states)])
    if r.rules:
        sheet.append(["合计", "", r.alarm_total, *(sum(x.by_state.get(s.value, 0) for x in r.rules) for s in states)])
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)


def _limits(book: Workbook, r: MonthlyReport) -> None:
    sheet = _sheet(
        book,
        "办理时限",
        ("环节", "时限（小时）", "按时", "超时", "未到时限", "按时率", "中位用时（小时）", "90%用时（小时）"),
        (28, 12, 8, 8, 10, 10, 16, 16),
    )
    for t in (r.response, r.investigation):
        sheet.append(
            [t.name, t.limit_h, t.within, t.over, t.running, _value(_rate(t)), _value(t.median_h), _value(t.p90_h)]
        )
    _formats(sheet, {6: PERCENT, 7: HOURS, 8: HOURS})


def _rate(t: TimeLimit) -> float | None:
    done = t.within + t.over
    return None if done == 0 else round(t.within / done, 4)


def _enterprises(book: Workbook, r: MonthlyReport) -> None:
    sheet = _sheet(
        book,
        "在线与完整率",
        ("序号", "企业名称", "镇（街道）", "执法分局", "安装状态", "监测点位数", "在线率", "数据完整率", "报警数"),
        (6, 36, 14, 14, 10, 10, 10, 12, 8),
    )
    for n, e in enumerate(r.enterprises, start=1):
        sheet.append(
            [
                n,
                e.name,
                e.town,
                e.branch,
                e.install_status,
                e.points,
                _value(e.online_rate),
                _value(e.completeness),
                e.alarms,
            ]
        )
    _formats(sheet, {7: PERCENT, 8: PERCENT})


def _curtailment(book: Workbook, r: MonthlyReport) -> None:
    sheet = _sheet(
        book,
        "应急管控",
        (
            "预警",
            "级别",
            "开始",
            "结束",
            "涵盖企业",
            "落实（未发现违规）",
            "未落实",
            "无数据未判定",
            "未落实企业",
            "同时段下达次数",
        ),
        (28, 8, 17, 17, 10, 16, 8, 12, 50, 14),
    )
    for a in r.curtailment:
        sheet.append(
            [
                a.title,
                a.level,
                a.start.astimezone(CHINA).strftime("%Y-%m-%d %H:%M"),
                a.end.astimezone(CHINA).strftime("%Y-%m-%d %H:%M"),
                a.covered,
                a.compliant,
                a.violating,
                a.without_data,
                "、".join(a.violators),
                a.declared,
            ]
        )
    if not r.curtailment:
        sheet.append(["本月无应急预警"])


def _campaign(book: Workbook, r: MonthlyReport) -> None:
    sheet = _sheet(book, "安装进度", ("安装状态", "企业数", "占比"), (30, 10, 10))
    total = len(r.enterprises)
    for label, count in [*r.campaign, ("豁免", r.exempt)]:
        sheet.append([label, count, count / total if total else NO_DATA])
    _formats(sheet, {3: PERCENT})
    sheet.append([])
    if not r.campaign_name:
        sheet.append(["逾期情况", "尚无安装活动"])
        return
    sheet.append([f"逾期情况（{r.campaign_name}，截至月末）", "企业数"])
    sheet.cell(sheet.max_row, 1).font = Font(bold=True)
    for label, count in r.campaign_overdue:
        sheet.append([f"{label}逾期", count])


def _maintenance(book: Workbook, r: MonthlyReport) -> None:
    sheet = _sheet(
        book,
        "运维巡检",
        ("企业名称", "本月巡检次数", "本月维修次数", "最近巡检日期", "巡检超期（14天）"),
        (36, 12, 12, 14, 16),
    )
    for m in r.maintenance:
        last = m.last_inspection.isoformat() if m.last_inspection else "无记录"
        sheet.append([m.name, m.inspections, m.repairs, last, "是" if m.overdue else "否"])
    sheet.append([])
    sheet.append(["本月维修任务（24小时内修复）", "任务数"])
    sheet.cell(sheet.max_row, 1).font = Font(bold=True)
    for label, count in r.repairs:
        sheet.append([label, count])


def _units(book: Workbook, r: MonthlyReport) -> None:
    sheet = _sheet(
        book, "分镇分局", ("类别", "名称", "企业数", "报警数", "响应超时", "平均在线率"), (12, 20, 8, 8, 10, 12)
    )
    for u in r.units:
        sheet.append([u.kind, u.name, u.enterprises, u.alarms, u.response_over, _value(u.online_rate)])
    _formats(sheet, {6: PERCENT})


def write_xlsx(report: MonthlyReport, out: IO[bytes]) -> None:
    book = Workbook()
    first = book.active
    assert first is not None  # a new workbook always has its first sheet
    book.remove(first)
    for section in (_overview, _alarms, _limits, _enterprises, _curtailment, _campaign, _maintenance):
        section(book, report)
    if report.units:
        _units(book, report)
    book.save(out)
