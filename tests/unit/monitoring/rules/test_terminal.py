"""Scenario tests for rule families 5 and 6: completeness, power loss (vs network outage and site blackout)."""

from __future__ import annotations

import pytest

from monitoring.evaluation.models import TerminalEvent
from tests.unit.monitoring.rules.world import World, at, volts

pytestmark = pytest.mark.unit


def test_daily_completeness_below_threshold_raises_once_for_the_day() -> None:
    # Given on Beijing day 11-23 (UTC 11-22 16:00 to 11-23 16:00) the control point reports 20 of 24 hours
    w = World()
    w.feed("P1", at("16:00", -1), at("16:00"), 60.0)
    w.feed("M1", at("16:00", -1), at("16:00"), 90.0)
    w.feed("C1", at("16:00", -1), at("12:00"), 20.0)
    w.tick(at("00:00"))
    # When ticks run after the day ended (plus the grace and the per-enterprise stagger)
    w.tick(at("19:00"))
    w.tick(at("19:05"))
    # Then exactly one data_incomplete alarm, for C1, with the day's figures
    incomplete = w.alarms("data_incomplete")
    assert [a.subject for a in incomplete] == ["point:C1"]
    ev = incomplete[0].episodes[0].evidence
    assert ev["day"] == "2026-11-23" and ev["completeness"] == round(20 / 24, 4)


def test_soe_power_off_raises_power_loss_with_site_scope_when_main_dead() -> None:
    # Given the control terminal reports power_off at 01:00 and power_on at 01:20; the main feeder is dead too
    w = World()
    w.running(at("00:00"), at("01:00"))
    w.feed("P1", at("01:00"), at("01:20"), 0.0, **volts(0.0))
    w.feed("M1", at("01:00"), at("01:20"), 0.0, **volts(0.0))
    w.feed("C1", at("01:00"), at("01:20"), 0.0, **volts(0.0))
    w.running(at("01:20"), at("02:00"))
    w.inputs.add_events([TerminalEvent(at("01:00"), "MN2", "power_off"), TerminalEvent(at("01:20"), "MN2", "power_on")])
    w.run(at("00:30"), at("02:00"))
    losses = {a.subject: a for a in w.alarms("power_loss")}
    assert losses["terminal:MN2"].episodes[0].evidence["soe"] is True
    assert losses["terminal:MN2"].episodes[0].evidence["scope"] == "site"
    assert losses["terminal:MN2"].severity == "low"
    assert w.alarms("control_stopped") == []


def test_control_circuit_voltage_lost_while_main_alive_is_circuit_scope() -> None:
    w = World()
    w.running(at("00:00"), at("01:00"))
    w.feed("P1", at("01:00"), at("01:30"), 60.0, **volts())
    w.feed("M1", at("01:00"), at("01:30"), 70.0, **volts())
    w.feed("C1", at("01:00"), at("01:30"), 0.0, **volts(3.0))
    w.running(at("01:30"), at("02:00"))
    w.run(at("00:30"), at("02:00"))
    (loss,) = w.alarms("power_loss")
    assert loss.episodes[0].evidence["scope"] == "circuit" and loss.severity == "medium"


def test_network_outage_is_offline_not_power_loss() -> None:
    w = World()
    w.running(at("00:00"), at("01:00"))
    w.feed("P1", at("01:00"), at("02:00"), 60.0, **volts())
    w.feed("M1", at("01:00"), at("02:00"), 70.0, **volts())
    w.running(at("02:00"), at("02:30"))
    w.run(at("00:30"), at("02:30"))
    assert w.alarms("power_loss") == []
    assert [a.subject for a in w.alarms("terminal_offline")] == ["terminal:MN2"]
