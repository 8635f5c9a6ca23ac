"""The PDF as a reader sees it: every page rendered (pypdfium2) has ink, the Chinese title is real text drawn with
real glyphs (not tofu boxes), the charts are drawn, the county's towns and branches have their page, and a long
enterprise list runs onto further pages; a branch's report has no units page."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import date

import matplotlib
import pytest

from monitoring.reports.monthly.build import build_monthly
from monitoring.reports.monthly.model import MonthlyReport, Scope, ScopeKind
from monitoring.reports.monthly.pdf import CURTAILMENT_LINES, ROWS_PER_PAGE, write_pdf
from tests.unit.monitoring.reports.monthly.pages import distinct_glyphs, heading, ink, read
from tests.unit.monitoring.reports.monthly.world import november, one_alert_per_enterprise
from tests.unit.monitoring.views.world import NOW, world

pytestmark = pytest.mark.unit


def _legend_words(text: str) -> list[str]:
    return [w for line in text.splitlines() for w in line.split()]


def _pdf(report: MonthlyReport) -> bytes:
    out = io.BytesIO()
    write_pdf(report, out)
    return out.getvalue()


def test_every_page_has_ink_and_the_chinese_title_is_drawn() -> None:
    report = build_monthly(november(), "rugao", Scope(ScopeKind.COUNTY), date(2026, 11, 1), NOW)
    data = _pdf(report)
    assert b"NotoSansCJK" in data  # the CJK font is embedded (a subset), not referenced
    pages = read(data)
    assert len(pages) == 4
    for page in pages:
        assert ink(page.image) > 0.002, "blank page"
    first = pages[0]
    assert report.title in first.text
    assert distinct_glyphs(first, report.title) > 0.9
    # the title line spans a good part of the page width: at 16 pt its 24 characters are about 5 inches
    at = heading(first, report.title)
    xs = [x for _, (x, _, _, _) in first.boxes[at : at + len(report.title)]]
    assert 0.45 < (max(xs) - min(xs)) / first.image.width < 0.85
    assert "报警数（按规则与办理结果，前十）" in first.text and "办理时限" in first.text
    # the outcome of the alarms: November has pending and verified ones, each in the legend
    assert {"待响应", "已核查"} <= set(_legend_words(first.text)), first.text
    # the key figures: each number keeps its unit on its line (no "90% 30.00 /" + "小时" wrap)
    lines = [line for line in first.text.splitlines() if "90%" in line]
    assert len(lines) == 2 and all("小时内" in line and "中位数" in line for line in lines), lines
    # the bar chart's bars: a good area of the chart's band is blue-ish ink (dark in greyscale)
    assert (
        ink(first.image, (0, int(first.image.height * 0.25), first.image.width, int(first.image.height * 0.52))) > 0.05
    )
    assert "应急管控落实情况" in pages[1].text and "橙色预警" in pages[1].text
    # online rates in equal bands, every band labelled (a 0/50/80/90/95 histogram made unequal bars)
    assert all(f"{lo}–{lo + 10}%" in pages[1].text for lo in range(0, 100, 10)), pages[1].text
    assert "分镇（街道）、分局汇总" in pages[2].text and "执法六局" in pages[2].text
    assert "如皋市鑫源化工有限公司" in pages[3].text and "无数据" in pages[3].text


@pytest.mark.filterwarnings("ignore:Glyph .* missing from font")
def test_tofu_is_told_from_glyphs() -> None:
    """The glyph check fails on a PDF whose font has no Chinese glyphs (the check can fail)."""
    report = build_monthly(world(), "rugao", Scope(ScopeKind.COUNTY), date(2026, 11, 1), NOW)
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure

    out = io.BytesIO()
    with matplotlib.rc_context({"font.family": ["DejaVu Sans"], "pdf.fonttype": 42}), PdfPages(out) as pdf:
        fig = Figure(figsize=(8.27, 11.69))
        fig.text(0.5, 0.95, report.title, ha="center", va="top", fontsize=16)
        pdf.savefig(fig)
    (page,) = read(out.getvalue())
    assert distinct_glyphs(page, report.title) < 0.5


def test_an_empty_month_is_an_honest_report_and_long_lists_take_more_pages() -> None:
    empty = build_monthly(world(), "rugao", Scope(ScopeKind.COUNTY), date(2025, 3, 1), NOW)
    pages = read(_pdf(empty))
    assert "本月无报警" in pages[0].text and "本月无应急预警" in pages[1].text
    many = replace(empty, enterprises=empty.enterprises * (ROWS_PER_PAGE // 3 + 1))
    pages = read(_pdf(many))
    assert len(pages) == 5 and "第 5 页" in pages[4].text
    for page in pages:
        assert ink(page.image) > 0.002


def test_alerts_of_one_window_are_one_line_with_their_count() -> None:
    report = build_monthly(
        one_alert_per_enterprise(november()), "rugao", Scope(ScopeKind.COUNTY), date(2026, 11, 1), NOW
    )
    page = read(_pdf(report))[1].text
    text = re.sub(r"\s", "", page)  # compare without spaces and line breaks
    # one line per window (red first of the two same windows, then the orange one ending later), not per alert
    assert text.count("模拟应急管控") == 3, text
    for line in (
        "模拟应急管控（红色）11-1100:00至11-1300:00：涵盖1家，落实0，未落实1，无数据0",
        "模拟应急管控（橙色，同时段下达3次）11-1100:00至11-1300:00：涵盖3家，落实1，未落实1，无数据1",
        "模拟应急管控（橙色）11-1100:00至11-1306:00：涵盖1家，落实0，未落实0，无数据1",
    ):
        assert line in text, text
    # the merged line fits the column (a wrap counting digits as wide as Chinese characters split it mid-figure)
    assert any(
        line.startswith("　模拟应急管控（橙色，同") and line.endswith("无数据\u00a01") for line in page.splitlines()
    ), page
    more = replace(report, curtailment=report.curtailment * 3)  # 12 windows: the page lists the first ones
    text = read(_pdf(more))[1].text
    assert text.count("模拟应急管控") == 5 and f"另有 {12 - CURTAILMENT_LINES} 个预警时段" in text, text
    # a title of Latin letters and digits, which the wrap measures as narrower than Chinese: still inside the page
    latin = replace(report.curtailment[1], title="Rugao PM2.5 Ozone Alert No. 2026-11-A (county-wide, all towns)")
    (page,) = [p for p in read(_pdf(replace(report, curtailment=[latin]))) if "Rugao" in p.text]
    assert "Rugao PM2.5" in page.text and "同时段下达" in page.text, page.text
    assert max(right for ch, (_, _, right, _) in page.boxes if ch.strip()) < 0.96 * page.image.width


def test_a_branch_report_has_no_units_page() -> None:
    report = build_monthly(november(), "rugao", Scope(ScopeKind.BRANCH, "rugao-b6"), date(2026, 11, 1), NOW)
    pages = read(_pdf(report))
    assert len(pages) == 3 and "分镇" not in pages[2].text and "江安镇金属制品厂" in pages[2].text
