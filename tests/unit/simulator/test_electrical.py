"""The meter: per-phase physics, energy registers, demand, and what wiring faults and tampering look like."""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta

import pytest

from simulator.electrical import Meter, MeterFaults
from simulator.model import CircuitTruth, motor_pf

pytestmark = pytest.mark.unit
T0 = datetime(2026, 11, 30, 8, 0, 0)
RUNNING = CircuitTruth(p_kw=60.0, q_kvar=35.0, supply=True, u_factor=1.0)


def _meter() -> Meter:
    return Meter(seed=3, stream=11, rated_kw=80.0, imbalance=(1.02, 0.99, 0.99))


def _run(meter: Meter, truth: CircuitTruth, minutes: int, faults: MeterFaults | None = None) -> list[dict[str, float]]:
    return [
        meter.sample(T0 + timedelta(seconds=10 * k), truth, faults or MeterFaults(), 50.0)
        for k in range(minutes * 6 + 1)
    ]


def test_meter_per_phase_values_obey_p_equals_u_i_pf_and_q_from_the_angle() -> None:
    # Given a loaded circuit, When the meter samples it
    v = _meter().sample(T0, RUNNING, MeterFaults(), 50.0)
    # Then each phase satisfies P = U·I·PF and Q = U·I·sin φ, and the totals add up
    for ph in "abc":
        s = v[f"U{ph}"] * v[f"I{ph}"] / 1000.0
        assert v[f"P{ph}"] == pytest.approx(s * v[f"PF{ph}"], rel=1e-9)
        assert v[f"Q{ph}"] == pytest.approx(math.sqrt(s * s - v[f"P{ph}"] ** 2), rel=1e-6)
        phi = math.radians((v[f"UA{ph}"] - v[f"IA{ph}"]) % 360.0)
        assert math.cos(phi) == pytest.approx(v[f"PF{ph}"], abs=1e-9)  # current lags voltage by φ
    assert v["P"] == pytest.approx(60.0, rel=1e-9)
    assert v["Q"] == pytest.approx(35.0, rel=1e-9)
    assert v["PF"] == pytest.approx(60.0 / math.hypot(60.0, 35.0))
    assert v["S"] == pytest.approx(math.hypot(60.0, 35.0))
    assert v["Uab"] == pytest.approx(math.sqrt(3) * v["Ua"], rel=0.01)
    assert (v["UAa"], v["UAb"], v["UAc"]) == (0.0, 240.0, 120.0)


def test_meter_energy_register_integrates_measured_power() -> None:
    # Given a constant load for one hour sampled every 10 s
    meter = _meter()
    samples = _run(meter, RUNNING, 60)
    # Then forward active energy grew by P × 1 h and reactive by Q × 1 h, and nothing ran in reverse
    assert samples[-1]["EPf"] - samples[0]["EPf"] == pytest.approx(60.0, rel=1e-9)
    assert samples[-1]["EQf"] - samples[0]["EQf"] == pytest.approx(35.0, rel=1e-9)
    assert samples[-1]["EPr"] == samples[0]["EPr"] == 0.0


def test_meter_registers_are_monotonic_under_random_loads() -> None:
    # Given random loads, reversals and supply gaps
    rng = random.Random(5)
    meter = _meter()
    last = dict.fromkeys(("EPf", "EPr", "EQf", "EQr"), 0.0)
    for k in range(500):
        truth = CircuitTruth(rng.uniform(0, 100), rng.uniform(0, 60), rng.random() > 0.1, rng.uniform(0.9, 1.1))
        faults = MeterFaults(reversed_phases=rng.choice(["", "a", "abc"]), zero_current=rng.random() < 0.1)
        v = meter.sample(T0 + timedelta(seconds=10 * k), truth, faults, 50.0)
        # Then no register ever goes down
        for key in last:
            assert v[key] >= last[key]
            last[key] = v[key]


def test_meter_ct_reversed_reads_negative_power_and_counts_reverse_energy() -> None:
    # Given CTs installed backwards on all three phases
    samples = _run(_meter(), RUNNING, 10, MeterFaults(reversed_phases="abc"))
    v = samples[-1]
    # Then P and PF are negative, the current is turned by 180°, and the reverse register grows
    assert v["P"] == pytest.approx(-60.0, rel=1e-9)
    assert v["PF"] < 0
    assert (v["UAa"] - v["IAa"]) % 360.0 == pytest.approx(180.0 + math.degrees(math.atan2(35, 60)), abs=0.5)
    assert v["EPr"] == pytest.approx(10.0, rel=1e-9)
    assert v["EPf"] == samples[0]["EPf"]


def test_meter_zero_current_shows_voltage_without_current_or_energy() -> None:
    # Given shorted CTs on a running circuit
    samples = _run(_meter(), RUNNING, 5, MeterFaults(zero_current=True))
    # Then voltage is present but current, power and energy are zero
    v = samples[-1]
    assert v["Ua"] > 200 and v["Ia"] == v["Ib"] == v["Ic"] == 0.0
    assert v["P"] == 0.0 and v["PF"] == 1.0 and v["EPf"] == samples[0]["EPf"]


def test_meter_flatline_repeats_identical_values_then_resumes_with_counters_caught_up() -> None:
    # Given a flat-line window after five minutes of honest readings
    meter = _meter()
    honest = _run(meter, RUNNING, 5)
    frozen = [
        meter.sample(T0 + timedelta(minutes=6, seconds=10 * k), RUNNING, MeterFaults(flatline=True), 50.0)
        for k in range(30)
    ]
    after = meter.sample(T0 + timedelta(minutes=12), RUNNING, MeterFaults(), 50.0)
    # Then every frozen sample equals the last honest one, and afterwards the register shows the real energy
    assert all(f == honest[-1] for f in frozen)
    assert after["EPf"] - honest[0]["EPf"] == pytest.approx(60.0 * 12 / 60, rel=1e-6)


def test_meter_demand_is_the_sliding_15_minute_mean_of_power() -> None:
    # Given 15 minutes at 60 kW then 16 minutes at 30 kW (the 15:00 sample still measured 60 kW)
    meter = _meter()
    _run(meter, RUNNING, 15)
    half = CircuitTruth(30.0, 17.5, True, 1.0)
    v = {}
    for k in range(1, 16 * 6 + 1):
        v = meter.sample(T0 + timedelta(minutes=15, seconds=10 * k), half, MeterFaults(), 50.0)
    # Then demand has slid down to 30 kW and the month's maximum demand kept 60 kW
    assert v["DP"] == pytest.approx(30.0, rel=1e-6)
    assert v["DPM"] == pytest.approx(60.0, rel=1e-6)
    assert v["DIa"] == pytest.approx(v["Ia"], rel=0.01)


def test_meter_without_supply_reads_zero_voltage_and_frequency() -> None:
    v = _meter().sample(T0, CircuitTruth(0.0, 0.0, False, 0.0), MeterFaults(), 50.0)
    assert v["Ua"] == v["Ia"] == v["F"] == v["P"] == 0.0


@pytest.mark.parametrize(("load", "lo", "hi"), [(1.0, 0.84, 0.86), (0.2, 0.6, 0.7), (0.05, 0.2, 0.4)])
def test_motor_pf_falls_at_light_load(load: float, lo: float, hi: float) -> None:
    assert lo <= motor_pf(0.85, load) <= hi
