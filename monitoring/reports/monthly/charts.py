"""The monthly report's charts (matplotlib, Agg): alarms by rule, the time limits, online rates, the campaign.

Each function draws into a given Axes, so the PDF lays pages out itself; the caller sets the CJK font
(monitoring.charts.fonts).
"""

from __future__ import annotations

from matplotlib.axes import Axes
from matplotlib.ticker import MaxNLocator

from monitoring.reports.monthly.model import MonthlyReport

BLUE, RED, GREY, GREEN = "#2b6cb0", "#c53030", "#a0aec0", "#2f855a"
ONLINE_BANDS = tuple((lo, lo + 10) for lo in range(0, 100, 10))  # equal bands: bar heights compare


# The outcome of the month's alarms, in the order a case moves; the colours run from open (warm) to done (green).
OUTCOMES = (
    ("pending", "待响应", "#c53030"),
    ("responded", "企业已响应", "#dd6b20"),
    ("dispatched", "已派发执法分局", "#d69e2e"),
    ("verified", "已核查", "#3182ce"),
    ("closed", "已办结", "#2f855a"),
    ("retracted", "已撤销", "#a0aec0"),
)


def alarms_by_rule(ax: Axes, report: MonthlyReport, top: int = 10) -> None:
    """One bar per rule, stacked by the state its alarms are in when the report is made (the outcome)."""
    rows = report.rules[:top][::-1]
    ax.set_title("报警数（按规则与办理结果，前十）", fontsize=11)
    if not rows:
        ax.text(0.5, 0.5, "本月无报警", ha="center", va="center", fontsize=12, transform=ax.transAxes)
        ax.set_axis_off()
        return
    names = [r.name if len(r.name) <= 16 else r.name[:15] + "…" for r in rows]
    left = [0] * len(rows)
    for state, label, colour in OUTCOMES:
        values = [r.by_state.get(state, 0) for r in rows]
        if any(values):
            ax.barh(names, values, left=left, color=colour, label=label)
            left = [a + b for a, b in zip(left, values, strict=True)]
    for y, r in enumerate(rows):
        ax.text(r.total, y, f" {r.total}", va="center", fontsize=8)
    ax.set_xlim(0, max(r.total for r in rows) * 1.12)  # room for the totals
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=3, frameon=False)
    _counts(ax, "x")


def _counts(ax: Axes, axis: str) -> None:
    """Counts are whole numbers: integer ticks only, small labels, no top/right frame."""
    (ax.xaxis if axis == "x" else ax.yaxis).set_major_locator(MaxNLocator(integer=True))
    ax.tick_params(labelsize=8)
    ax.spines[["top", "right"]].set_visible(False)


def time_limits(ax: Axes, report: MonthlyReport) -> None:
    limits = (report.response, report.investigation)
    names = ["企业响应（2小时）", "分局核查（24小时）"]
    left = [0, 0]
    for key, label, colour in (("within", "按时", GREEN), ("over", "超时", RED), ("running", "未到时限", GREY)):
        values = [getattr(t, key) for t in limits]
        ax.barh(names, values, left=left, color=colour, label=label)
        left = [a + b for a, b in zip(left, values, strict=True)]
    ax.set_title("办理时限", fontsize=11)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=3, frameon=False)
    _counts(ax, "x")


def online_rates(ax: Axes, report: MonthlyReport) -> None:
    rates = [e.online_rate * 100 for e in report.enterprises if e.online_rate is not None]
    ax.set_title("企业在线率分布（按终端在线小时计）", fontsize=11)
    if not rates:
        ax.text(0.5, 0.5, "无监测点位数据", ha="center", va="center", fontsize=12, transform=ax.transAxes)
        ax.set_axis_off()
        return
    bands = ONLINE_BANDS
    counts = [sum(1 for r in rates if lo <= r < hi or (hi == 100 and r == 100)) for lo, hi in bands]
    bars = ax.bar([f"{lo}–{hi}%" for lo, hi in bands], counts, color=BLUE, edgecolor="white")
    ax.bar_label(bars, padding=2, fontsize=8)
    ax.set_xlabel("在线率（%）", fontsize=9)
    ax.set_ylabel("企业数", fontsize=9)
    _counts(ax, "y")


def campaign(ax: Axes, report: MonthlyReport) -> None:
    rows = [*report.campaign, ("豁免", report.exempt)]
    bars = ax.bar([label for label, _ in rows], [n for _, n in rows], color=BLUE)
    ax.bar_label(bars, padding=2, fontsize=8)
    ax.set_title("安装进度（企业数）", fontsize=11)
    _counts(ax, "y")
