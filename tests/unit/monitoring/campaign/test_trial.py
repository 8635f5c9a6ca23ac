"""The trial run on the official calendar: 7 working days after the day of first data, each day's completeness at
or above the threshold; holidays (国庆 2022) are skipped and adjusted working days (10-08, 10-09) count."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from monitoring.campaign.defaults import default_campaign
from monitoring.campaign.models import TrialOutcome, TrialRun
from monitoring.campaign.trial import evaluate_trial, trial_days

CAMPAIGN = default_campaign()
# First data on Thursday 2022-09-29, 10:00 Beijing time.
STARTED = TrialRun(started_at=datetime(2022, 9, 29, 2, 0, tzinfo=UTC))
JUDGED = [date(2022, 9, 30), date(2022, 10, 8), date(2022, 10, 9), *(date(2022, 10, d) for d in range(10, 14))]


def _all_days(share: float) -> dict[date, float]:
    return {date(2022, 9, 29) + timedelta(days=i): share for i in range(30)}


def test_the_judged_days_skip_the_national_day_holiday_and_count_its_adjusted_working_days() -> None:
    assert trial_days(date(2022, 9, 29), date(2022, 11, 1), 7) == JUDGED
    assert trial_days(date(2022, 9, 29), date(2022, 10, 9), 7) == JUDGED[:2]  # 10-09 is not complete yet


def test_seven_good_working_days_pass_on_the_seventh() -> None:
    done = evaluate_trial(CAMPAIGN, STARTED, _all_days(0.95), date(2022, 10, 14))
    assert done.outcome is TrialOutcome.PASSED
    assert done.ended_on == date(2022, 10, 13)
    assert [d.day for d in done.days] == JUDGED
    early = evaluate_trial(CAMPAIGN, STARTED, _all_days(0.95), date(2022, 10, 13))
    assert early.outcome is TrialOutcome.RUNNING and len(early.days) == 6


def test_a_bad_holiday_does_not_count_but_a_bad_adjusted_working_day_fails_with_the_reason() -> None:
    shares = _all_days(0.95) | {date(2022, 10, 3): 0.0}
    assert evaluate_trial(CAMPAIGN, STARTED, shares, date(2022, 10, 14)).outcome is TrialOutcome.PASSED
    shares[date(2022, 10, 8)] = 0.85
    failed = evaluate_trial(CAMPAIGN, STARTED, shares, date(2022, 10, 14))
    assert failed.outcome is TrialOutcome.FAILED
    assert failed.ended_on == date(2022, 10, 8)
    assert "2022-10-08" in failed.reason and "85.0%" in failed.reason and "第 2 个工作日" in failed.reason


def test_a_day_without_any_data_fails_the_trial_and_a_decided_trial_stays_decided() -> None:
    shares = _all_days(0.95)
    del shares[date(2022, 10, 10)]
    failed = evaluate_trial(CAMPAIGN, STARTED, shares, date(2022, 10, 20))
    assert failed.outcome is TrialOutcome.FAILED and failed.ended_on == date(2022, 10, 10)
    assert evaluate_trial(CAMPAIGN, failed, _all_days(1.0), date(2022, 10, 30)) == failed


def test_the_threshold_is_inclusive() -> None:
    assert evaluate_trial(CAMPAIGN, STARTED, _all_days(0.9), date(2022, 10, 14)).outcome is TrialOutcome.PASSED
    assert evaluate_trial(CAMPAIGN, STARTED, _all_days(0.899), date(2022, 10, 14)).outcome is TrialOutcome.FAILED
