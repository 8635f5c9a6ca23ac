"""Scenario tests for rule families 4 and 9: emergency measures, halt orders, status, over-production."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from monitoring.emergency.compliance import HEADERS, build_report, write_csv, write_xlsx
from monitoring.emergency.models import EmergencyAlert, EnterpriseMeasures, HaltOrder, Level, LevelMeasures
from monitoring.rules.service import Emergency
from tests.unit.monitoring.rules.world import World, at, topology, volts

pytestmark = pytest.mark.unit

ALERT = EmergencyAlert("A2026-01", Level.ORANGE, at("02:00"), at("06:00"), "重污染天气橙色预警")


def _emergency_world(p2_running: bool) -> World:
    # Given an orange alert 02:00-06:00; at orange E1 must stop P2 and hold production energy to 60 % of baseline
    w = World(topology(with_p2=True))
    w.emergency = Emergency(
        alerts=[ALERT],
        measures={"E1": EnterpriseMeasures("E1", {Level.ORANGE: LevelMeasures(("P2",), 0.6)})},
    )
    w.running(at("00:00"), at("07:00"), p1=30.0)
    w.feed("P2", at("00:00"), at("07:00"), 40.0 if p2_running else 0.0, **volts())
    return w


def test_emergency_stop_line_running_raises_one_violation_over_the_alert() -> None:
    w = _emergency_world(p2_running=True)
    w.run(at("01:30"), at("07:00"), step=timedelta(minutes=10))
    (alarm,) = w.alarms("emergency_violation")
    (ep,) = alarm.live_episodes
    assert ep.start == at("02:00") and ep.end == at("06:00")
    # the evidence is what raised it: P2 running past its minimum, before the hour's energy overran
    assert [v["kind"] for v in ep.evidence["violations"]] == ["stop_point_running"]
    assert alarm.point_ids == ("P2",)


def test_emergency_measures_applied_raise_nothing_and_status_is_curtailed() -> None:
    w = _emergency_world(p2_running=False)
    w.run(at("01:30"), at("07:00"), step=timedelta(minutes=10))
    assert w.alarms("emergency_violation") == []
    w.tick(at("03:00"))
    assert w.stores.state.get("status:E1")["status"] == "curtailed"


def test_compliance_report_lists_baseline_actual_and_violating_intervals() -> None:
    w = _emergency_world(p2_running=True)
    rows = build_report(w.inputs, w.config, ALERT, w.emergency.measures, {"P1": dict.fromkeys(range(24), 60.0)})
    (row,) = rows
    # baseline: P1 60 kW + P2 commissioning 40 kW over 4 h; actual: 30 + 40 kW over 4 h
    assert row.baseline_kwh == pytest.approx(400.0) and row.actual_kwh == pytest.approx(280.0)
    assert row.required_reduction == pytest.approx(0.4) and row.achieved_reduction == pytest.approx(0.3)
    assert row.compliant is False and len(row.violating_intervals) == 4
    text = io.StringIO()
    write_csv(ALERT, rows, text)
    lines = list(csv.reader(io.StringIO(text.getvalue())))
    assert tuple(lines[1]) == HEADERS and lines[2][6] == "否" and "应停产线P2运行" in lines[2][9]
    blob = io.BytesIO()
    write_xlsx(ALERT, rows, blob)
    sheet = load_workbook(io.BytesIO(blob.getvalue())).active
    assert sheet is not None and sheet["B3"].value == "如皋示例化工有限公司" and sheet["E3"].value == "40.0%"


def test_production_under_halt_order_raises_halt_violation() -> None:
    w = World()
    w.emergency = Emergency(halts=[HaltOrder("H1", "E1", at("01:00"), None, "停产整治")])
    w.feed("P1", at("00:00"), at("01:30"), 0.0)
    w.feed("C1", at("00:00"), at("03:00"), 20.0)
    w.feed("P1", at("01:30"), at("03:00"), 60.0)
    w.run(at("00:30"), at("03:00"))
    (alarm,) = w.alarms("halt_violation")
    assert alarm.data_start in (at("01:30"), at("01:31"))


def test_status_is_producing_stopped_or_unknown() -> None:
    w = World()
    w.running(at("00:00"), at("01:00"))
    w.tick(at("00:30"))
    assert w.stores.state.get("status:E1")["status"] == "producing"
    w.feed("P1", at("01:00"), at("02:00"), 0.0)
    w.tick(at("01:30"))
    assert w.stores.state.get("status:E1")["status"] == "stopped"
    w.tick(at("03:00"))
    assert w.stores.state.get("status:E1")["status"] == "unknown"


def test_production_above_baseline_for_three_days_raises_over_production() -> None:
    # Given production at 95 kW against a commissioning baseline of 60 kW (x1.58) for four Beijing days
    w = World()
    # daily ticks only: keep each tick from catching up a whole day of per-minute rules
    w.config = w.config.with_overrides({"enterprise": {"E1": {"evaluation": {"max_catchup_hours": 1}}}})
    w.tick(at("00:00", -1))
    w.running(at("16:00", -2), at("16:00", 3), p1=95.0)
    for day in range(0, 4):
        w.tick(at("19:00", day))
    (alarm,) = w.alarms("over_production")
    (ep,) = alarm.live_episodes
    assert ep.end is None and len(ep.evidence["days"]) >= 3
