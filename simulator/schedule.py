"""Working schedules: when production runs (shifts, weekends, lunch breaks) and when control follows it.

A schedule answers "is this circuit switched on at t, and since when" from weekly shift patterns plus the
scenario's forced windows. Control circuits behave by starting `lead` minutes before production and
stopping `lag` minutes after it; scenarios bend those numbers (wrong start order) or cut control out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

Interval = tuple[datetime, datetime]

# Weekly patterns: weekday (0 = Monday) → list of (start minute, end minute) within the day.
_DAY = [(8 * 60, 12 * 60), (13 * 60, 17 * 60 + 30)]
SHIFT_PATTERNS: dict[str, dict[int, list[tuple[int, int]]]] = {
    "day": {d: _DAY for d in range(5)},
    "day_sat": {d: _DAY for d in range(6)},
    "two_shift": {d: [(6 * 60, 22 * 60)] for d in range(6)},
    "continuous": {d: [(0, 24 * 60)] for d in range(7)},
}


def _merge(intervals: Iterable[Interval]) -> list[Interval]:
    out: list[Interval] = []
    for s, e in sorted(i for i in intervals if i[1] > i[0]):
        if out and s <= out[-1][1]:
            if e > out[-1][1]:
                out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out


def _subtract(intervals: Sequence[Interval], holes: Sequence[Interval]) -> list[Interval]:
    out = list(intervals)
    for hs, he in holes:
        nxt: list[Interval] = []
        for s, e in out:
            if he <= s or hs >= e:
                nxt.append((s, e))
                continue
            if s < hs:
                nxt.append((s, hs))
            if he < e:
                nxt.append((he, e))
        out = nxt
    return out


@dataclass(frozen=True)
class ProductionSchedule:
    """Production on/off from a shift pattern, with forced-on and forced-off windows on top."""

    pattern: str
    forced_on: tuple[Interval, ...] = ()
    forced_off: tuple[Interval, ...] = ()

    def __post_init__(self) -> None:
        if self.pattern not in SHIFT_PATTERNS:
            raise ValueError(f"unknown shift pattern {self.pattern!r}; known: {sorted(SHIFT_PATTERNS)}")

    def _pattern_day(self, d: date) -> list[Interval]:
        base = datetime.combine(d, time())
        return [
            (base + timedelta(minutes=s), base + timedelta(minutes=e))
            for s, e in SHIFT_PATTERNS[self.pattern].get(d.weekday(), [])
        ]

    def intervals_around(self, t: datetime) -> list[Interval]:
        """Merged production intervals covering at least t − 1 day … t + 1 day."""
        days = [t.date() + timedelta(days=k) for k in (-2, -1, 0, 1)]
        raw = [iv for d in days for iv in self._pattern_day(d)]
        lo, hi = t - timedelta(days=2), t + timedelta(days=2)
        raw += [iv for iv in self.forced_on if iv[1] > lo and iv[0] < hi]
        return _subtract(_merge(raw), [iv for iv in self.forced_off if iv[1] > lo and iv[0] < hi])


def widen(intervals: Sequence[Interval], lead_min: float = 0.0, lag_min: float = 0.0) -> list[Interval]:
    """Intervals widened by lead before and lag after (negative values narrow them), merged."""
    lead, lag = timedelta(minutes=lead_min), timedelta(minutes=lag_min)
    return _merge((s - lead, e + lag) for s, e in intervals)


def since_in(merged: Sequence[Interval], t: datetime) -> datetime | None:
    """The start of the (merged) interval containing t, if any."""
    for s, e in merged:
        if s <= t < e:
            return s
    return None


def on_since(
    intervals: Sequence[Interval], t: datetime, lead_min: float = 0.0, lag_min: float = 0.0
) -> datetime | None:
    """If t falls in an interval widened by lead before and lag after, return that interval's (widened) start.

    Negative lead/lag narrow the interval: a control circuit with lead = −20 starts 20 minutes after production.
    """
    return since_in(widen(intervals, lead_min, lag_min), t)
