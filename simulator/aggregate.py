"""Minute, hour and day statistics per channel, closed when a sample falls into the next period.

Instants get Min/Avg/Max over the samples; energy counters get Cou (increment over the period, from the
register at the period start to the register at the next period's start) and Max (the reading at the
end); demand gets its maximum. A period with less than 75 % of its samples (terminal unpowered) is
flagged D, after the HJ 212-2017 rule for flue-gas periods (表C.16 notes).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import reduce
from operator import add

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


class ChannelStats:
    """Min, max, sum and first values of one channel over a period.

    Samples (and, for hour and day, finished shorter periods) are only kept as they come and folded once,
    column by column, when the period's figures are first read: far cheaper than updating ~45 running
    minima, maxima and sums per sample. The fold gives exactly what running updates would (the same
    comparisons keep the first of equal values, the sums add in the same order).
    """

    __slots__ = ("_samples", "_parts", "_folded", "_lo", "_hi", "_total", "first", "n", "run_s")

    def __init__(self) -> None:
        self._samples: list[dict[str, float]] = []  # sample values (each its own lo, hi and total)
        self._parts: list[ChannelStats] = []  # or finished shorter periods
        self._folded = True
        self._lo: dict[str, float] = {}
        self._hi: dict[str, float] = {}
        self._total: dict[str, float] = {}
        self.first: dict[str, float] = {}
        self.n = 0
        self.run_s = 0.0

    def add(self, values: dict[str, float], dt_s: float) -> None:
        # The caller hands over a fresh dict per sample and never changes it afterwards.
        if self.n == 0:
            self.first = dict(values)
        self._samples.append(values)
        self._folded = False
        self.n += 1
        if abs(values.get("P", 0.0)) >= RUN_THRESHOLD_KW:
            self.run_s += dt_s

    def merge(self, other: ChannelStats) -> None:
        """Fold a finished shorter period in (hour and day statistics are built from minutes)."""
        if other.n == 0:
            return
        if self.n == 0:
            self.first = dict(other.first)
        self._parts.append(other)
        self._folded = False
        self.n += other.n
        self.run_s += other.run_s

    @property
    def lo(self) -> dict[str, float]:
        self._fold()
        return self._lo

    @property
    def hi(self) -> dict[str, float]:
        self._fold()
        return self._hi

    @property
    def total(self) -> dict[str, float]:
        self._fold()
        return self._total

    def _fold(self) -> None:
        if self._folded:
            return
        self._folded = True
        if self._samples and not self._lo:
            # Samples only (the usual minute): one transposition serves all three folds.
            rows = self._samples
            keys = rows[0].keys()
            if all(r.keys() == keys for r in rows):
                columns = list(zip(*(r.values() for r in rows), strict=True))
                self._lo = dict(zip(keys, map(min, columns), strict=True))
                self._hi = dict(zip(keys, map(max, columns), strict=True))
                self._total = dict(zip(keys, map(_sum, columns), strict=True))
                self._samples = []
                return
        if self._samples:
            los = his = totals = self._samples
        else:
            los = [p.lo for p in self._parts]
            his = [p.hi for p in self._parts]
            totals = [p.total for p in self._parts]
        if self._lo:  # folded before and grown since: continue from the running figures
            los, his, totals = [self._lo, *los], [self._hi, *his], [self._total, *totals]
        self._lo, self._hi, self._total = _column_fold(los, min), _column_fold(his, max), _column_fold(totals, _sum)
        self._samples, self._parts = [], []


def _sum(column: tuple[float, ...]) -> float:
    # Left to right, like a running total (sum() of floats may compensate on newer Pythons).
    return reduce(add, column)


def _column_fold(rows: list[dict[str, float]], fn: Callable[[tuple[float, ...]], float]) -> dict[str, float]:
    keys = rows[0].keys()
    if all(r.keys() == keys for r in rows):
        # The meter builds every sample with the same keys in the same order: fold by column.
        return dict(zip(keys, map(fn, zip(*(r.values() for r in rows), strict=True)), strict=True))
    return {k: fn(tuple(r[k] for r in rows)) for k in keys}


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
        self._layouts: dict[tuple[int, str], tuple[str, list[tuple[int, str]]]] = {}

    def add(self, t: datetime, per_channel: dict[int, dict[str, float]]) -> Closed | None:
        """Add one sample (labelled t); returns the previous period if t starts a new one."""
        bucket = period_start(self.kind, t, self.minutes)
        closed = None
        if self.start is not None and bucket != self.start:
            closed = self._close(per_channel)
        if self.start is None or bucket != self.start:
            self.start, self.stats = bucket, {}
        for ch, values in per_channel.items():
            self.stats.setdefault(ch, ChannelStats()).add(values, self.sample_s)
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
            self.stats.setdefault(ch, ChannelStats()).merge(st)
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
                layout = self._layouts[key] = _period_layout(self.profile, self.kind, ch, flag)[1:]
            template, ops = layout
            lo, hi, total, first, n = st.lo, st.hi, st.total, st.first, st.n
            args: list[float] = []
            for op, c in ops:
                if op == _LO:
                    args.append(lo[c])
                elif op == _HI:
                    args.append(hi[c])
                elif op == _AVG:
                    args.append(total[c] / n)
                else:
                    last = end[c] if end is not None and end[c] >= hi[c] else hi[c]
                    args.append(last - first[c] if op == _COU else last)
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


def _period_layout(profile: Profile, kind: str, ch: int, flag: str) -> tuple[Profile, str, list[tuple[int, str]]]:
    """A format template of one channel's period items (newline-separated) and what fills each placeholder
    (shared by every terminal's aggregators: remembered per profile, kind, channel and flag)."""
    key = (id(profile), kind, ch, flag)
    cached = _PERIOD_LAYOUTS.get(key)
    if cached is None or cached[0] is not profile:
        if len(_PERIOD_LAYOUTS) > 256:
            _PERIOD_LAYOUTS.clear()
        cached = _PERIOD_LAYOUTS[key] = (profile, *_build_period_layout(profile, kind, ch, flag))
    return cached


_PERIOD_LAYOUTS: dict[tuple[int, str, int, str], tuple[Profile, str, list[tuple[int, str]]]] = {}


def _build_period_layout(profile: Profile, kind: str, ch: int, flag: str) -> tuple[str, list[tuple[int, str]]]:
    fields = profile.fields[kind]
    items: list[str] = []
    ops: list[tuple[int, str]] = []
    for q in profile.quantities:
        code = channel_code(q.code, ch)
        parts = []
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
            parts.append(f"{code}-{f}={{{len(ops)}:.{q.decimals}f}}")
            ops.append((op, q.code))
        items.append(",".join(parts))
    return "\n".join(items), ops


def realtime_items(profile: Profile, per_channel: dict[int, dict[str, float]], flag: str = "N") -> list[str]:
    """Items of a real-time (2011) upload."""
    channels = tuple(sorted(per_channel))
    key = (id(profile), channels, flag)
    cached = _RT_LAYOUTS.get(key)
    if cached is None or cached[0] is not profile:
        if len(_RT_LAYOUTS) > 64:
            _RT_LAYOUTS.clear()
        cached = _RT_LAYOUTS[key] = (profile, *_realtime_layout(profile, channels, flag))
    _, template, codes = cached
    args = [per_channel[ch][c] for ch in channels for c in codes]
    text = template.format(*args)
    # A negative zero must print as zero (fmt): rare, so only then render item by item.
    return _realtime_items_slow(profile, per_channel, flag) if "=-0" in text else text.split("\n")


# (id(profile), channels, flag) → (profile, template, codes of the placeholders per channel)
_RT_LAYOUTS: dict[tuple[int, tuple[int, ...], str], tuple[Profile, str, list[str]]] = {}


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
