"""Campaign steps on a real sqlite store: one step at a time with the registry's status, versions, the filing limit
on working days (across 国庆 2022 and a weekend), exemptions, the audit trail, and the daily job."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest

from monitoring.campaign.models import Campaign, LateStep, Step, StepRecord, SurveyRecord, TrialOutcome
from monitoring.campaign.progress import progress
from monitoring.campaign.service import (
    Actor,
    filing_due,
    load_file,
    network_check,
    record_acceptance,
    record_filing,
    record_installation,
    record_survey,
    restart_trial,
    run_daily,
    set_exemption,
)
from monitoring.errors import ConflictError, InvalidInputError
from monitoring.readings.models import Reading, ReadingKind
from monitoring.registry.models import ExemptionReason, FacilityKind, InstallStatus, MonitoringPoint
from monitoring.storage.ports import Store
from tests.unit.monitoring.campaign.world import CLERK, beijing, build, data_days

INSTALLER = Actor("acct-inst-1", "installer", "miniprogram")


def _survey(day: date) -> SurveyRecord:
    return SurveyRecord(beijing(day), "acct-inst-1", ("混料机", "布袋除尘器"), ("混料机进线", "除尘风机"))


def _status(store: Store, eid: str) -> InstallStatus:
    return store.registry.get_enterprise(eid).install_status


def _to_installed(store: Store, campaign: Campaign, eid: str, day: date) -> None:
    now = beijing(day, 18)
    record_survey(store, campaign, eid, _survey(day), actor=INSTALLER, now=now, expected_version=0)
    record_installation(store, campaign, eid, StepRecord(beijing(day, 15), "acct-inst-1"), actor=INSTALLER, now=now,
                        expected_version=1)  # fmt: skip


def test_steps_go_one_at_a_time_with_the_registry_status_and_a_stale_version_is_refused() -> None:
    store, campaign = build()
    day = date(2022, 9, 26)
    with pytest.raises(ConflictError, match="已勘察"):
        record_installation(store, campaign, "e1", StepRecord(beijing(day), "x"), actor=INSTALLER, now=beijing(day, 18))
    saved = record_survey(
        store, campaign, "e1", _survey(day), actor=INSTALLER, now=beijing(day, 18), expected_version=0
    )
    assert saved.version == 1 and _status(store, "e1") is InstallStatus.SURVEYED
    with pytest.raises(ConflictError, match="刷新"):
        record_installation(store, campaign, "e1", StepRecord(beijing(day, 15), "x"), actor=INSTALLER,
                            now=beijing(day, 18), expected_version=0)  # fmt: skip
    with pytest.raises(InvalidInputError, match="晚于现在"):
        record_survey(store, campaign, "e2", _survey(day), actor=INSTALLER, now=beijing(day, 9))
    record_installation(store, campaign, "e1", StepRecord(beijing(day, 15), "x"), actor=INSTALLER,
                        now=beijing(day, 18), expected_version=1)  # fmt: skip
    assert _status(store, "e1") is InstallStatus.INSTALLED
    with pytest.raises(ConflictError, match="试运行"):  # not even in the trial run yet
        record_acceptance(store, campaign, "e1", StepRecord(beijing(day, 16), "王科长"), actor=CLERK,
                          now=beijing(day, 18))  # fmt: skip
    actions = [r.action for r in store.audit_trail.query(since=beijing(day, 0), until=beijing(day, 23))[0]]
    assert sorted(actions) == ["campaign.install", "campaign.survey"]  # same instant: order by random record id


def test_the_daily_job_networks_starts_and_passes_the_trial_across_the_national_day_holiday() -> None:
    store, campaign = build()
    _to_installed(store, campaign, "e1", date(2022, 9, 26))
    data_days(store, "e1-p1", date(2022, 9, 29), 20)
    # one point without data: not 已联网 yet (a good frame is needed for every planned point)
    assert run_daily(store, campaign, beijing(date(2022, 9, 30), 1)).networked == []
    assert _status(store, "e1") is InstallStatus.INSTALLED
    data_days(store, "e1-p2", date(2022, 9, 29), 20)
    first = run_daily(store, campaign, beijing(date(2022, 9, 30), 1))
    assert (first.networked, first.trials_started) == (["e1"], [])
    # 已联网 lasts the rest of the day (附件2.5: online first, then the trial): later runs that day keep it
    for hour in (2, 12, 23):
        assert run_daily(store, campaign, beijing(date(2022, 9, 30), hour)).trials_started == []
        assert _status(store, "e1") is InstallStatus.NETWORKED
    assert run_daily(store, campaign, beijing(date(2022, 10, 1), 0)).trials_started == ["e1"]
    assert _status(store, "e1") is InstallStatus.TRIAL_RUN
    trial = load_file(store, campaign, "e1").trial
    assert trial is not None and trial.started_at == beijing(date(2022, 9, 29), 9)
    for day in (date(2022, 10, 1), date(2022, 10, 8), date(2022, 10, 13)):
        assert run_daily(store, campaign, beijing(day, 1)).passed == []
    done = run_daily(store, campaign, beijing(date(2022, 10, 14), 1))
    assert done.passed == ["e1"]
    trial = load_file(store, campaign, "e1").trial
    assert trial is not None and trial.outcome is TrialOutcome.PASSED and trial.ended_on == date(2022, 10, 13)
    again = run_daily(store, campaign, beijing(date(2022, 10, 15), 1))  # idempotent
    assert (again.passed, again.failed) == ([], [])
    since, until = beijing(date(2022, 9, 1)), beijing(date(2022, 11, 1))
    actions = {r.action for r in store.audit_trail.query(since=since, until=until, actor_id="system")[0]}
    assert actions == {"campaign.networked", "campaign.trial_start", "campaign.trial_passed"}


def test_a_failed_trial_says_why_and_can_be_restarted() -> None:
    store, campaign = build()
    _to_installed(store, campaign, "e1", date(2022, 11, 1))
    data_days(store, "e1-p1", date(2022, 11, 2), 20)
    data_days(store, "e1-p2", date(2022, 11, 2), 2)  # p2 falls silent after 11-03
    run_daily(store, campaign, beijing(date(2022, 11, 3), 1))
    result = run_daily(store, campaign, beijing(date(2022, 11, 10), 1))
    assert result.failed == ["e1"]
    file = load_file(store, campaign, "e1")
    assert file.trial is not None and "2022-11-04" in file.trial.reason and "0.0%" in file.trial.reason
    restarted = restart_trial(store, campaign, "e1", actor=INSTALLER, now=beijing(date(2022, 11, 10), 9),
                              expected_version=file.version)  # fmt: skip
    assert len(restarted.trials) == 2 and restarted.trial is not None
    assert restarted.trial.outcome is TrialOutcome.RUNNING


def _accepted(store: Store, campaign: Campaign, eid: str, day: date) -> None:
    _to_installed(store, campaign, eid, day - timedelta(days=30))  # long enough for 7 working days over 国庆
    data_days(store, f"{eid}-p1", day - timedelta(days=29), 29)
    data_days(store, f"{eid}-p2", day - timedelta(days=29), 29)
    run_daily(store, campaign, beijing(day - timedelta(days=28), 1))
    run_daily(store, campaign, beijing(day, 1))
    trial = load_file(store, campaign, eid).trial
    assert trial is not None and trial.outcome is TrialOutcome.PASSED
    record_acceptance(store, campaign, eid, StepRecord(beijing(day, 10), "王科长", "资料齐全"), actor=CLERK,
                      now=beijing(day, 11))  # fmt: skip


def test_filing_is_due_five_working_days_after_acceptance_over_the_holiday_and_late_is_flagged() -> None:
    store, campaign = build()
    assert filing_due(campaign, beijing(date(2022, 9, 30))) == date(2022, 10, 12)  # 10-08, 10-09 are working days
    assert filing_due(campaign, beijing(date(2022, 11, 17))) == date(2022, 11, 24)  # over a weekend
    _accepted(store, campaign, "e1", date(2022, 9, 30))
    on_time = record_filing(store, campaign, "e1", at=beijing(date(2022, 10, 12), 17), by="王科长", actor=CLERK,
                            now=beijing(date(2022, 10, 12), 18))  # fmt: skip
    assert on_time.filing is not None and (on_time.filing.due, on_time.filing.late) == (date(2022, 10, 12), False)
    assert _status(store, "e1") is InstallStatus.FILED
    _accepted(store, campaign, "e2", date(2022, 9, 30))
    late = record_filing(store, campaign, "e2", at=beijing(date(2022, 10, 13), 9), by="王科长", actor=CLERK,
                         now=beijing(date(2022, 10, 13), 10))  # fmt: skip
    assert late.filing is not None and late.filing.late


def test_an_exempt_enterprise_takes_no_step_until_the_exemption_is_lifted() -> None:
    store, campaign = build()
    now = beijing(date(2022, 9, 26), 18)
    set_exemption(store, "e3", ExemptionReason.LONG_TERM_SHUTDOWN, approver="王科长", note="停产两年", actor=CLERK,
                  now=now)  # fmt: skip
    exemption = store.registry.get_enterprise("e3").exemption
    assert exemption is not None and exemption.approved_by == "王科长" and exemption.approved_at == now
    with pytest.raises(InvalidInputError, match="豁免"):
        record_survey(store, campaign, "e3", _survey(date(2022, 9, 26)), actor=INSTALLER, now=now)
    set_exemption(store, "e3", None, approver="", actor=CLERK, now=now)
    record_survey(store, campaign, "e3", _survey(date(2022, 9, 26)), actor=INSTALLER, now=now)
    actions = [r.action for r in store.audit_trail.query(since=now - timedelta(hours=1), until=now + timedelta(1))[0]]
    assert sorted(actions) == ["campaign.exempt", "campaign.exemption_revoke", "campaign.survey"]


def test_the_first_day_of_data_counts_before_it_closes() -> None:
    store, campaign = build()
    _to_installed(store, campaign, "e1", date(2022, 11, 1))
    first = beijing(date(2022, 11, 2), 9)
    for point in ("e1-p1", "e1-p2"):  # minute data this morning; no completeness row yet (the day is open)
        store.readings.put_readings(
            [Reading(point, first + timedelta(minutes=i), ReadingKind.MINUTE, {"p": 12.0}) for i in range(30)]
        )
    done = run_daily(store, campaign, beijing(date(2022, 11, 2), 10))
    assert (done.networked, done.trials_started) == (["e1"], [])
    assert run_daily(store, campaign, beijing(date(2022, 11, 3), 1)).trials_started == ["e1"]
    trial = load_file(store, campaign, "e1").trial
    assert trial is not None and trial.started_at == first


def test_networked_needs_every_planned_point_registered_and_the_shortfall_is_said() -> None:
    store, campaign = build()
    day = date(2022, 9, 26)
    plan = SurveyRecord(beijing(day), "acct-inst-1", ("混料机", "布袋除尘器"), ("混料机进线", "除尘风机", "引风机"))
    record_survey(store, campaign, "e1", plan, actor=INSTALLER, now=beijing(day, 18), expected_version=0)
    record_installation(store, campaign, "e1", StepRecord(beijing(day, 15), "acct-inst-1"), actor=INSTALLER,
                        now=beijing(day, 18), expected_version=1)  # fmt: skip
    for p in ("e1-p1", "e1-p2"):  # both registered points send data, the third planned one is not registered
        data_days(store, p, date(2022, 9, 27), 3)
    now = beijing(date(2022, 9, 29), 1)
    check = network_check(store, load_file(store, campaign, "e1"), "e1", now)
    assert (check.planned, check.registered, check.with_data, check.shortfall) == (3, 2, 2, 1)
    assert not check.complete and "勘察拟装 3 个点位，已登记 2 个，缺 1 个" in check.text
    assert run_daily(store, campaign, now).networked == []
    assert _status(store, "e1") is InstallStatus.INSTALLED
    store.registry.put_point(MonitoringPoint("e1-p3", "e1", "e1-f", "PC-e1-3", "引风机", FacilityKind.PRODUCTION))
    assert run_daily(store, campaign, now).networked == []  # registered, but no data from it yet
    data_days(store, "e1-p3", date(2022, 9, 28), 2)
    assert run_daily(store, campaign, now).networked == ["e1"]


def test_steps_done_after_their_deadline_are_recorded_late_when_done() -> None:
    store, campaign = build()  # 如皋 2022: survey by 09-30, install and network by 10-20, filing by 10-31
    _to_installed(store, campaign, "e1", date(2022, 10, 3))
    _to_installed(store, campaign, "e2", date(2022, 9, 28))
    for p in ("e1-p1", "e1-p2"):
        data_days(store, p, date(2022, 10, 21), 2)
    data_days(store, "e2-p1", date(2022, 10, 10), 12)
    data_days(store, "e2-p2", date(2022, 10, 20), 2)  # its last point online on the deadline itself: in time
    run_daily(store, campaign, beijing(date(2022, 10, 22), 1))
    late = load_file(store, campaign, "e1").late_steps
    assert late == (
        LateStep(Step.SURVEY, date(2022, 9, 30), date(2022, 10, 3)),
        LateStep(Step.NETWORK, date(2022, 10, 20), date(2022, 10, 21)),
    )
    assert [s.days for s in late] == [3, 1]
    files = {f.enterprise_id: f for f in store.campaign.list_files(campaign.campaign_id)}
    enterprises = store.registry.list_enterprises("rugao")
    towns, _, _ = progress(campaign, enterprises, files, date(2022, 10, 22), town_names={}, branch_names={})
    assert sum(t.late_done["survey"] for t in towns) == 1 and sum(t.late_done["network"] for t in towns) == 1
    assert load_file(store, campaign, "e2").late_steps == ()
    assert _status(store, "e2") is InstallStatus.NETWORKED


def test_networked_by_commissioning_is_confirmed_on_the_next_run_and_late_after_the_deadline() -> None:
    store, campaign = build()
    _to_installed(store, campaign, "e1", date(2022, 9, 26))
    store.registry.put_enterprise(
        dataclasses.replace(store.registry.get_enterprise("e1"), install_status=InstallStatus.NETWORKED)
    )  # a passed commissioning moved the status without the campaign's run
    for p in ("e1-p1", "e1-p2"):
        data_days(store, p, date(2022, 10, 21), 3)
    assert run_daily(store, campaign, beijing(date(2022, 10, 22), 1)).trials_started == []
    file = load_file(store, campaign, "e1")
    assert file.network_confirmed_on == date(2022, 10, 22)
    assert file.late_steps == (LateStep(Step.NETWORK, date(2022, 10, 20), date(2022, 10, 22)),)
    assert run_daily(store, campaign, beijing(date(2022, 10, 23), 1)).trials_started == ["e1"]
