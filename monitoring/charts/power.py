"""Production vs control power of one line (治理线) over a window, episode shaded, thresholds drawn: PNG and PDF.

Data gaps are drawn as breaks (never bridged, never zero), judged against the data's own spacing. Output is
byte-stable for the same input (no dates or versions), so an evidence package that contains it can be hashed.
"""

from __future__ import annotations

import io
import statistics
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final, cast

from monitoring._time import CHINA, require_utc
from monitoring.charts.fonts import cjk_rc
from monitoring.errors import InvalidInputError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

PRODUCTION_COLOUR: Final = "#1f5fa8"
CONTROL_COLOUR: Final = "#2b8a3e"
EPISODE_COLOUR: Final = "#e03131"
GAP_FACTOR: Final = 2.5  # one or two lost uploads still read as a line; a longer silence is a hole
MIN_GAP: Final = timedelta(minutes=3)
MAX_POINTS: Final = 50_000  # per curve: a month of minute data is 44,640
_DPI: Final = 120
_SIZE_IN: Final = (11.0, 6.5)
_LOCK = threading.Lock()  # matplotlib's rc settings are process-global


@dataclass(frozen=True, slots=True)
class Curve:
    """One point's power over the window: (time, kW) in time order; consecutive samples further apart than
    `max_gap` are a gap in the data and the line breaks there. None: GAP_FACTOR × the median spacing of the
    samples (terminals upload every 1–10 minutes), at least MIN_GAP."""

    label: str
    samples: Sequence[tuple[datetime, float]]
    max_gap: timedelta | None = None

    def __post_init__(self) -> None:
        if len(self.samples) > MAX_POINTS:
            raise InvalidInputError(f"曲线「{self.label}」数据点过多（上限 {MAX_POINTS}）")
        if self.max_gap is not None and self.max_gap <= timedelta(0):
            raise InvalidInputError("max_gap must be positive")

    def gap(self) -> timedelta:
        """The spacing beyond which two samples are not joined."""
        if self.max_gap is not None:
            return self.max_gap
        steps = [(b[0] - a[0]).total_seconds() for a, b in zip(self.samples, self.samples[1:], strict=False)]
        steps = [s for s in steps if s > 0]
        if not steps:
            return MIN_GAP
        return max(MIN_GAP, timedelta(seconds=statistics.median(steps) * GAP_FACTOR))


@dataclass(frozen=True, slots=True)
class Threshold:
    """A horizontal line on the production (`on_production=True`) or the control panel."""

    label: str
    kw: float
    on_production: bool


@dataclass(frozen=True, slots=True)
class PowerChart:
    title: str
    start: datetime
    end: datetime
    production: Sequence[Curve]
    control: Sequence[Curve]
    episode_start: datetime | None = None
    episode_end: datetime | None = None  # None with a start: the condition still held at the window's end
    thresholds: Sequence[Threshold] = field(default_factory=tuple)
    subtitle: str = ""
    episode_label: str = "告警时段"

    def __post_init__(self) -> None:
        start = require_utc(self.start, "chart.start")
        end = require_utc(self.end, "chart.end")
        if end <= start:
            raise InvalidInputError("图表时间窗口无效：结束时间必须晚于开始时间")
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)


def render_png(chart: PowerChart) -> bytes:
    """The chart as a PNG (1320×780 px)."""
    return _render(chart, "png", {"Software": None})


def render_pdf(chart: PowerChart) -> bytes:
    """The chart as a one-page PDF with the font embedded (text stays text)."""
    return _render(chart, "pdf", {"Creator": None, "Producer": None, "CreationDate": None, "ModDate": None})


def _render(chart: PowerChart, fmt: str, metadata: dict[str, None]) -> bytes:
    import matplotlib

    matplotlib.use("Agg", force=False)  # never a window, whoever imported pyplot before
    from matplotlib.figure import Figure

    with _LOCK, matplotlib.rc_context(cast(Any, cjk_rc() | {"path.simplify": False})):
        fig = Figure(figsize=_SIZE_IN, dpi=_DPI, layout="constrained")
        top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(1, 1))
        _panel(top, chart, chart.production, "产污设施功率 (kW)", PRODUCTION_COLOUR, on_production=True)
        _panel(bottom, chart, chart.control, "治污设施功率 (kW)", CONTROL_COLOUR, on_production=False)
        _time_axis(bottom, chart)
        fig.suptitle(chart.title, fontsize=15, fontweight="bold")
        if chart.subtitle:
            top.set_title(chart.subtitle, fontsize=10, loc="left", color="#444444")
        out = io.BytesIO()
        fig.savefig(out, format=fmt, metadata=metadata, dpi=_DPI, facecolor="white")
        return out.getvalue()


def _panel(
    ax: Axes, chart: PowerChart, curves: Sequence[Curve], ylabel: str, colour: str, *, on_production: bool
) -> None:
    styles = ("-", "--", ":", "-.")
    for index, curve in enumerate(curves):
        xs, ys = _with_breaks(curve)
        ax.plot(xs, ys, styles[index % len(styles)], color=colour, linewidth=1.3, label=curve.label)
        lone = _lone(xs, ys)
        if lone:  # a sample with a gap on both sides draws no line: a dot shows it
            ax.plot([x for x, _ in lone], [y for _, y in lone], "o", color=colour, markersize=3.5)
        if not curve.samples:
            ax.plot([], [], color=colour, label=f"{curve.label}（窗口内无数据）")
    mine = [t for t in chart.thresholds if t.on_production == on_production]
    for index, threshold in enumerate(mine):
        dash = ("--", ":", "-.")[index % 3]
        ax.axhline(threshold.kw, color="#e8590c", linestyle=dash, linewidth=1.1, label=threshold.label)
    if chart.episode_start is not None:
        span_end = chart.episode_end or chart.end
        ax.axvspan(
            _num(max(chart.episode_start, chart.start)),
            _num(min(span_end, chart.end)),
            color=EPISODE_COLOUR,
            alpha=0.13,
            label=chart.episode_label,
            linewidth=0,
        )
    ax.set_ylabel(ylabel)
    highest = max(
        [kw for curve in curves for _, kw in curve.samples]
        + [t.kw for t in chart.thresholds if t.on_production == on_production]
        + [1.0]
    )
    ax.set_ylim(-highest * 0.03, highest * 1.3)  # a stopped facility's 0 kW stays visible above the axis; legend room
    ax.set_xlim(_num(chart.start), _num(chart.end))
    ax.grid(True, color="#dddddd", linewidth=0.6)
    ax.legend(loc="upper right", fontsize=8, framealpha=0.9)


def _num(at: datetime) -> float:
    from matplotlib import dates

    return float(dates.date2num(at))  # type: ignore[no-untyped-call]


def _with_breaks(curve: Curve) -> tuple[list[float], list[float]]:
    """NaN between samples further apart than max_gap: matplotlib leaves a hole there."""
    xs: list[float] = []
    ys: list[float] = []
    previous: datetime | None = None
    max_gap = curve.gap()
    for at, kw in curve.samples:
        at = require_utc(at, "chart sample time")
        if previous is not None and at - previous > max_gap:
            xs.append(_num(previous + (at - previous) / 2))
            ys.append(float("nan"))
        xs.append(_num(at))
        ys.append(float(kw))
        previous = at
    return xs, ys


def _lone(xs: Sequence[float], ys: Sequence[float]) -> list[tuple[float, float]]:
    """The samples with a break (NaN) or the curve's end on both sides."""
    out: list[tuple[float, float]] = []
    for i, y in enumerate(ys):
        if y != y:  # NaN
            continue
        before = i == 0 or ys[i - 1] != ys[i - 1]
        after = i == len(ys) - 1 or ys[i + 1] != ys[i + 1]
        if before and after:
            out.append((xs[i], y))
    return out


def _time_axis(ax: Axes, chart: PowerChart) -> None:
    from matplotlib import dates

    span = chart.end - chart.start
    pattern = "%H:%M" if span <= timedelta(hours=36) else "%m-%d %H:%M"
    ax.xaxis.set_major_locator(dates.AutoDateLocator(tz=CHINA, minticks=4, maxticks=10))  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_formatter(dates.DateFormatter(pattern, tz=CHINA))  # type: ignore[no-untyped-call]
    first = chart.start.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")
    last = chart.end.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")
    ax.set_xlabel(f"北京时间（{first} 至 {last}）")
