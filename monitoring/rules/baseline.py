"""Baselines: each point's running power by local hour of day, learned from recent running days.

Each completed day contributes, per local hour, the mean power over the minutes the point was RUN (only if
it ran at least `MIN_RUN_MINUTES` that hour). The baseline of an hour is the median of the last `days` daily
values once at least `min_days` exist; until then the commissioning value (调试时实测运行功率) seeds it.
"""

from __future__ import annotations

from collections.abc import Mapping
from statistics import median
from typing import Any

from monitoring.evaluation.context import Context
from monitoring.evaluation.models import PointInfo, RunState

MIN_RUN_MINUTES = 30


def day_profile(ctx: Context, point_id: str) -> dict[str, float]:
    """Mean running power per local hour for a context covering one local day ({"0": kW, ...})."""
    states, power = ctx.states(point_id), ctx.values(point_id, "p")
    sums: dict[int, list[float]] = {}
    for m in range(ctx.n):
        v = power[m]
        if states[m] == RunState.RUN and v is not None:
            sums.setdefault((ctx.at(m).hour + 8) % 24, []).append(abs(v))  # as running state: |P|
    return {str(h): round(sum(v) / len(v), 4) for h, v in sums.items() if len(v) >= MIN_RUN_MINUTES}


def learn(point: PointInfo, history: Mapping[str, Mapping[str, float]], days: int, min_days: int) -> dict[int, float]:
    """Baseline kW per local hour from {day: {hour: kW}}; commissioning value where history is too thin."""
    recent = [history[d] for d in sorted(history)[-days:]]
    out: dict[int, float] = {}
    for h in range(24):
        vals = [prof[str(h)] for prof in recent if str(h) in prof]
        if len(vals) >= min_days:
            out[h] = round(median(vals), 4)
        elif point.commissioning_kw is not None:
            out[h] = point.commissioning_kw
    return out


def trim(history: dict[str, Any], days: int) -> dict[str, Any]:
    """Keep the last `days` days of a per-day history."""
    return {d: history[d] for d in sorted(history)[-days:]}
