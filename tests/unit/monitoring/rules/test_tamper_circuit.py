"""Scenario tests for rule families 7 (tampering, wiring) and 8 (circuit safety)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from monitoring.evaluation.models import TerminalEvent
from tests.unit.monitoring.rules.world import World, at, volts

pytestmark = pytest.mark.unit


def test_zero_current_with_voltage_while_main_loaded_raises_tamper() -> None:
    # Given the main feeder carries production load but the production meter reads 0 A under 230 V for 40 min
    w = World()
    w.running(at("00:00"), at("01:00"))
    w.feed("P1", at("01:00"), at("01:40"), 0.0, **volts(), ia=0.0, ib=0.0, ic=0.0)
    w.feed("C1", at("01:00"), at("01:40"), 20.0, **volts(), ia=30.0, ib=30.0, ic=30.0)
    w.feed("M1", at("01:00"), at("01:40"), 95.0, **volts())
    w.running(at("01:40"), at("02:30"))
    w.run(at("00:30"), at("02:30"))
    (alarm,) = w.alarms("tamper_zero_current")
    assert alarm.subject == "point:P1" and alarm.severity == "high"


def test_zero_current_with_main_stopped_is_a_stop_not_tamper() -> None:
    w = World()
    w.feed("P1", at("00:00"), at("02:00"), 0.0, **volts(), ia=0.0, ib=0.0, ic=0.0)
    w.feed("C1", at("00:00"), at("02:00"), 0.0, **volts(), ia=0.0, ib=0.0, ic=0.0)
    w.feed("M1", at("00:00"), at("02:00"), 0.1, **volts())
    w.run(at("00:30"), at("02:00"))
    assert w.alarms("tamper_zero_current") == []


def test_zero_current_at_a_break_with_only_the_sites_idle_load_on_the_main_is_not_tamper() -> None:
    # Given a lunch break: production and control off for an hour, the main feeder carrying only lighting and
    # offices (6 % of its 300 kW rating: above its 5 % RUN threshold, far below a producing plant's load)
    w = World()
    w.running(at("00:00"), at("01:00"))
    w.feed("P1", at("01:00"), at("02:00"), 0.0, **volts(), ia=0.0, ib=0.0, ic=0.0)
    w.feed("C1", at("01:00"), at("02:00"), 0.0, **volts(), ia=0.0, ib=0.0, ic=0.0)
    w.feed("M1", at("01:00"), at("02:00"), 18.0, **volts())
    w.running(at("02:00"), at("02:30"))
    w.run(at("00:30"), at("02:30"))
    assert w.alarms("tamper_zero_current") == []


def test_negative_power_on_load_circuit_raises_reversed_ct() -> None:
    w = World()
    w.running(at("00:00"), at("02:00"), c1=-18.0)
    w.run(at("00:30"), at("01:00"))
    assert [a.subject for a in w.alarms("tamper_negative_power")] == ["point:C1"]


def test_reversed_ct_on_running_control_raises_only_the_wiring_alarm() -> None:
    # Given production runs and the control fan draws 20 kW through a reversed CT (P reads -20 kW, 30 A flows)
    w = World()
    w.running(at("00:00"), at("03:00"), c1=-20.0)
    # When two and a half hours are evaluated
    w.run(at("00:30"), at("03:00"))
    # Then the reversed CT is flagged, and the running fan is neither "stopped" (rule 1) nor "idling" (rule 2)
    assert sorted({a.rule for a in w.alarms()}) == ["tamper_negative_power"]


def test_energy_counter_going_backwards_raises_once() -> None:
    w = World()
    w.running(at("00:00"), at("01:00"))
    w.feed("P1", at("00:00"), at("00:40"), 60.0, energy=None)
    w.inputs.add("P1", [])
    from monitoring.evaluation.models import Sample

    rows = [Sample(at("00:00") + timedelta(minutes=i), p=60.0, energy=1000.0 + i) for i in range(30)]
    rows += [Sample(at("00:30") + timedelta(minutes=i), p=60.0, energy=500.0 + i) for i in range(30)]
    w.inputs.add("P1", rows)
    w.run(at("00:30"), at("01:10"))
    (alarm,) = w.alarms("tamper_energy_backwards")
    (ep,) = alarm.episodes
    assert ep.start == at("00:30") and ep.evidence["before"]["energy"] == 1029.0


def test_identical_readings_for_hours_while_running_raise_flatline() -> None:
    w = World()
    w.running(at("00:00"), at("06:00"))  # exactly constant values (a replayed or frozen stream)
    w.run(at("05:00"), at("05:30"), step=timedelta(minutes=15))
    (alarm,) = w.alarms("tamper_flatline")[:1]
    assert alarm.episodes[0].evidence["thresholds"]["min_hours"] == 4.0


def test_varying_readings_do_not_raise_flatline() -> None:
    w = World()
    w.running(at("00:00"), at("06:00"), p1=0.0)
    w.feed("P1", at("00:00"), at("06:00"), lambda t: 60.0 + (t.minute % 7))
    w.feed("C1", at("00:00"), at("06:00"), lambda t: 20.0 + (t.minute % 3) * 0.1)
    w.feed("M1", at("00:00"), at("06:00"), lambda t: 90.0 + (t.minute % 5))
    w.run(at("05:00"), at("05:30"), step=timedelta(minutes=15))
    assert w.alarms("tamper_flatline") == []


def test_terminal_clock_ahead_raises_clock_skew() -> None:
    w = World()
    w.running(at("00:00"), at("01:00"))
    w.feed("C1", at("01:00"), at("01:30"), 20.0, received_at=at("00:50"))
    w.run(at("01:40"), at("01:45"))
    assert [a.subject for a in w.alarms("tamper_clock_skew")] == ["terminal:MN2"]


def test_clock_skew_counts_only_events_measured_on_a_real_time_exchange() -> None:
    # Given a QN-behind event filed before decode stopped measuring backfill as skew, then a SystemTime answer
    w = World()
    w.running(at("00:00"), at("01:00"))
    w.inputs.add_events([TerminalEvent(at("00:00"), "MN1", "clock_skew", {"skew_s": "-10800.0", "source": "QN"})])
    w.run(at("00:30"), at("00:40"))
    # Then the buffered upload raises nothing
    assert w.alarms("tamper_clock_skew") == []
    # And a clock measured 10 min slow by its SystemTime answer does
    w.inputs.add_events([TerminalEvent(at("00:38"), "MN1", "clock_skew", {"skew_s": "-600.0", "source": "SystemTime"})])
    w.run(at("00:45"), at("00:45"))
    assert [a.subject for a in w.alarms("tamper_clock_skew")] == ["terminal:MN1"]


def test_backfilled_readings_hours_old_raise_no_clock_skew() -> None:
    # Given a terminal that buffered an hour through an outage and sent it at 02:05 with its data times
    w = World()
    w.running(at("00:00"), at("01:00"))
    w.feed("C1", at("01:00"), at("02:00"), lambda t: 20.0 + t.minute % 3, received_at=at("02:05"))
    w.feed("C1", at("02:00"), at("02:30"), lambda t: 20.0 + t.minute % 3)
    w.feed("P1", at("01:00"), at("02:30"), lambda t: 60.0 + t.minute % 3)
    w.feed("M1", at("01:00"), at("02:30"), lambda t: 90.0 + t.minute % 3)
    w.run(at("02:10"), at("02:30"))
    assert w.alarms("tamper_clock_skew") == []


def test_param_change_and_duplicate_mn_events_raise_alarms() -> None:
    w = World()
    w.running(at("00:00"), at("01:00"))
    w.inputs.add_events(
        [
            TerminalEvent(at("00:20"), "MN1", "param_change", {"what": "CT变比"}),
            TerminalEvent(at("00:25"), "MN2", "duplicate_mn", {"peer": "203.0.113.9:4000"}),
        ]
    )
    w.run(at("00:30"), at("00:40"))
    assert [a.rule for a in w.alarms() if a.rule.startswith("tamper_")] == [
        "tamper_param_change",
        "tamper_duplicate_mn",
    ]
    assert len(w.alarms("tamper_param_change")[0].live_episodes) == 1


def test_a_clock_set_within_the_skew_limit_is_no_parameter_tampering_a_big_jump_is() -> None:
    # Given the platform's 1012 moved a terminal's clock by a second (logged by the terminal as a SystemTime
    # change), and another terminal's clock was moved back by two hours
    w = World()
    w.running(at("00:00"), at("01:00"))
    small = {"Code": "SystemTime", "Old": "20261123082008", "Value": "20261123082007"}
    jump = {"Code": "SystemTime", "Old": "20261123082500", "Value": "20261123062500"}
    w.inputs.add_events(
        [
            TerminalEvent(at("00:20"), "MN1", "param_change", small),
            TerminalEvent(at("00:25"), "MN2", "param_change", jump),
        ]
    )
    w.run(at("00:30"), at("00:40"))
    # Then only the jump is reported
    assert [a.subject for a in w.alarms("tamper_param_change")] == ["terminal:MN2"]


@pytest.mark.parametrize(
    ("fields", "rule"),
    [
        ({"ua": 260.0, "ub": 258.0, "uc": 259.0}, "circuit_over_voltage"),
        ({"ua": 185.0, "ub": 230.0, "uc": 229.0}, "circuit_under_voltage"),
        ({"ua": 2.0, "ub": 230.0, "uc": 229.0}, "circuit_phase_loss"),
        ({"ia": 10.0, "ib": 30.0, "ic": 30.0}, "circuit_current_imbalance"),
        ({"ia": 80.0, "ib": 80.0, "ic": 80.0}, "circuit_over_current"),
    ],
)
def test_circuit_condition_for_twenty_minutes_raises_its_rule(fields: dict[str, float], rule: str) -> None:
    from monitoring.evaluation.models import PointInfo, Role, Topology
    from tests.unit.monitoring.rules.world import topology

    base = topology()
    points = dict(base.points)
    points["C1"] = PointInfo("C1", "E1", Role.CONTROL, "MN2", "引风机", rated_kw=30.0, rated_a=60.0)
    w = World(Topology(base.enterprises, points, base.associations))
    w.running(at("00:00"), at("01:00"))
    merged = {**volts(), "ia": 30.0, "ib": 30.0, "ic": 30.0, **fields}
    w.feed("C1", at("00:30"), at("00:50"), 20.0, **merged)
    w.run(at("00:55"), at("01:00"))
    assert [a.subject for a in w.alarms(rule)] == ["point:C1"]
    others = {a.rule for a in w.alarms() if a.rule.startswith("circuit_")} - {rule}
    assert not others - {"circuit_under_voltage", "circuit_current_imbalance"}
