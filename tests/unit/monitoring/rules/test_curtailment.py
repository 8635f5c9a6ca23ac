"""Scenario tests for rule family 4 judged per minute: raised as soon as certain, one episode, only the culprits."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from monitoring.alarms.models import Alarm
from monitoring.emergency.models import EmergencyAlert, EnterpriseMeasures, Level, LevelMeasures
from monitoring.rules.service import Emergency
from tests.unit.monitoring.rules.world import World, at, topology, volts

pytestmark = pytest.mark.unit

# An orange alert over the working day: 08:00-17:00 Beijing (00:00-09:00 UTC).
ALERT = EmergencyAlert("A2026-02", Level.ORANGE, at("00:00"), at("09:00"), "重污染天气橙色预警")
MIN = timedelta(minutes=1)


def _world(measures: LevelMeasures, *, p1: float, p2: float | Callable[[datetime], float]) -> World:
    w = World(topology(with_p2=True))
    w.emergency = Emergency(alerts=[ALERT], measures={"E1": EnterpriseMeasures("E1", {Level.ORANGE: measures})})
    w.running(at("00:00", -1) + timedelta(hours=23), at("10:00"), p1=p1)
    w.feed("P2", at("00:00", -1) + timedelta(hours=23), at("10:00"), p2, **volts())
    return w


def _first_raised(w: World, start: datetime, end: datetime) -> datetime | None:
    """Tick every minute from start to end; the first processing time at which the alarm exists."""
    t = start
    while t <= end:
        w.tick(t)
        if w.alarms("emergency_violation"):
            return t
        t += MIN
    return None


def _actions(w: World, alarm: Alarm) -> list[str]:
    return [e.action for e in w.stores.audit.for_alarm(alarm.id)]


def test_must_stop_line_running_raises_one_tick_after_its_minimum_names_it_and_stays_one_episode() -> None:
    # Given P1 must stop at orange but keeps running from the alert's start; P2 (not concerned) runs too
    w = _world(LevelMeasures(stop_points=("P1",)), p1=60.0, p2=40.0)
    # Then the alarm comes at the first tick once P1 has run stop_run_min (10) minutes and the 2-minute settle has
    # passed: 00:12 exactly (a regression of a tick or two must fail)
    raised = _first_raised(w, at("00:00"), at("01:10"))
    assert raised == at("00:12")
    # And a working day of ticks keeps it one alarm with one episode, never cleared and re-raised
    w.run(raised, at("09:30"), step=timedelta(minutes=5))
    (alarm,) = w.alarms("emergency_violation")
    (ep,) = alarm.live_episodes
    assert ep.start == at("00:00") and ep.end == at("09:00")
    assert "reactivated" not in _actions(w, alarm) and _actions(w, alarm).count("cleared") <= 1
    # And it names only the violating line
    assert alarm.point_ids == ("P1",)
    assert [v["point"] for v in ep.evidence["violations"]] == ["P1"]


def test_must_stop_line_running_less_than_its_minimum_raises_nothing() -> None:
    w = _world(LevelMeasures(stop_points=("P1",)), p1=0.0, p2=40.0)
    w.feed("P1", at("02:00"), at("02:08"), 60.0, **volts())  # a 7-minute run during the alert (e.g. emptying)
    w.run(at("00:00"), at("04:00"), step=timedelta(minutes=3))
    assert w.alarms("emergency_violation") == []


def test_energy_cap_overrun_is_raised_as_soon_as_certain_and_continues_as_one_episode() -> None:
    # Given production limited to 60 % of baseline (P1 60 + P2 40 kW → 63 kWh an hour with 5 % tolerance)
    # while both lines run at full power: the hour's overrun is certain once 63 kWh are used, after 37.8 minutes at
    # 100 kW (the minute from 00:37), raised at the first tick after that minute and the 2-minute settle: 00:40
    w = _world(LevelMeasures(energy_share=0.6), p1=60.0, p2=40.0)
    raised = _first_raised(w, at("00:00"), at("01:10"))
    assert raised == at("00:40")
    w.run(raised, at("04:00"), step=timedelta(minutes=5))
    (alarm,) = w.alarms("emergency_violation")
    (ep,) = alarm.live_episodes
    assert ep.start == at("00:00") and ep.end is None
    assert "cleared" not in _actions(w, alarm) and "reactivated" not in _actions(w, alarm)
    assert set(alarm.point_ids) == {"P1", "P2"}


def test_energy_cap_kept_raises_nothing() -> None:
    w = _world(LevelMeasures(energy_share=0.6), p1=30.0, p2=25.0)  # 55 kWh an hour under a 60 kWh cap
    w.run(at("00:00"), at("04:00"), step=timedelta(minutes=5))
    assert w.alarms("emergency_violation") == []


def test_production_in_staggered_hours_raises_after_the_minimum_naming_the_running_lines() -> None:
    # Given 错峰 10-12 Beijing (02:00-04:00 UTC): P1 keeps running through it, P2 stops at 10:00 as required
    w = _world(LevelMeasures(forbidden_hours=((10, 12),)), p1=60.0, p2=lambda t: 40.0 if t < at("02:00") else 0.0)
    w.run(at("00:00"), at("05:00"), step=timedelta(minutes=5))
    (alarm,) = w.alarms("emergency_violation")
    (ep,) = alarm.live_episodes
    # running until 10:00 was allowed; from 10:00 P1 had its 10 minutes to stop, and the hours end at 12:00
    assert ep.start == at("02:00") and ep.end == at("04:00")
    assert alarm.point_ids == ("P1",)
    assert [(v["kind"], v["point"]) for v in ep.evidence["violations"]] == [("staggered_hours", "P1")]


def test_must_stop_line_without_data_is_not_a_violation() -> None:
    # Given P1 must stop and its terminal is silent during the alert: a data gap is never read as running
    w = World(topology(with_p2=True))
    w.emergency = Emergency(
        alerts=[ALERT], measures={"E1": EnterpriseMeasures("E1", {Level.ORANGE: LevelMeasures(("P1",))})}
    )
    w.feed("P2", at("00:00"), at("04:00"), 40.0, **volts())
    w.feed("C1", at("00:00"), at("04:00"), 20.0, **volts())
    w.run(at("00:00"), at("04:00"), step=timedelta(minutes=5))
    assert w.alarms("emergency_violation") == []
