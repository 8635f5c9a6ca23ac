"""A point's latest readings and its series: minute data up to 24 h, hourly aggregates (mean/min/max) beyond.

Windows are bounded (31 days, so at most 1,440 minute rows or 744 hourly buckets) and every gap longer than
twice the sending interval is reported as a gap (无数据), never bridged and never read as zero.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from monitoring.errors import InvalidInputError, NotFoundError
from monitoring.readings.models import QUANTITIES, AggregatePeriod, Reading, ReadingKind
from monitoring.readings.rollup import hour_start
from monitoring.registry.models import MonitoringPoint, check_id
from monitoring.storage.ports import Store
from monitoring.views.series_cache import SeriesCache

MINUTE_RESOLUTION: Final = "minute"
HOUR_RESOLUTION: Final = "hour"
MAX_RAW_SPAN: Final = timedelta(hours=24)
MAX_SPAN: Final = timedelta(days=31)
MAX_QUANTITIES: Final = 8
DEFAULT_QUANTITIES: Final = ("p",)
# realtime data (every 30 s or faster) is the fallback of a point without minute data: 2,880 rows cover 24 h at 30 s
_RAW_LIMIT: Final = 2_880


def visible_point(store: Store, point_id: str, visible: frozenset[str] | None) -> MonitoringPoint:
    """The point, or NotFoundError when it does not exist or its enterprise lies outside the caller's scope."""
    check_id(point_id, "point_id")
    try:
        point = store.registry.get_point(point_id)
    except NotFoundError:
        point = None
    if point is None or (visible is not None and point.enterprise_id not in visible):
        raise NotFoundError(f"点位 {point_id} 不存在")
    return point


def latest(
    store: Store, point_id: str, *, visible: frozenset[str] | None
) -> tuple[MonitoringPoint, dict[ReadingKind, Reading]]:
    """The point and the newest reading of each kind it has (realtime, minute, hour, day)."""
    point = visible_point(store, point_id, visible)
    return point, store.readings.latest_all_kinds(point.point_id)


@dataclass(frozen=True, slots=True)
class SeriesRow:
    """One minute sample (values only) or one hourly bucket (mean in values, with min/max and sample count)."""

    at: datetime
    values: Mapping[str, float]
    minimum: Mapping[str, float] | None = None
    maximum: Mapping[str, float] | None = None
    samples: int = 1
    energy_kwh: float | None = None
    flags: Mapping[str, str] | None = None  # quantities whose HJ 212 flag is not N (the value is doubtful)


@dataclass(frozen=True, slots=True)
class Series:
    point: MonitoringPoint
    start: datetime
    end: datetime
    resolution: str
    quantities: tuple[str, ...]
    rows: Sequence[SeriesRow]
    gaps: Sequence[tuple[datetime, datetime]]  # [start, end) spans without data


def check_quantities(names: Sequence[str]) -> tuple[str, ...]:
    wanted = tuple(dict.fromkeys(names)) or DEFAULT_QUANTITIES
    unknown = [n for n in wanted if n not in QUANTITIES]
    if unknown:
        raise InvalidInputError(f"未知的电参量: {', '.join(unknown[:3])}")
    if len(wanted) > MAX_QUANTITIES:
        raise InvalidInputError(f"一次最多查询 {MAX_QUANTITIES} 个电参量")
    return wanted


def check_window(start: datetime, end: datetime, now: datetime) -> tuple[datetime, datetime]:
    if start.tzinfo is None or end.tzinfo is None:
        raise InvalidInputError("时间须带时区（如 +08:00）")
    try:
        start, end = start.astimezone(UTC), min(end.astimezone(UTC), now)
    except OverflowError:  # year 1 or 9999 with an offset: outside what any series can hold
        raise InvalidInputError("时间超出范围") from None
    if not start < end:
        raise InvalidInputError("开始时间须早于结束时间（且早于现在）")
    if end - start > MAX_SPAN:
        raise InvalidInputError("查询时段不能超过 31 天")
    return start, end


def point_series(
    store: Store,
    point_id: str,
    start: datetime,
    end: datetime,
    *,
    quantities: Sequence[str] = DEFAULT_QUANTITIES,
    visible: frozenset[str] | None,
    now: datetime,
    cache: SeriesCache[SeriesRow] | None = None,
) -> Series:
    """The point's series over [start, end) (end capped at now); minute rows up to 24 h, hourly buckets beyond,
    and for a window reaching back past the store's minute-reading retention (AWS: 35 days), whose minutes are gone
    while the hourly buckets are kept. `cache` (the API keeps one) holds hot points' minute rows between calls."""
    point = visible_point(store, point_id, visible)
    wanted = check_quantities(quantities)
    start, end = check_window(start, end, now)
    kept = store.retention.minute_days
    if end - start <= MAX_RAW_SPAN and (kept is None or start >= now - timedelta(days=kept)):
        return _minute_series(store, point, start, end, wanted, cache)
    return _hour_series(store, point, start, end, wanted)


def _interval(store: Store, point: MonitoringPoint, kind: ReadingKind) -> timedelta:
    if kind is ReadingKind.REALTIME:
        terminal = store.registry.find_terminal(point.mn) if point.mn else None
        seconds = terminal.realtime_interval_s if terminal and terminal.realtime_interval_s else 30
        return timedelta(seconds=seconds)
    terminal = store.registry.find_terminal(point.mn) if point.mn else None
    return timedelta(minutes=terminal.minute_interval_min if terminal and terminal.minute_interval_min else 1)


def gaps_between(
    times: Sequence[datetime], start: datetime, end: datetime, step: timedelta
) -> list[tuple[datetime, datetime]]:
    """Uncovered spans of [start, end): each sample at `times` (ascending) covers [t, t + step); one missed sample
    is tolerated, two or more make a gap. The tail tolerates two (the newest data is still on its way)."""
    out: list[tuple[datetime, datetime]] = []
    covered = start
    for t in times:
        if t - covered > step:
            out.append((covered, t))
        covered = max(covered, t + step)
    if end - covered > 2 * step:
        out.append((covered, end))
    return out


def _minute_series(
    store: Store,
    point: MonitoringPoint,
    start: datetime,
    end: datetime,
    wanted: tuple[str, ...],
    cache: SeriesCache[SeriesRow] | None,
) -> Series:
    def load(kind: str | None, lo: datetime, hi: datetime) -> tuple[str, list[SeriesRow]]:
        # minute data when the point has any in the window, else its realtime samples
        for k in (ReadingKind.MINUTE, ReadingKind.REALTIME) if kind is None else (ReadingKind(kind),):
            found = store.readings.values(point.point_id, k, lo, hi, wanted, limit=_RAW_LIMIT)
            if found:
                return k.value, [SeriesRow(r.data_time, r.values, flags=r.flags or None) for r in found]
        return kind or ReadingKind.MINUTE.value, []

    if cache is None:
        kind, rows = load(None, start, end)
    else:
        kind, rows = cache.rows((point.point_id, wanted), start, end, load)
    step = _interval(store, point, ReadingKind(kind))
    gaps = gaps_between([r.at for r in rows if r.values], start, end, step)
    return Series(point, start, end, MINUTE_RESOLUTION, wanted, rows, gaps)


def _hour_series(
    store: Store, point: MonitoringPoint, start: datetime, end: datetime, wanted: tuple[str, ...]
) -> Series:
    first = hour_start(start)
    aggregates = store.readings.aggregates(point.point_id, AggregatePeriod.HOUR, first, end)
    rows = []
    for a in aggregates:
        if a.samples == 0:
            continue
        stats = {q: a.stats[q] for q in wanted if q in a.stats}
        rows.append(
            SeriesRow(
                a.start,
                {q: round(s.mean, 6) for q, s in stats.items()},
                {q: s.minimum for q, s in stats.items()},
                {q: s.maximum for q, s in stats.items()},
                a.samples,
                a.energy_kwh,
            )
        )
    gaps = gaps_between([r.at for r in rows], first, end, timedelta(hours=1))
    return Series(point, first, end, HOUR_RESOLUTION, wanted, rows, gaps)
