"""The monthly report as a PDF (matplotlib PdfPages, A4 portrait, the CJK font embedded as a Type 3 subset): a summary
page with charts, a page of emergency alerts, campaign and maintenance, then the enterprise table.

Why matplotlib and not reportlab: reportlab cannot embed Noto Sans CJK (CFF outlines in an OTF/TTC), and the
charts are matplotlib's already. More: docs/reports.md.
"""

from __future__ import annotations

import textwrap
import unicodedata
from collections.abc import Sequence
from typing import IO, Any, cast

import matplotlib
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from monitoring._time import CHINA
from monitoring.charts.fonts import cjk_rc
from monitoring.reports.monthly import charts
from monitoring.reports.monthly.model import AlertCompliance, MonthlyReport, TimeLimit

A4 = (8.27, 11.69)
ROWS_PER_PAGE = 40
CURTAILMENT_LINES = 6  # alert windows listed on page 2; the XLSX lists them all


def _pct(v: float | None) -> str:
    return "无数据" if v is None else f"{v * 100:.1f}%"


def _h(v: float | None) -> str:
    return "—" if v is None else f"{v:.2f}"


def _limit_lines(t: TimeLimit) -> list[str]:
    """Two short lines, so no figure is split from its unit by the wrap."""
    return [
        f"{t.name}：按时 {t.within}，超时 {t.over}，未到时限 {t.running}",
        f"　用时中位数 {_h(t.median_h)}\u00a0小时，90%\u00a0在 {_h(t.p90_h)}\u00a0小时内",
    ]


def _curtailment_line(a: AlertCompliance) -> str:
    """One alert window; alerts declared for the same window (one per enterprise) are one line with their count."""
    nb = "\u00a0"  # a wrap never parts a figure from its label
    times = f"{a.start.astimezone(CHINA):%m-%d}{nb}{a.start.astimezone(CHINA):%H:%M}至"
    times += f"{a.end.astimezone(CHINA):%m-%d}{nb}{a.end.astimezone(CHINA):%H:%M}"
    declared = f"，同时段下达{nb}{a.declared}{nb}次" if a.declared > 1 else ""
    return (
        f"　{a.title}（{a.level}{declared}）{times}：涵盖{nb}{a.covered}{nb}家，落实{nb}{a.compliant}，"
        f"未落实{nb}{a.violating}，无数据{nb}{a.without_data}"
    )


def _page(report: MonthlyReport, number: int) -> Figure:
    fig = Figure(figsize=A4)
    fig.text(0.5, 0.02, f"{report.title}　第 {number} 页", ha="center", fontsize=8, color="#555555")
    return fig


def _save(pdf: PdfPages, fig: Figure) -> None:
    pdf.savefig(fig)  # type: ignore[no-untyped-call]  # matplotlib leaves PdfPages.savefig unannotated


def _ems(text: str) -> float:
    """Width in ems: a Chinese character is one, a digit or Latin letter a little over half (Noto Sans CJK)."""
    return sum(1.0 if unicodedata.east_asian_width(c) in "WF" else 0.6 for c in text)


def _lines(fig: Figure, top: float, lines: Sequence[str], size: float = 10, step: float = 0.022) -> float:
    y = top
    ems = 530 / size  # full-width characters across the text column (about 7.4 in of an A4 page)
    for line in lines:
        # textwrap counts characters: give it as many as fit in `ems` at this line's mix of wide and narrow ones
        width = max(1, int(ems * len(line) / _ems(line))) if line else 1
        for part in textwrap.wrap(line, width, subsequent_indent="　") or [""]:
            fig.text(0.08, y, part, fontsize=size, va="top")
            y -= step
    return y


def _summary(pdf: PdfPages, r: MonthlyReport) -> None:
    fig = _page(r, 1)
    fig.text(0.5, 0.95, r.title, ha="center", va="top", fontsize=16, weight="bold")
    generated = r.generated_at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")
    rates = [e.online_rate for e in r.enterprises if e.online_rate is not None]
    mean = sum(rates) / len(rates) if rates else None
    _lines(
        fig,
        0.9,
        [
            f"县（市）：{r.county}　范围：{r.scope_name}　生成时间：{generated}（北京时间）",
            f"企业 {len(r.enterprises)} 家；本月报警 {r.alarm_total} 起；平均在线率 {_pct(mean)}",
            *_limit_lines(r.response),
            *_limit_lines(r.investigation),
        ],
    )
    charts.alarms_by_rule(fig.add_axes((0.38, 0.44, 0.55, 0.28)), r)
    charts.time_limits(fig.add_axes((0.25, 0.1, 0.68, 0.22)), r)
    _save(pdf, fig)


def _second(pdf: PdfPages, r: MonthlyReport) -> None:
    fig = _page(r, 2)
    charts.online_rates(fig.add_axes((0.1, 0.7, 0.8, 0.22)), r)
    charts.campaign(fig.add_axes((0.1, 0.4, 0.8, 0.22)), r)
    lines = ["应急管控落实情况（依据报警；无数据不判定）："]
    lines += [_curtailment_line(a) for a in r.curtailment[:CURTAILMENT_LINES]] or ["　本月无应急预警。"]
    if len(r.curtailment) > CURTAILMENT_LINES:
        lines.append(f"　另有 {len(r.curtailment) - CURTAILMENT_LINES} 个预警时段，见 XLSX“应急管控”表。")
    if r.campaign_name:
        late = "，".join(f"{label} {n}" for label, n in r.campaign_overdue)
        lines.append(f"安装活动（{r.campaign_name}）逾期企业：{late}。")
        if r.calendar_warning:
            lines.append(f"注意：{r.calendar_warning}（验收后备案期限）。")
    overdue = sum(1 for m in r.maintenance if m.overdue)
    inspections = sum(m.inspections for m in r.maintenance)
    repairs = sum(m.repairs for m in r.maintenance)
    lines.append(f"运维：本月巡检 {inspections} 次，维修 {repairs} 次；巡检超期（14天）企业 {overdue} 家。")
    lines.append("维修任务（24小时内修复）：" + "，".join(f"{label} {n}" for label, n in r.repairs) + "。")
    _lines(fig, 0.33, lines, size=9)
    _save(pdf, fig)


def _columns(fig: Figure, y: float, xs: Sequence[float], cells: Sequence[str], *, bold: bool = False) -> None:
    for x, c in zip(xs, cells, strict=True):
        fig.text(x, y, c, fontsize=8.5 if bold else 8, weight="bold" if bold else "normal", va="top")


def _units(pdf: PdfPages, r: MonthlyReport) -> int:
    """The county report's towns and branches on one page (a county has about 20 towns and 6 branches)."""
    if not r.units:
        return 0
    fig = _page(r, 3)
    fig.text(0.06, 0.95, "分镇（街道）、分局汇总", fontsize=12, weight="bold", va="top")
    xs = (0.06, 0.2, 0.5, 0.6, 0.7, 0.82)
    y = 0.91
    _columns(fig, y, xs, ("类别", "名称", "企业数", "报警数", "响应超时", "平均在线率"), bold=True)
    for u in r.units[:ROWS_PER_PAGE]:
        y -= 0.021
        cells = (u.kind, u.name[:14], str(u.enterprises), str(u.alarms), str(u.response_over), _pct(u.online_rate))
        _columns(fig, y, xs, cells)
    _save(pdf, fig)
    return 1


def _table(pdf: PdfPages, r: MonthlyReport, first_page: int) -> None:
    headers = ("序号", "企业名称", "镇（街道）", "执法分局", "在线率", "完整率", "报警")
    xs = (0.05, 0.1, 0.48, 0.62, 0.75, 0.83, 0.91)
    rows = r.enterprises
    for first in range(0, max(len(rows), 1), ROWS_PER_PAGE):
        fig = _page(r, first_page + first // ROWS_PER_PAGE)
        fig.text(0.06, 0.95, "企业在线率与数据完整率", fontsize=12, weight="bold", va="top")
        y = 0.91
        for x, h in zip(xs, headers, strict=True):
            fig.text(x, y, h, fontsize=8.5, weight="bold", va="top")
        for n, e in enumerate(rows[first : first + ROWS_PER_PAGE], start=first + 1):
            y -= 0.021
            name = e.name if len(e.name) <= 22 else e.name[:21] + "…"
            cells = (str(n), name, e.town[:8], e.branch[:8], _pct(e.online_rate), _pct(e.completeness), str(e.alarms))
            for x, c in zip(xs, cells, strict=True):
                fig.text(x, y, c, fontsize=8, va="top")
        if not rows:
            fig.text(0.06, 0.86, "本范围内无企业。", fontsize=10, va="top")
        _save(pdf, fig)


def write_pdf(report: MonthlyReport, out: IO[bytes]) -> None:
    """FontMissingError (monitoring.charts) when no CJK font is installed: never a PDF of empty boxes."""
    with (
        matplotlib.rc_context(cast(Any, cjk_rc())),
        PdfPages(out, metadata={"Title": report.title, "Creator": "monitoring"}) as pdf,
    ):
        _summary(pdf, report)
        _second(pdf, report)
        _table(pdf, report, 3 + _units(pdf, report))
