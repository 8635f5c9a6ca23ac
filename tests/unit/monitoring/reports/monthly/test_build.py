"""The monthly report's figures: alarms of the Beijing-time month by rule and state, the 2 h / 24 h limits,
online rate and completeness, emergency alerts, campaign, maintenance, the scope, and an honest empty month."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from monitoring.campaign.defaults import default_campaign
from monitoring.errors import InvalidInputError, NotFoundError
from monitoring.maintenance.models import MaintenanceEntry, MaintenanceKind
from monitoring.reports.monthly.build import build_monthly, time_limit
from monitoring.reports.monthly.model import Scope, ScopeKind
from tests.unit.monitoring.reports.monthly.world import NOV_START, november, one_alert_per_enterprise
from tests.unit.monitoring.views.world import NOW, world

pytestmark = pytest.mark.unit
NOV = date(2026, 11, 1)
COUNTY = Scope(ScopeKind.COUNTY)


def test_alarms_of_the_month_by_rule_and_state_only() -> None:
    r = build_monthly(november(), "rugao", COUNTY, NOV, NOW)
    got = {x.rule: (x.total, x.by_state) for x in r.rules}
    # a5 was raised at 23:00 on 31 October Beijing time (15:00 UTC on the 31st): October's
    assert got == {
        "control_stopped": (2, {"pending": 2}),
        "terminal_offline": (1, {"verified": 1}),
        "emergency_violation": (1, {"pending": 1}),
    }
    assert r.rules[0].name.startswith("治污设施停运")
    assert r.alarm_total == 4


def test_time_limits_count_late_and_unanswered_as_over() -> None:
    r = build_monthly(november(), "rugao", COUNTY, NOV, NOW)
    # responses: 1 h and 0.5 h within; 3 h late; a4 never answered, 17 days on: over
    assert (r.response.within, r.response.over, r.response.running) == (2, 2, 0)
    assert r.response.median_h == 1.0
    assert (r.investigation.within, r.investigation.over, r.investigation.median_h) == (0, 1, 30.0)


def test_an_alarm_still_inside_its_limit_is_running_not_over() -> None:
    t0 = datetime(2026, 11, 1, tzinfo=UTC)
    got = time_limit("x", timedelta(hours=2), [(t0, None), (t0 - timedelta(hours=3), None)], t0 + timedelta(hours=1))
    assert (got.within, got.over, got.running, got.median_h) == (0, 1, 1, None)
    many = [(t0, t0 + timedelta(hours=h)) for h in range(1, 11)]
    got = time_limit("x", timedelta(hours=2), many, t0)
    assert (got.within, got.over, got.median_h, got.p90_h) == (2, 8, 5.5, 9.1)


def test_online_rate_and_completeness_per_enterprise() -> None:
    r = build_monthly(november(), "rugao", COUNTY, NOV, NOW)
    rows = {e.enterprise_id: e for e in r.enterprises}
    # e1: 27 hours with data out of 27 days and 14 hours counted up to now; 60 of 1440 minutes on p1's 27 closed
    # days, nothing from p2 (a day without a record expected 1440 and got none)
    assert rows["e1"].online_rate == round(27 / (27 * 24 + 14), 4)
    assert rows["e1"].completeness == round(27 * 60 / (2 * 27 * 1440), 4)
    assert rows["e1"].install_status == "已联网"
    # e3 has no metered point: no figure, not 0
    assert (rows["e3"].points, rows["e3"].online_rate, rows["e3"].completeness) == (0, None, None)


def test_curtailment_campaign_and_maintenance() -> None:
    r = build_monthly(november(), "rugao", COUNTY, NOV, NOW)
    (alert,) = r.curtailment
    # e2 has a violation alarm in the alert; e3 sent nothing: not judged; e1 had data and no violation
    assert (alert.covered, alert.violating, alert.without_data, alert.compliant) == (3, 1, 1, 1)
    assert alert.violators == ("江安镇金属制品厂",)
    assert dict(r.campaign)["已联网"] == 1 and dict(r.campaign)["待勘察"] == 2
    m = {row.name: row for row in r.maintenance}
    e1 = m["如皋市鑫源化工有限公司"]
    # MN0001 inspected on 6 November, the report made on the 28th: more than 14 days, so overdue
    assert (e1.inspections, e1.repairs, e1.last_inspection, e1.overdue) == (1, 1, date(2026, 11, 6), True)
    assert not m["江安镇金属制品厂"].overdue  # MN0002 never commissioned nor inspected: its clock has not started
    # a3 (terminal offline) opened a 24 h repair obligation; mt-2 met it 5 h later
    assert dict(r.repairs) == {"待维修": 0, "已超时": 0, "已修复": 1, "超时修复": 0, "自行恢复": 0}


def test_alerts_declared_for_the_same_window_are_one_curtailment_over_their_enterprises() -> None:
    r = build_monthly(one_alert_per_enterprise(november()), "rugao", COUNTY, NOV, NOW)
    got = {(a.title, a.level, a.end - a.start): a for a in r.curtailment}
    assert len(r.curtailment) == 4 == len(got)  # the world's own 橙色预警, and three 模拟应急管控 windows
    merged = got[("模拟应急管控", "橙色", timedelta(days=2))]
    # e1 declared twice counts once; e2's violation alarm is in the window; e3 sent nothing: not judged
    assert (merged.declared, merged.covered, merged.violating, merged.without_data, merged.compliant) == (3, 3, 1, 1, 1)
    assert merged.violators == ("江安镇金属制品厂",)
    red = got[("模拟应急管控", "红色", timedelta(days=2))]
    assert (red.declared, red.covered, red.violating, red.violators) == (1, 1, 1, ("江安镇金属制品厂",))
    late = got[("模拟应急管控", "橙色", timedelta(days=2, hours=6))]
    assert (late.declared, late.covered, late.without_data) == (1, 1, 1)
    # a town's report: the same window over its own enterprises (e1, e3) only
    town = build_monthly(
        one_alert_per_enterprise(november()), "rugao", Scope(ScopeKind.TOWN, "rugao-chengbei"), NOV, NOW
    )
    merged = next(
        a for a in town.curtailment if a.title == "模拟应急管控" and a.level == "橙色" and a.end == merged.end
    )
    assert (merged.covered, merged.violating, merged.without_data, merged.compliant) == (2, 0, 1, 1)


def test_inspections_are_judged_at_the_months_end_from_the_log_as_it_stood() -> None:
    s = november()
    at = datetime(2026, 9, 30, 2, tzinfo=UTC)
    s.maintenance.put_entry(
        MaintenanceEntry("mt-9", "e1", MaintenanceKind.INSPECTION, at, "inst", at, mn="MN0001", checklist={"a": True})
    )
    october = build_monthly(s, "rugao", COUNTY, date(2026, 10, 1), NOW)
    e1 = next(m for m in october.maintenance if m.name == "如皋市鑫源化工有限公司")
    # 30 September + 14 days < 31 October: overdue in October although inspected again on 6 November
    assert (e1.overdue, e1.last_inspection, e1.inspections) == (True, date(2026, 9, 30), 0)


def test_units_of_the_county_report() -> None:
    r = build_monthly(november(), "rugao", COUNTY, NOV, NOW)
    units = {(u.kind, u.name): u for u in r.units}
    assert (units[("镇（街道）", "江安镇")].alarms, units[("镇（街道）", "江安镇")].response_over) == (2, 1)
    assert units[("执法分局", "执法一局")].enterprises == 2


def test_a_branch_or_town_scope_holds_its_enterprises_only() -> None:
    s = november()
    r = build_monthly(s, "rugao", Scope(ScopeKind.BRANCH, "rugao-b6"), NOV, NOW)
    assert r.scope_name == "执法六局" and [e.enterprise_id for e in r.enterprises] == ["e2"]
    assert r.alarm_total == 2 and r.units == []
    assert r.title == "执法六局工况用电监控月度报告（2026年11月）"
    r = build_monthly(s, "rugao", Scope(ScopeKind.TOWN, "rugao-chengbei"), NOV, NOW)
    assert {e.enterprise_id for e in r.enterprises} == {"e1", "e3"}
    with pytest.raises(NotFoundError):
        build_monthly(s, "rugao", Scope(ScopeKind.TOWN, "nowhere"), NOV, NOW)


def test_a_month_without_data_is_an_empty_report_and_a_future_month_an_error() -> None:
    r = build_monthly(world(), "rugao", COUNTY, date(2025, 3, 1), NOW)
    assert r.rules == [] and r.alarm_total == 0 and r.curtailment == []
    assert (r.response.within, r.response.over, r.response.median_h) == (0, 0, None)
    assert all(e.online_rate in (0.0, None) for e in r.enterprises)
    with pytest.raises(InvalidInputError):
        build_monthly(world(), "rugao", COUNTY, date(2026, 12, 1), NOW)


def test_the_current_month_counts_only_up_to_now() -> None:
    early = NOV_START + timedelta(hours=10)
    r = build_monthly(november(early), "rugao", COUNTY, NOV, early)
    e1 = next(e for e in r.enterprises if e.enterprise_id == "e1")
    assert e1.online_rate == round(1 / 10, 4)  # day 1's hour 03:00 of 10 hours so far
    assert e1.completeness is None  # no day closed yet


def test_campaign_overdue_steps_from_the_latest_campaign() -> None:
    s = november()
    assert build_monthly(s, "rugao", COUNTY, NOV, NOW).campaign_name == ""  # no campaign: said, not invented
    campaign = default_campaign("rugao")
    s.campaign.put_campaign(campaign)
    r = build_monthly(s, "rugao", COUNTY, NOV, NOW)
    assert r.campaign_name == campaign.name
    # 2022's deadlines long past: e2, e3 (待勘察) are late for every step, e1 (已联网) for filing only
    assert dict(r.campaign_overdue) == {"勘察": 2, "安装联网": 2, "验收备案": 3, "验收后备案": 0}


def test_the_online_rate_is_per_terminal_not_any_point_of_the_enterprise() -> None:
    from dataclasses import replace

    store = november()
    p1 = next(p for p in store.registry.list_points("e1") if p.point_id == "p1")
    store.registry.put_point(
        replace(p1, point_id="p9", point_code=p1.point_code + "9", mn="MN0009", channel="01", version=0)
    )
    rows = {e.enterprise_id: e for e in build_monthly(store, "rugao", COUNTY, NOV, NOW).enterprises}
    # MN0001 reported 27 hours, the silent second terminal none: the mean of the two, not "some point reported"
    assert rows["e1"].online_rate == round(27 / (2 * (27 * 24 + 14)), 4)
