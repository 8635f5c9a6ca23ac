"""Progress per town and branch against the deadlines, and the overdue list: campaign deadlines count calendar
days late, the filing limit after acceptance counts working days; exempt enterprises are never overdue."""

from __future__ import annotations

import dataclasses
from datetime import date

from monitoring.campaign.models import CampaignFile, Deadlines, StepRecord, TownDeadlines
from monitoring.campaign.progress import file_calendar_warning, overdue_for, progress, workdays_between
from monitoring.registry.models import Exemption, ExemptionReason, InstallStatus
from tests.unit.monitoring.campaign.world import beijing, build


def test_workdays_between_skips_the_holiday_and_counts_adjusted_days() -> None:
    assert workdays_between(date(2022, 9, 30), date(2022, 10, 8)) == 1  # 10-01..07 off, 10-08 a working Saturday
    assert workdays_between(date(2022, 11, 24), date(2022, 11, 28)) == 2  # Fri 25, Mon 28
    assert workdays_between(date(2022, 11, 24), date(2022, 11, 24)) == 0


def test_progress_funnel_overdue_counts_and_town_deadlines() -> None:
    store, campaign = build(4)  # e1, e3 in town t2 / branch b2; e2, e4 in t1 / b1
    later = Deadlines(date(2022, 10, 10), date(2022, 10, 25), date(2022, 11, 5))
    campaign = dataclasses.replace(campaign, town_deadlines=(TownDeadlines("t2", later),))
    reg = store.registry
    status = {"e1": InstallStatus.NETWORKED, "e2": InstallStatus.SURVEYED, "e3": InstallStatus.PENDING_SURVEY}
    enterprises = []
    for e in reg.list_enterprises("rugao"):
        e = dataclasses.replace(e, install_status=status.get(e.enterprise_id, e.install_status))
        if e.enterprise_id == "e4":
            e = dataclasses.replace(
                e, exemption=Exemption(ExemptionReason.TO_BE_CLOSED, "王科长", beijing(date(2022, 9, 1)))
            )
        enterprises.append(e)
    today = date(2022, 10, 5)
    towns, branches, overdue = progress(campaign, enterprises, {}, today, town_names={"t1": "1号镇", "t2": "2号镇"},
                                        branch_names={})  # fmt: skip
    t1, t2 = towns
    assert (t1.key, t1.name, t1.total, t1.exempt, t1.required) == ("t1", "1号镇", 2, 1, 1)
    assert t1.reached[InstallStatus.SURVEYED] == 1 and t1.reached[InstallStatus.INSTALLED] == 0
    assert t2.reached[InstallStatus.PENDING_SURVEY] == 2 and t2.reached[InstallStatus.NETWORKED] == 1
    assert t2.deadlines == later and t1.deadlines == campaign.deadlines
    assert [b.key for b in branches] == ["b1", "b2"] and branches[0].name == "b1"
    # t1's survey deadline (9-30) has passed, t2's (10-10) has not; e2 is surveyed, e4 exempt: nobody overdue
    assert overdue == [] and t1.overdue["survey"] == 0
    late = progress(campaign, enterprises, {}, date(2022, 10, 21), town_names={}, branch_names={})[2]
    assert [(o.enterprise_id, o.step, o.due, o.days_overdue, o.workdays) for o in late] == [
        ("e3", "survey", date(2022, 10, 10), 11, False),  # calendar days: the notice gives a date
        ("e2", "network", date(2022, 10, 20), 1, False),
    ]


def test_an_accepted_enterprise_past_five_working_days_is_overdue_in_working_days() -> None:
    store, campaign = build(1)
    e = dataclasses.replace(store.registry.get_enterprise("e1"), install_status=InstallStatus.ACCEPTED)
    file = CampaignFile(campaign.campaign_id, "e1", acceptance=StepRecord(beijing(date(2022, 9, 30)), "王科长"))
    assert overdue_for(campaign, e, file, date(2022, 10, 12)) == []  # the due day itself is in time
    found = overdue_for(campaign, e, file, date(2022, 10, 17))
    assert [(o.step, o.due, o.days_overdue, o.workdays) for o in found] == [
        ("filing_limit", date(2022, 10, 12), 3, True)
    ]
    assert found[0].step_label == "验收后备案"


def test_a_file_counting_working_days_in_a_year_without_a_table_carries_the_warning() -> None:
    _, campaign = build(1)
    accepted = CampaignFile(campaign.campaign_id, "e1", acceptance=StepRecord(beijing(date(2040, 12, 27)), "王科长"))
    warning = file_calendar_warning(campaign, InstallStatus.ACCEPTED, accepted, date(2041, 1, 3))
    assert warning == "2040、2041年度法定节假日安排未录入，按周一至周五计算"
    known = CampaignFile(campaign.campaign_id, "e1", acceptance=StepRecord(beijing(date(2022, 9, 30)), "王科长"))
    assert file_calendar_warning(campaign, InstallStatus.FILED, known, date(2026, 12, 6)) is None
    assert file_calendar_warning(campaign, InstallStatus.INSTALLED, CampaignFile(campaign.campaign_id, "e1"),
                                 date(2041, 1, 3)) is None  # fmt: skip
