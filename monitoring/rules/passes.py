"""The passes of one enterprise's evaluation beyond the per-minute rules: slow (flat-line), hourly (emergency
measures) and daily (completeness, daily energy, baselines, over-production).
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta

from monitoring.alarms.models import Alarm
from monitoring.evaluation.context import MINUTE, Context
from monitoring.evaluation.models import PointInfo
from monitoring.reports.workdays import CHINA
from monitoring.rules import baseline, curtailment, enterprise, tamper, terminal
from monitoring.rules.enterprise_tick import EnterpriseTick
from monitoring.rules.state_docs import DailyFigures


def baselines_of(daily: DailyFigures, points: Sequence[PointInfo]) -> dict[str, dict[int, float]]:
    """Learned baselines from the enterprise's daily figures; commissioning values until a day has been learned."""
    out: dict[str, dict[int, float]] = {}
    for p in points:
        learned = daily.baselines.get(p.id)
        if learned:
            out[p.id] = {int(h): float(v) for h, v in learned.items()}
        elif p.commissioning_kw is not None:
            out[p.id] = dict.fromkeys(range(24), p.commissioning_kw)
    return out


def slow_pass(ev: EnterpriseTick, ws: datetime) -> list[Alarm]:
    """Flat-line over hours: the context reaches back the longest min_hours of the enterprise's points."""
    points = ev.points
    hours = max(ev.params("tamper_flatline", point=p.id)["min_hours"] for p in points) if points else 0
    start = min(ws, ev.horizon - timedelta(hours=hours, minutes=30))
    ctx = ev.context(start, ev.horizon)
    return ev.reconcile(tamper.flatline(ctx), {"tamper_flatline"}, start)


def hourly_pass(ev: EnterpriseTick, ws: datetime) -> list[Alarm]:
    """Emergency measures, judged per minute from the start of the interval containing ws; the context reaches
    back `lead` minutes more so that a streak's start and the previous interval's verdict are seen."""
    info, we = ev.enterprise, ev.horizon
    prm = ev.params("emergency_violation")
    step = int(prm["interval_min"]) or 60
    start = ws - timedelta(minutes=(ws.hour * 60 + ws.minute) % step)
    if not any(a.covers(info.id, info.town) and a.start < we and a.end > start for a in ev.emergency.alerts):
        return []
    lead = curtailment.lead_minutes(prm)
    ctx = ev.context(start - lead * MINUTE, we)
    return ev.reconcile(curtailment.emergency_violation(ctx, lead), {"emergency_violation"}, start)


def learn_day(
    daily: DailyFigures, points: Sequence[PointInfo], ctx: Context, day: date, bl: Mapping[str, float]
) -> None:
    days, min_days = int(bl["days"]), int(bl["min_days"])
    for p in points:
        hist = daily.profiles.setdefault(p.id, {})
        hist[day.isoformat()] = baseline.day_profile(ctx, p.id)
        daily.profiles[p.id] = baseline.trim(hist, days)
        learned = baseline.learn(p, daily.profiles[p.id], days, min_days)
        daily.baselines[p.id] = {str(h): v for h, v in learned.items()}


def day_start(d: date) -> datetime:
    return datetime.combine(d, time(0), CHINA)


def daily_pass(ev: EnterpriseTick, daily: DailyFigures) -> None:
    """Run the daily rules for each completed local day not yet done (staggered per enterprise)."""
    info, horizon, points = ev.enterprise, ev.horizon, ev.points
    stagger = timedelta(minutes=ev.params("evaluation")["daily_grace_min"] + zlib.crc32(info.id.encode()) % 60)
    last_complete = (horizon - stagger).astimezone(CHINA).date() - timedelta(days=1)
    if daily.day_done is None:
        # First evaluation of this enterprise: daily rules start with the first whole day from now on, so
        # the days before the platform watched it are not flagged as empty.
        daily.day_done = last_complete
        return
    day = daily.day_done + timedelta(days=1)
    bl = ev.params("baseline")
    while day <= last_complete:
        start = day_start(day).astimezone(horizon.tzinfo)
        ctx = ev.context(
            start, day_start(day + timedelta(days=1)).astimezone(horizon.tzinfo), baselines_of(daily, points)
        )
        subjects = {(f"point:{p.id}", "data_incomplete") for p in points}
        ev.reconcile(terminal.data_incomplete(ctx, day.isoformat()), {"data_incomplete"}, ctx.start, subjects)
        prm = ev.params("over_production")
        energy, expected = enterprise.daily_energy(ctx), enterprise.daily_baseline_kwh(ctx)
        daily.days[day.isoformat()] = {"energy": energy, "baseline_kwh": expected}
        daily.days = baseline.trim(daily.days, 60)
        # A day far above its baseline does not teach the baseline: otherwise an unauthorised expansion
        # would become the new normal within min_days and never be reported.
        if expected is None or energy["production"] <= prm["factor"] * expected:
            learn_day(daily, points, ctx, day, bl)
        history = {date.fromisoformat(k): v for k, v in daily.days.items()}
        over = enterprise.over_production(info.id, history, prm["factor"], int(prm["min_days"]), day_start)
        ev.reconcile(over, {"over_production"}, day_start(min(history)), {(f"enterprise:{info.id}", "over_production")})
        daily.day_done = day
        day += timedelta(days=1)
