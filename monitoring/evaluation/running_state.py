"""Per-point running state (RUN/STOP/UNKNOWN) from readings, with hysteresis and a confirmation window.

More: docs/rules.md, "Module notes".
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitoring.evaluation.models import PointInfo, RunState, Sample

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


def classify(samples: Sequence[Sample], th: Thresholds, ts: Sequence[float] | None = None) -> list[int]:
    """The confirmed state (RunState value) after each sample (UNKNOWN for bad or empty samples), in order.

    Written for speed (it runs for every point every minute): plain ints and float seconds, no helpers.
    """
    run, stop, unknown = int(RunState.RUN), int(RunState.STOP), int(RunState.UNKNOWN)
    memory, coverage, confirm = th.memory.total_seconds(), th.coverage.total_seconds(), th.confirm
    p_on, p_off, i_on, i_off = th.p_on, th.p_off, th.i_on, th.i_off
    p_mid, i_mid = (p_on + p_off) / 2, (i_on + i_off) / 2
    out: list[int] = []
    last_out_cls, last_out_at = unknown, -1e18
    streak_cls, streak_len = unknown, 0
    prev_at = -1e18
    confirmed, confirmed_at = unknown, -1e18
    stamps = ts if ts is not None else [s.at.timestamp() for s in samples]
    for s, t in zip(samples, stamps, strict=True):
        value = s.p
        if s.flag != "N" or (value is None and s.ia is None and s.ib is None and s.ic is None):
            out.append(unknown)
            streak_len, prev_at = 0, -1e18
            continue
        if value is not None:
            # A reversed CT flips the sign of P, not the load (tamper_negative_power flags the wiring).
            value = -value if value < 0 else value
            on, off, mid = p_on, p_off, p_mid
        else:
            value = max(c for c in (s.ia, s.ib, s.ic) if c is not None)
            on, off, mid = i_on, i_off, i_mid
        if value >= on:
            cls = last_out_cls = run
            last_out_at = t
        elif value <= off:
            cls = last_out_cls = stop
            last_out_at = t
        elif t - last_out_at <= memory:
            cls = last_out_cls
        else:
            cls = run if value >= mid else stop
        if cls == streak_cls and t - prev_at <= coverage:
            streak_len += 1
        else:
            streak_cls, streak_len = cls, 1
        prev_at = t
        if streak_len >= confirm:
            if streak_len == confirm:
                # A change is dated at its first agreeing sample, not at the one that confirms it.
                out[len(out) - confirm + 1 :] = [cls] * (confirm - 1)
            confirmed, confirmed_at = cls, t
        out.append(confirmed if t - confirmed_at <= memory else unknown)
    return out


def minute_index(
    samples: Sequence[Sample], coverage: timedelta, start: datetime, n: int, ts: Sequence[float] | None = None
) -> list[int]:
    """For each minute start+m, the index of the sample covering it, or -1.

    A sample covers [its time, min(its time + coverage, the next sample's time)); minutes are covered when
    they begin inside that span.
    """
    out = [-1] * n
    start_s = start.timestamp()
    cov = coverage.total_seconds()
    stamps = ts if ts is not None else [s.at.timestamp() for s in samples]
    last_i = len(stamps) - 1
    # Warm-up readings end before the window: skip them without arithmetic.
    first = bisect.bisect_left(stamps, start_s - cov)
    for idx in range(first, last_i + 1):
        t = stamps[idx]
        until = t + cov
        if idx < last_i and stamps[idx + 1] < until:
            until = stamps[idx + 1]
        lo = max(int((t - start_s) // 60), 0)
        hi = min(-int((start_s - until) // 60), n)  # ceil: minutes beginning before `until`
        if lo < hi:
            out[lo:hi] = [idx] * (hi - lo)
        elif lo >= n:
            break
    return out


def minute_states(
    samples: Sequence[Sample],
    th: Thresholds,
    start: datetime,
    n: int,
    index: list[int] | None = None,
    ts: Sequence[float] | None = None,
) -> bytearray:
    """RunState per minute for minutes start, start+1, ..., start+n-1 (samples sorted by time)."""
    states = classify(samples, th, ts)
    idx = index if index is not None else minute_index(samples, th.coverage, start, n, ts)
    return bytearray(states[i] if i >= 0 else 0 for i in idx)


def minute_values(
    samples: Sequence[Sample], attr: str, coverage: timedelta, start: datetime, n: int, index: list[int] | None = None
) -> list[float | None]:
    """A reading's field per minute over its coverage (None where no good sample with the field covers it)."""
    vals = [getattr(s, attr) if s.flag == "N" else None for s in samples]
    idx = index if index is not None else minute_index(samples, coverage, start, n)
    return [vals[i] if i >= 0 else None for i in idx]
