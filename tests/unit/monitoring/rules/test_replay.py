"""Replay over in-memory history: finds the alarms of a period and explains them; rejects bad periods."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest

from monitoring.errors import InvalidInputError
from monitoring.rules.replay import parse_time, print_replay, replay
from monitoring.storage.rules_memory import MemoryEmergencyRepository, MemoryReportRepository
from tests.unit.monitoring.rules.world import World, at, volts

pytestmark = pytest.mark.unit


def test_replay_explains_rule_thresholds_and_readings() -> None:
    w = World()
    w.running(at("00:00"), at("01:00"))
    w.feed("P1", at("01:00"), at("01:40"), 60.0, **volts())
    w.feed("C1", at("01:00"), at("01:40"), 0.0, **volts())
    w.feed("M1", at("01:00"), at("01:40"), 70.0, **volts())
    w.running(at("01:40"), at("03:00"))
    found = replay(w.inputs, w.config, MemoryReportRepository(), MemoryEmergencyRepository(), at("00:30"), at("03:00"))
    assert [a.rule for a in found] == ["control_stopped"]
    out = io.StringIO()
    print_replay(found, out)
    text = out.getvalue()
    assert (
        "治污设施停运" in text and "阈值：min_duration_min=10" in text and "读数 C1" in text and "共 1 条报警" in text
    )
    assert "2026-11-23 09:0" in text  # Beijing time


@pytest.mark.parametrize(("start", "end"), [("01:00", "00:30"), ("00:00", "00:00")])
def test_replay_rejects_empty_or_reversed_periods(start: str, end: str) -> None:
    w = World()
    with pytest.raises(InvalidInputError):
        replay(w.inputs, w.config, MemoryReportRepository(), MemoryEmergencyRepository(), at(start), at(end))


def test_replay_rejects_more_than_a_month_and_bad_times() -> None:
    w = World()
    with pytest.raises(InvalidInputError):
        replay(
            w.inputs,
            w.config,
            MemoryReportRepository(),
            MemoryEmergencyRepository(),
            at("00:00"),
            at("00:00") + timedelta(days=40),
        )
    with pytest.raises(InvalidInputError):
        parse_time("yesterday")
    assert parse_time("2026-11-23T08:00") == at("00:00")
