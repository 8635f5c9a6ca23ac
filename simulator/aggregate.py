"""Minute, hour and day statistics per channel, closed when a sample falls into the next period.

More: docs/simulator.md, "Module notes".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from operator import itemgetter

from simulator.profile import Profile, channel_code, fmt

RUN_THRESHOLD_KW = 0.5  # a channel counts as running (SB-RS = 1) above this |P|


def period_start(kind: str, t: datetime, minutes: int) -> datetime:
    """Start of the period containing t (DataTime of minute/hour/day data is the period start)."""
    if kind == "minute":
        day = t.replace(hour=0, minute=0, second=0, microsecond=0)
        return day + timedelta(minutes=((t - day).seconds // 60) // minutes * minutes)
    if kind == "hour":
        return t.replace(minute=0, second=0, microsecond=0)
    return t.replace(hour=0, minute=0, second=0, microsecond=0)


def period_length(kind: str, minutes: int) -> timedelta:
    return {"minute": timedelta(minutes=minutes), "hour": timedelta(hours=1), "day": timedelta(days=1)}[kind]


@dataclass
class ChannelStats:
    lo: dict[str, float] = field(default_factory=dict)
    hi: dict[str, float] = field(default_factory=dict)
    total: dict[str, float] = field(default_factory=dict)
    first: dict[str, float] = field(default_factory=dict)
    n: int = 0
    run_s: float = 0.0

    def add(self, values: dict[str, float], dt_s: float) -> None:
        if self.n == 0:
            self.first = dict(values)
            self.lo, self.hi, self.total = dict(values), dict(values), dict(values)
        else:
            lo, hi, total = self.lo, self.hi, self.total
            for k, v in values.items():
                if v < lo[k]:
                    lo[k] = v
                elif v > hi[k]:
                    hi[k] = v
                total[k] += v
        self.n += 1
        if abs(values.get("P", 0.0)) >= RUN_THRESHOLD_KW:
            self.run_s += dt_s

    def merge(self, other: ChannelStats) -> None:
        """Fold a finished shorter period in (hour and day statistics are built from minutes)."""
        if other.n == 0:
            return
        if self.n == 0:
            self.first, self.lo, self.hi, self.total = (
                dict(other.first),
                dict(other.lo),
                dict(other.hi),
                dict(other.total),
            )
        else:
            for k, v in other.lo.items():
                if v < self.lo[k]:
                    self.lo[k] = v
            for k, v in other.hi.items():
                if v > self.hi[k]:
                    self.hi[k] = v
            for k, v in other.total.items():
                self.total[k] += v
        self.n += other.n
        self.run_s += other.run_s


@dataclass
class Closed:
    """A finished period: what to upload."""

    kind: str
    start: datetime
    items: dict[int, list[str]]  # channel → rendered items
    run_hours: dict[int, float]
    stats: dict[int, ChannelStats]


class PeriodAggregator:
    """Accumulates samples for one period kind (minute, hour or day) across a terminal's channels."""

    def __init__(self, kind: str, profile: Profile, sample_s: float, minutes: int = 1) -> None:
        self.kind, self.profile, self.sample_s, self.minutes = kind, profile, sample_s, minutes
        self.start: datetime | None = None
        self.stats: dict[int, ChannelStats] = {}
        self._layouts: dict[tuple[int, str], _Layout] = {}
        self._span: tuple[int, datetime, datetime] | None = None  # (minutes, start, end) of the last bucket

    def add(self, t: datetime, per_channel: dict[int, dict[str, float]]) -> Closed | None:
        """Add one sample (labelled t); returns the previous period if t starts a new one."""
        span = self._span
        if span is not None and span[0] == self.minutes and span[1] <= t < span[2]:
            bucket = span[1]  # still the period of the previous sample (period_start would say the same)
        else:
            bucket = period_start(self.kind, t, self.minutes)
            self._span = (self.minutes, bucket, bucket + period_length(self.kind, self.minutes))
        closed = None
        if self.start is not None and bucket != self.start:
            closed = self._close(per_channel)
        if self.start is None or bucket != self.start:
            self.start, self.stats = bucket, {}
        stats = self.stats
        for ch, values in per_channel.items():
            st = stats.get(ch)
            if st is None:  # (setdefault would build a ChannelStats per sample only to drop it)
                st = stats[ch] = ChannelStats()
            st.add(values, self.sample_s)
        return closed

    def add_period(self, closed: Closed) -> Closed | None:
        """Fold in a closed shorter period; returns this aggregator's period if `closed` starts a new one."""
        bucket = period_start(self.kind, closed.start, self.minutes)
        result = None
        if self.start is not None and bucket != self.start:
            result = self._close({ch: st.first for ch, st in closed.stats.items()})
        if self.start is None or bucket != self.start:
            self.start, self.stats = bucket, {}
        for ch, st in closed.stats.items():
            mine = self.stats.get(ch)
            if mine is None:
                mine = self.stats[ch] = ChannelStats()
            mine.merge(st)
        return result

    def _close(self, end_values: dict[int, dict[str, float]]) -> Closed:
        assert self.start is not None
        expected = period_length(self.kind, self.minutes).total_seconds() / self.sample_s
        items: dict[int, list[str]] = {}
        for ch, st in self.stats.items():
            flag = "N" if st.n >= 0.75 * expected else "D"
            end = end_values.get(ch)
            key = (ch, flag)
            layout = self._layouts.get(key)
            if layout is None:
                layout = self._layouts[key] = _period_layout(self.profile, self.kind, ch, flag)
            template, get_lo, get_hi, get_avg, counters, cou_codes, last_codes = layout
            hi, n = st.hi, st.n
            last = {}
            if counters:
                first = st.first
                for c in counters:
                    last[c] = end[c] if end is not None and end[c] >= hi[c] else hi[c]
                cou = [last[c] - first[c] for c in cou_codes]
            else:
                cou = []
            args = [
                *get_lo(st.lo),
                *get_hi(hi),
                *[x / n for x in get_avg(st.total)],
                *cou,
                *[last[c] for c in last_codes],
            ]
            text = template.format(*args)
            # A negative zero must print as zero (fmt): rare, so only then render item by item.
            items[ch] = self._close_items(st, ch, end, flag) if "=-0" in text else text.split("\n")
        run_hours = {ch: st.run_s / 3600.0 for ch, st in self.stats.items()}
        return Closed(self.kind, self.start, items, run_hours, self.stats)

    def _close_items(self, st: ChannelStats, ch: int, end: dict[str, float] | None, flag: str) -> list[str]:
        """One channel's items, value by value (the reference rendering)."""
        fields = self.profile.fields[self.kind]
        out: list[str] = []
        for q in self.profile.quantities:
            code, d = channel_code(q.code, ch), q.decimals
            parts = []
            for f in fields[q.kind]:
                if f == "Flag":
                    parts.append(f"{code}-Flag={flag}")
                elif q.kind == "counter" and f in ("Cou", "Max"):
                    last = end[q.code] if end is not None and end[q.code] >= st.hi[q.code] else st.hi[q.code]
                    val = last - st.first[q.code] if f == "Cou" else last
                    parts.append(f"{code}-{f}={fmt(val, d)}")
                elif f == "Min":
                    parts.append(f"{code}-Min={fmt(st.lo[q.code], d)}")
                elif f == "Max":
                    parts.append(f"{code}-Max={fmt(st.hi[q.code], d)}")
                elif f == "Avg":
                    parts.append(f"{code}-Avg={fmt(st.total[q.code] / st.n, d)}")
            out.append(",".join(parts))
        return out


_LO, _HI, _AVG, _COU, _LAST = range(5)
# template, getters of the Min, Max and Avg-total values, counter codes, codes of the Cou and of the counter Max values
_Layout = tuple[
    str,
    Callable[[dict[str, float]], tuple[float, ...]],
    Callable[[dict[str, float]], tuple[float, ...]],
    Callable[[dict[str, float]], tuple[float, ...]],
    tuple[str, ...],
    tuple[str, ...],
    tuple[str, ...],
]


def _period_layout(profile: Profile, kind: str, ch: int, flag: str) -> _Layout:
    """A format template of one channel's period items (newline-separated) and what fills each placeholder
    (shared by every terminal's aggregators: remembered per profile, kind, channel and flag)."""
    key = (id(profile), kind, ch, flag)
    cached = _PERIOD_LAYOUTS.get(key)
    if cached is None or cached[0] is not profile:
        if len(_PERIOD_LAYOUTS) > 256:
            _PERIOD_LAYOUTS.clear()
        cached = _PERIOD_LAYOUTS[key] = (profile, _build_period_layout(profile, kind, ch, flag))
    return cached[1]


_PERIOD_LAYOUTS: dict[tuple[int, str, int, str], tuple[Profile, _Layout]] = {}


def _getter(codes: list[str]) -> Callable[[dict[str, float]], tuple[float, ...]]:
    if len(codes) > 1:
        return itemgetter(*codes)
    if codes:
        one = codes[0]
        return lambda d: (d[one],)
    return lambda d: ()


def _build_period_layout(profile: Profile, kind: str, ch: int, flag: str) -> _Layout:
    # The placeholders are numbered by group (all Min values, then Max, Avg, Cou, counter Max), so that
    # the arguments are gathered a group at a time.
    fields = profile.fields[kind]
    groups: dict[int, list[str]] = {op: [] for op in (_LO, _HI, _AVG, _COU, _LAST)}
    slots: list[list[tuple[int, int] | str]] = []
    for q in profile.quantities:
        code = channel_code(q.code, ch)
        parts: list[tuple[int, int] | str] = []
        for f in fields[q.kind]:
            if f == "Flag":
                parts.append(f"{code}-Flag={flag}")
                continue
            if q.kind == "counter" and f in ("Cou", "Max"):
                op = _COU if f == "Cou" else _LAST
            elif f in ("Min", "Max", "Avg"):
                op = {"Min": _LO, "Max": _HI, "Avg": _AVG}[f]
            else:
                continue  # a field the reference rendering ignores too
            parts.append(f"{code}-{f}=")
            parts.append((op, len(groups[op])))
            groups[op].append(q.code)
        slots.append(parts)
    offset, start = {}, 0
    for op in (_LO, _HI, _AVG, _COU, _LAST):
        offset[op], start = start, start + len(groups[op])
    decimals = {q.code: q.decimals for q in profile.quantities}
    items = []
    for parts in slots:
        text, fields_text = "", []
        for part in parts:
            if isinstance(part, str):
                if part.endswith("="):
                    text = part
                else:
                    fields_text.append(part)
            else:
                op, k = part
                fields_text.append(f"{text}{{{offset[op] + k}:.{decimals[groups[op][k]]}f}}")
        items.append(",".join(fields_text))
    counters = tuple(dict.fromkeys(groups[_COU] + groups[_LAST]))
    return (
        "\n".join(items),
        _getter(groups[_LO]),
        _getter(groups[_HI]),
        _getter(groups[_AVG]),
        counters,
        tuple(groups[_COU]),
        tuple(groups[_LAST]),
    )


def realtime_items(profile: Profile, per_channel: dict[int, dict[str, float]], flag: str = "N") -> list[str]:
    """Items of a real-time (2011) upload."""
    channels = tuple(sorted(per_channel))
    key = (id(profile), channels, flag)
    cached = _RT_LAYOUTS.get(key)
    if cached is None or cached[0] is not profile:
        if len(_RT_LAYOUTS) > 64:
            _RT_LAYOUTS.clear()
        template, codes = _realtime_layout(profile, channels, flag)
        cached = _RT_LAYOUTS[key] = (profile, template, _getter(codes))
    _, template, get = cached
    if len(channels) == 1:
        text = template.format(*get(per_channel[channels[0]]))
    else:
        text = template.format(*[v for ch in channels for v in get(per_channel[ch])])
    # A negative zero must print as zero (fmt): rare, so only then render item by item.
    return _realtime_items_slow(profile, per_channel, flag) if "=-0" in text else text.split("\n")


# (id(profile), channels, flag) → (profile, template, getter of one channel's placeholder values)
_RT_LAYOUTS: dict[
    tuple[int, tuple[int, ...], str], tuple[Profile, str, Callable[[dict[str, float]], tuple[float, ...]]]
] = {}


def _realtime_layout(profile: Profile, channels: tuple[int, ...], flag: str) -> tuple[str, list[str]]:
    fields = profile.fields["realtime"]
    items: list[str] = []
    codes: list[str] = []
    n = 0
    for ch in channels:
        for q in profile.quantities:
            code = channel_code(q.code, ch)
            parts = []
            for f in fields[q.kind]:
                if f == "Flag":
                    parts.append(f"{code}-Flag={flag}")
                else:
                    parts.append(f"{code}-{f}={{{n}:.{q.decimals}f}}")
                    n += 1
                    if ch == channels[0]:
                        codes.append(q.code)
            items.append(",".join(parts))
    return "\n".join(items), codes


def _realtime_items_slow(profile: Profile, per_channel: dict[int, dict[str, float]], flag: str = "N") -> list[str]:
    out = []
    fields = profile.fields["realtime"]
    for ch, values in sorted(per_channel.items()):
        for q in profile.quantities:
            code = channel_code(q.code, ch)
            out.append(
                ",".join(
                    f"{code}-Flag={flag}" if f == "Flag" else f"{code}-{f}={fmt(values[q.code], q.decimals)}"
                    for f in fields[q.kind]
                )
            )
    return out
