"""The site model: shifts, ramps, control following production, scenario effects, determinism."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from simulator.model import SiteModel
from tests.unit.simulator.conftest import START, enterprise, scenario

pytestmark = pytest.mark.unit
MON = START.replace(hour=0)  # Monday 2026-11-30 00:00


def _at(site: SiteModel, t: datetime) -> dict[str, float]:
    return {k: v.p_kw for k, v in site.evaluate(t).items()}


def test_production_follows_the_day_shift_and_rests_at_weekends() -> None:
    # Given a day-shift enterprise behaving normally
    site = SiteModel(enterprise("day"), scenario(), START, 1)
    # Then production runs Monday morning, pauses for lunch and at night, and not on Saturday
    assert _at(site, MON.replace(hour=10))["E1-P1"] > 50
    assert _at(site, MON.replace(hour=12, minute=30))["E1-P1"] == 0.0
    assert _at(site, MON.replace(hour=3))["E1-P1"] == 0.0
    assert _at(site, MON + timedelta(days=5, hours=10))["E1-P1"] == 0.0


def test_control_starts_before_and_stops_after_production_when_behaving() -> None:
    # Given lead 5 min and lag 10 min
    site = SiteModel(enterprise("day"), scenario(), START, 1)
    at = lambda h, m: _at(site, MON.replace(hour=h, minute=m))  # noqa: E731
    # Then control runs from 07:55 to 17:40, production from 08:00 to 17:30
    assert at(7, 50)["E1-C1"] == 0.0 and at(7, 57)["E1-C1"] > 0 and at(7, 57)["E1-P1"] == 0.0
    assert at(17, 35)["E1-C1"] > 0 and at(17, 35)["E1-P1"] == 0.0 and at(17, 45)["E1-C1"] == 0.0


def test_production_ramps_up_after_start() -> None:
    site = SiteModel(enterprise("day"), scenario(), START, 1)
    assert (
        0 < _at(site, MON.replace(hour=8, minute=1))["E1-P1"] < _at(site, MON.replace(hour=8, minute=10))["E1-P1"] / 2
    )


def test_main_incoming_carries_more_than_the_metered_circuits() -> None:
    site = SiteModel(enterprise("day"), scenario(), START, 1)
    p = _at(site, MON.replace(hour=10))
    assert p["E1-M1"] > p["E1-P1"] + p["E1-C1"]


def test_site_model_is_deterministic_for_a_seed() -> None:
    # Given two models with the same seed and one with another
    a, b, c = (SiteModel(enterprise("day"), scenario(), START, s) for s in (9, 9, 10))
    t = MON.replace(hour=10, minute=17, second=20)
    # Then the same seed gives identical truth, another seed different noise
    assert a.evaluate(t) == b.evaluate(t)
    assert a.evaluate(t) != c.evaluate(t)


def test_control_off_stops_control_while_production_runs() -> None:
    site = SiteModel(
        enterprise("day"), scenario({"type": "control_off", "role": "control", "from_min": 30, "to_min": 90}), START, 1
    )
    inside, after = _at(site, START + timedelta(minutes=60)), _at(site, START + timedelta(minutes=100))
    assert inside["E1-C1"] == 0.0 and inside["E1-P1"] > 50
    assert after["E1-C1"] > 10


def test_control_idle_draws_a_fraction_of_its_load() -> None:
    site = SiteModel(
        enterprise("day"), scenario({"type": "control_idle", "level": 0.15, "from_min": 30, "to_min": 90}), START, 1
    )
    p = _at(site, START + timedelta(minutes=60))["E1-C1"]
    assert 0.12 * 0.8 * 30 < p < 0.18 * 0.8 * 30


def test_wrong_start_order_starts_control_after_production_and_stops_it_before() -> None:
    # Given production held off until 08:30 and control starting 20 min late and stopping 15 min early
    sc = scenario(
        {"type": "production_off", "from_min": 0, "to_min": 30},
        {"type": "start_order", "lead_min": -20, "lag_min": -15},
    )
    site = SiteModel(enterprise("day"), sc, START, 1)
    at = lambda m: _at(site, START + timedelta(minutes=m))  # noqa: E731
    # Then production runs alone from 08:30, both from 08:50, and control stops at 11:45 before the 12:00 break
    assert at(40)["E1-P1"] > 0 and at(40)["E1-C1"] == 0.0
    assert at(60)["E1-C1"] > 0
    assert at(230)["E1-P1"] > 0 and at(230)["E1-C1"] == 0.0


def test_wrong_start_order_inside_its_window_only_then_the_enterprise_behaves() -> None:
    # Given the bundled scenario's shape: wrong order for the transitions of its first 300 minutes (08:00-13:00)
    sc = scenario(
        {"type": "production_off", "from_min": 0, "to_min": 30},
        {"type": "start_order", "lead_min": -20, "lag_min": -15, "from_min": 0, "to_min": 300},
    )
    site = SiteModel(enterprise("day"), sc, START, 1)
    at = lambda h, m: _at(site, MON.replace(hour=h, minute=m))  # noqa: E731
    # Then the 08:30 start and the 12:00 stop are wrong, as before
    assert at(8, 40)["E1-P1"] > 0 and at(8, 40)["E1-C1"] == 0.0
    assert at(11, 50)["E1-P1"] > 0 and at(11, 50)["E1-C1"] == 0.0
    # And the 13:00 start and the 17:30 stop are the enterprise's own: control 5 min before and 10 min after
    assert at(12, 57)["E1-C1"] > 0 and at(12, 57)["E1-P1"] == 0.0
    assert at(17, 35)["E1-C1"] > 0 and at(17, 35)["E1-P1"] == 0.0 and at(17, 45)["E1-C1"] == 0.0


def test_curtailment_defied_keeps_production_running_even_at_night() -> None:
    night = START.replace(hour=22)
    sc = scenario(
        {"type": "curtailment", "level": "orange", "reduction": 0.4, "comply": False, "from_min": 0, "to_min": 120}
    )
    assert _at(SiteModel(enterprise("day"), sc, night, 1), night + timedelta(minutes=60))["E1-P1"] > 50


def test_curtailment_complied_reduces_production() -> None:
    base = SiteModel(enterprise("day"), scenario(), START, 1)
    sc = scenario(
        {"type": "curtailment", "level": "orange", "reduction": 0.4, "comply": True, "from_min": 0, "to_min": 600}
    )
    cut = SiteModel(enterprise("day"), sc, START, 1)
    t = START + timedelta(hours=2)
    assert _at(cut, t)["E1-P1"] == pytest.approx(_at(base, t)["E1-P1"] * 0.6, rel=1e-9)


def test_power_loss_removes_supply_from_the_targeted_circuit_only() -> None:
    site = SiteModel(
        enterprise("day"), scenario({"type": "power_loss", "role": "control", "from_min": 30, "to_min": 60}), START, 1
    )
    truth = site.evaluate(START + timedelta(minutes=45))
    assert not truth["E1-C1"].supply and truth["E1-C1"].p_kw == 0.0
    assert truth["E1-P1"].supply and truth["E1-M1"].supply


def test_site_blackout_removes_supply_everywhere() -> None:
    site = SiteModel(enterprise("day"), scenario({"type": "site_blackout", "from_min": 30, "to_min": 60}), START, 1)
    assert not any(v.supply for v in site.evaluate(START + timedelta(minutes=45)).values())
    assert all(v.supply for v in site.evaluate(START + timedelta(minutes=61)).values())
