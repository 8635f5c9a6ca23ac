"""Per-point running state (RUN/STOP/UNKNOWN) from readings, with hysteresis and a confirmation window.

Theory of operation. The state of a point at minute t must be a pure function of the readings, not of when
evaluation happened to start, so that a restart or a re-evaluation after late data gives the same answer.
Plain hysteresis ("keep the previous state while in the band") remembers arbitrarily far back, so memory is
bounded by `memory_min` (H):

1. Each good sample is classified: RUN if P >= p_on, STOP if P <= p_off (p_off = off_ratio * p_on); inside
   the band it takes the class of the last out-of-band sample no older than H, else RUN/STOP by the midpoint.
   Without power, phase currents are used against i_on / i_off the same way.
2. A class is *confirmed* by `confirm_samples` consecutive samples agreeing (a gap longer than the sample's
   coverage breaks the streak). The state is the most recently confirmed class, if confirmed within H.
3. A minute not covered by a good sample (coverage = interval * coverage_factor) is UNKNOWN, whatever came
   before: a data gap is never a stop.

So the state at t depends only on readings in [t - 2H, t]; evaluation warms up 2H before its window.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitoring.rules.models import PointInfo, RunState, Sample

_MINUTE = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class Thresholds:
    p_on: float
    p_off: float
    i_on: float
    i_off: float
    confirm: int
    memory: timedelta
    coverage: timedelta


def thresholds_for(point: PointInfo, params: dict[str, float]) -> Thresholds:
    """On/off thresholds of one point from its rating and the running_state parameters."""
    p_on = max(params["on_share_rated"] * (point.rated_kw or 0.0), params["on_min_kw"])
    i_on = max(params["on_share_rated_current"] * (point.rated_a or 0.0), params["on_min_a"])
    ratio = params["off_ratio"]
    coverage_s = max(60.0, point.interval_s * params["coverage_factor"])
    return Thresholds(
        p_on=p_on,
        p_off=p_on * ratio,
        i_on=i_on,
        i_off=i_on * ratio,
        confirm=max(1, int(params["confirm_samples"])),
        memory=timedelta(minutes=params["memory_min"]),
        coverage=timedelta(seconds=coverage_s),
    )


def _level(sample: Sample) -> tuple[float, bool] | None:
    """The quantity used for classification: (value, is_power). None when the sample carries neither."""
    if sample.p is not None:
        return sample.p, True
    currents = [c for c in (sample.ia, sample.ib, sample.ic) if c is not None]
    if currents:
        return max(currents), False
    return None


def classify(samples: Sequence[Sample], th: Thresholds) -> list[RunState]:
    """The confirmed state after each sample (UNKNOWN for bad or empty samples), in sample order."""
    out: list[RunState] = []
    last_out_cls = RunState.UNKNOWN
    last_out_at: datetime | None = None
    streak_cls = RunState.UNKNOWN
    streak_len = 0
    prev_at: datetime | None = None
    confirmed = RunState.UNKNOWN
    confirmed_at: datetime | None = None
    for s in samples:
        lv = _level(s) if s.good else None
        if lv is None:
            out.append(RunState.UNKNOWN)
            streak_len = 0
            prev_at = None
            continue
        value, is_power = lv
        on, off = (th.p_on, th.p_off) if is_power else (th.i_on, th.i_off)
        if value >= on:
            cls = RunState.RUN
            last_out_cls, last_out_at = cls, s.at
        elif value <= off:
            cls = RunState.STOP
            last_out_cls, last_out_at = cls, s.at
        elif last_out_at is not None and s.at - last_out_at <= th.memory:
            cls = last_out_cls
        else:
            cls = RunState.RUN if value >= (on + off) / 2 else RunState.STOP
        contiguous = prev_at is not None and s.at - prev_at <= th.coverage
        if cls == streak_cls and contiguous:
            streak_len += 1
        else:
            streak_cls, streak_len = cls, 1
        prev_at = s.at
        if streak_len >= th.confirm:
            confirmed, confirmed_at = cls, s.at
        if confirmed_at is not None and s.at - confirmed_at <= th.memory:
            out.append(confirmed)
        else:
            out.append(RunState.UNKNOWN)
    return out


def minute_states(samples: Sequence[Sample], th: Thresholds, start: datetime, n: int) -> bytearray:
    """RunState per minute for minutes start, start+1, ..., start+n-1 (samples sorted by time)."""
    states = classify(samples, th)
    out = bytearray(n)  # zero == UNKNOWN
    for idx, s in enumerate(samples):
        st = states[idx]
        if st == RunState.UNKNOWN:
            continue
        first = int((s.at - start) // _MINUTE)
        next_at = samples[idx + 1].at if idx + 1 < len(samples) else None
        until = s.at + th.coverage
        if next_at is not None and next_at < until:
            until = next_at
        last = int(-((start - until) // _MINUTE))  # ceil: minutes strictly before `until`
        lo, hi = max(first, 0), min(last, n)
        if lo < hi:
            out[lo:hi] = bytes([int(st)]) * (hi - lo)
    return out


def minute_values(
    samples: Sequence[Sample], attr: str, coverage: timedelta, start: datetime, n: int
) -> list[float | None]:
    """A reading's field held per minute over its coverage (None where no good sample covers the minute)."""
    out: list[float | None] = [None] * n
    for idx, s in enumerate(samples):
        value = getattr(s, attr)
        if value is None or not s.good:
            continue
        first = int((s.at - start) // _MINUTE)
        next_at = samples[idx + 1].at if idx + 1 < len(samples) else None
        until = s.at + coverage
        if next_at is not None and next_at < until:
            until = next_at
        last = int(-((start - until) // _MINUTE))
        for m in range(max(first, 0), min(last, n)):
            out[m] = value
    return out
