"""The demo's --start: a time of day (to cross the lunch break or a shift end) or an ISO time, and scenario
windows that stay judgeable wherever the simulated day starts."""

from __future__ import annotations

import argparse
import socket
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from local.demo.inputs import DEMO_DAY, check_demo_args, demo_start
from local.demo.runner import add_arguments
from simulator.fleet import CsvEnterprise, build_enterprise
from simulator.manifest import manifest
from simulator.model import SiteModel
from simulator.scenario import load_scenario

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("11:30", datetime(2026, 11, 30, 11, 30)),
        ("16:30:00", datetime(2026, 11, 30, 16, 30)),
        ("2026-11-30T08:00:00", datetime(2026, 11, 30, 8, 0)),
        ("2026-12-01 21:30", datetime(2026, 12, 1, 21, 30)),
    ],
)
def test_start_is_a_time_of_day_on_the_demo_monday_or_an_iso_local_time(text: str, expected: datetime) -> None:
    assert demo_start(text) == expected
    assert DEMO_DAY.weekday() == 0  # a Monday: every shift pattern works that day


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("25:00", "not an ISO 8601 time or HH:MM"),
        ("noon", "not an ISO 8601 time or HH:MM"),
        ("11:30+08:00", "without an offset"),
        ("2026-11-30T08:00:00+08:00", "without an offset"),
    ],
)
def test_a_start_that_is_no_local_time_is_refused_by_name(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=r"--start") as err:
        demo_start(text)
    assert message in str(err.value)


def test_the_default_start_is_the_morning_demo_check_covers() -> None:
    p = argparse.ArgumentParser()
    add_arguments(p)
    assert demo_start(p.parse_args([]).start) == datetime(2026, 11, 30, 8, 0)


def test_checked_options_carry_the_start_in_full_iso_form_for_simulator_clock_and_sim_minutes(tmp_path: Path) -> None:
    probes = [socket.socket(), socket.socket()]  # two ports free right now: the listener's and the API's preflight
    for probe in probes:
        probe.bind(("127.0.0.1", 0))
    ports = [str(probe.getsockname()[1]) for probe in probes]
    for probe in probes:
        probe.close()
    p = argparse.ArgumentParser()
    add_arguments(p)
    argv = ["--data-dir", str(tmp_path / "demo"), "--port", ports[0], "--api-port", ports[1], "--start", "16:30"]
    args = p.parse_args(argv)
    check_demo_args(args)
    assert args.start == "2026-11-30T16:30:00"


# Expectations whose rule is only judged while production runs: their windows must fall in production time
# wherever the day starts (a control fan stopped during the lunch break is no violation).
NEEDS_PRODUCTION = {
    "control_stopped",
    "control_low_load",
    "power_loss",
    "tampering_zero_current",
    "tampering_ct_reversed",
    "tampering_flatline",
    "curtailment_violation",
}
SCENARIOS = (
    "control_stopped_while_producing",
    "control_idling",
    "power_loss",
    "tampering_zero_current",
    "ct_reversed",
    "tampering_flatline",
    "producing_during_curtailment",
)


@pytest.mark.parametrize("start_text", ["08:00", "11:30", "16:30"])
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_scenario_windows_are_minutes_after_start_and_keep_production_running(start_text: str, scenario: str) -> None:
    # Given a day-shift enterprise (08:00-12:00, 13:00-17:30: the pattern with a lunch break and a shift end)
    start = demo_start(start_text)
    row = CsvEnterprise(2, "城北街道", "如皋示例机械有限公司", "工业", "城北中队")
    spec = replace(build_enterprise(row, scenario, seed=1), shift="day")
    (entry,) = manifest([spec], seed=1, start=start, settings={})["enterprises"]
    site = SiteModel(spec, load_scenario(scenario), start, seed=1)
    judged = [x for x in entry["expected_alarms"] if x["rule"] in NEEDS_PRODUCTION]
    assert judged, "the scenario expects an alarm that needs production"
    for exp in judged:
        # Then the window is anchored to the start (scenario minutes), not to a clock time
        window_from = datetime.fromisoformat(exp["from"])
        assert window_from - start in {timedelta(minutes=m) for m in (5, 20, 30)}
        # And production runs through the part of it that a 120-minute demo-check sees
        t, end = window_from, min(datetime.fromisoformat(exp["to"] or "2999-01-01"), start + timedelta(minutes=120))
        while t < end:
            assert site.production_on(t), (scenario, start_text, exp["rule"], t)
            t += timedelta(minutes=1)
