"""The trial run (附件2.5) judged from daily completeness: the working days after the day of first data, each at
or above the threshold, `trial_workdays` of them in a row pass; the first day below fails, with the reason."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import date, timedelta

from monitoring._time import china_day
from monitoring.campaign.models import Campaign, TrialDay, TrialOutcome, TrialRun
from monitoring.reports.workdays import is_workday


def trial_days(started_on: date, today: date, count: int) -> list[date]:
    """The working days the trial is judged on, up to `count`, that are complete before `today` (Beijing).

    The day of first data is partial, so the first judged day is the next working day."""
    days: list[date] = []
    d = started_on
    while len(days) < count:
        d += timedelta(days=1)
        if d >= today:
            break
        if is_workday(d):
            days.append(d)
    return days


def evaluate_trial(campaign: Campaign, trial: TrialRun, completeness: Mapping[date, float], today: date) -> TrialRun:
    """The trial as of `today` (a pure function of its inputs: the job may run it any number of times).

    `completeness`: the day's lowest completeness over the enterprise's points; a day missing from it had no
    data at all (0 %) — a trial needs data, so a gap fails it (it is not read as a stop)."""
    if trial.outcome is not TrialOutcome.RUNNING:
        return trial
    judged: list[TrialDay] = []
    for day in trial_days(china_day(trial.started_at), today, campaign.trial_workdays):
        share = max(0.0, min(1.0, completeness.get(day, 0.0)))
        judged.append(TrialDay(day, share))
        if share < campaign.trial_threshold:
            reason = (
                f"{day.isoformat()} 数据完整率 {share * 100:.1f}%，"
                f"低于 {campaign.trial_threshold * 100:.0f}%（试运行第 {len(judged)} 个工作日）"
            )
            return dataclasses.replace(
                trial, outcome=TrialOutcome.FAILED, days=tuple(judged), reason=reason, ended_on=day
            )
    if len(judged) == campaign.trial_workdays:
        reason = f"连续 {campaign.trial_workdays} 个工作日数据完整率均不低于 {campaign.trial_threshold * 100:.0f}%"
        return dataclasses.replace(
            trial, outcome=TrialOutcome.PASSED, days=tuple(judged), reason=reason, ended_on=judged[-1].day
        )
    return dataclasses.replace(trial, days=tuple(judged))
