"""Each bundled scenario makes a generated enterprise behave as its file says (seeded, deterministic)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from simulator.fleet import CsvEnterprise, build_enterprise
from simulator.model import SiteModel
from simulator.profile import load_profile
from simulator.scenario import load_scenario
from simulator.spec import EnterpriseSpec
from simulator.terminal import Terminal, TerminalSettings
from tests.unit.simulator.conftest import START, run_for

pytestmark = pytest.mark.unit
ROW = CsvEnterprise(7, "长江镇", "如皋市某铸造有限公司", "大气管控企业", "执法三局")  # metal: two shifts 06:00–22:00


def _setup(name: str) -> tuple[EnterpriseSpec, SiteModel]:
    ent = build_enterprise(ROW, name, 11)
    return ent, SiteModel(ent, load_scenario(name), START, 11)


def _p(site: SiteModel, point_id: str, minute: float) -> float:
    return site.evaluate(START + timedelta(minutes=minute))[point_id].p_kw


def _terminal_of(ent: EnterpriseSpec, site: SiteModel, point_id: str) -> Terminal:
    spec = next(t for t in ent.terminals if any(pid == point_id for _, pid in t.channels))
    return Terminal(spec, ent, site, load_profile(), TerminalSettings())


def _channel(term: Terminal, point_id: str) -> int:
    return next(ch for ch, p in term.points.items() if p.id == point_id)


def test_normal_control_runs_whenever_production_runs() -> None:
    ent, site = _setup("normal")
    prod = [p.id for p in ent.points_of("production")]
    for minute in range(0, 24 * 60, 5):
        truth = {k: v.p_kw for k, v in site.evaluate(START + timedelta(minutes=minute)).items()}
        if any(truth[p] > 0 for p in prod):
            assert all(truth[c.id] > 0 for c in ent.points_of("control")), minute


def test_control_stopped_while_producing() -> None:
    ent, site = _setup("control_stopped_while_producing")
    c1, p1 = ent.points_of("control")[0].id, ent.points_of("production")[0].id
    assert _p(site, c1, 60) == 0.0 and _p(site, p1, 60) > 0
    assert _p(site, c1, 100) > 0


def test_control_idling() -> None:
    ent, site = _setup("control_idling")
    c1 = ent.points_of("control")[0]
    assert 0 < _p(site, c1.id, 60) < 0.2 * c1.rated_kw * c1.level
    assert _p(site, c1.id, 130) > 0.6 * c1.rated_kw * c1.level


def test_wrong_start_order() -> None:
    ent, site = _setup("wrong_start_order")
    c1, p1 = ent.points_of("control")[0].id, ent.points_of("production")[0].id
    assert _p(site, p1, 20) == 0.0
    assert _p(site, p1, 40) > 0 and _p(site, c1, 40) == 0.0
    assert _p(site, c1, 55) > 0


def test_producing_during_curtailment() -> None:
    ent, site = _setup("producing_during_curtailment")
    p1 = ent.points_of("production")[0]
    assert _p(site, p1.id, 100) > 0.5 * p1.rated_kw * p1.level


def test_terminal_offline() -> None:
    ent, site = _setup("terminal_offline")
    for spec in ent.terminals:
        term = Terminal(spec, ent, site, load_profile(), TerminalSettings())
        assert term.can_talk(START + timedelta(minutes=10)) and not term.can_talk(START + timedelta(minutes=50))


def test_power_loss_takes_the_control_terminal_down_and_back() -> None:
    ent, site = _setup("power_loss")
    c1 = ent.points_of("control")[0].id
    term = _terminal_of(ent, site, c1)
    kinds = [r.kind for r in run_for(term, 70)]
    assert "soe" in kinds and "restart" in kinds and term.state == "alive"
    assert _p(site, ent.points_of("production")[0].id, 45) > 0


def test_site_blackout_cuts_every_circuit() -> None:
    ent, site = _setup("site_blackout")
    assert not any(v.supply for v in site.evaluate(START + timedelta(minutes=40)).values())


def test_ct_reversed_reads_negative_control_power() -> None:
    ent, site = _setup("ct_reversed")
    c1 = ent.points_of("control")[0].id
    term = _terminal_of(ent, site, c1)
    run_for(term, 20)
    v = term.last_values[_channel(term, c1)]
    assert v["P"] < 0 < v["EPr"]


def test_tampering_zero_current_hides_a_running_control_circuit() -> None:
    ent, site = _setup("tampering_zero_current")
    c1 = ent.points_of("control")[0].id
    term = _terminal_of(ent, site, c1)
    run_for(term, 60)
    v = term.last_values[_channel(term, c1)]
    assert v["Ia"] == 0.0 and v["Ua"] > 200 and _p(site, c1, 60) > 0


def test_tampering_flatline_repeats_identical_values() -> None:
    ent, site = _setup("tampering_flatline")
    p1 = ent.points_of("production")[0].id
    term = _terminal_of(ent, site, p1)
    run_for(term, 40)
    frozen = term.last_values[_channel(term, p1)]
    run_for(term, 20, START + timedelta(minutes=41))
    assert term.last_values[_channel(term, p1)] == frozen


def test_tampering_clock_drift_runs_ahead() -> None:
    ent, site = _setup("tampering_clock_drift")
    term = _terminal_of(ent, site, ent.points_of("main")[0].id)
    term.now(START)
    assert term.now(START + timedelta(hours=1)) - (START + timedelta(hours=1)) == timedelta(minutes=10)


def test_wrong_password_and_unknown_terminal() -> None:
    ent, site = _setup("wrong_password")
    assert all(Terminal(t, ent, site, load_profile(), TerminalSettings()).password == "999999" for t in ent.terminals)
    ent2, _ = _setup("unknown_terminal")
    main_mn = next(t.mn for t in ent2.terminals if any(pid == ent2.points_of("main")[0].id for _, pid in t.channels))
    assert [t.registered for t in ent2.terminals if t.mn == main_mn] == [False]
    assert all(t.registered for t in ent2.terminals if t.mn != main_mn)


def test_over_limit_raises_and_clears_voltage_events() -> None:
    ent, site = _setup("over_limit")
    term = _terminal_of(ent, site, ent.points_of("main")[0].id)
    soe = [p for r in run_for(term, 50) if r.kind == "soe" for p in r.packets]
    assert any("EventType=over_limit," in p for p in soe) and any("EventType=over_limit_clear" in p for p in soe)


def test_wrong_start_order_stops_control_before_production_at_any_start_time() -> None:
    # Given the scenario started in the middle of a shift, and again at night
    for start in (START, START.replace(hour=23)):
        ent = build_enterprise(ROW, "wrong_start_order", 11)
        site = SiteModel(ent, load_scenario("wrong_start_order"), start, 11)
        c1, p1 = ent.points_of("control")[0].id, ent.points_of("production")[0].id
        at = {m: site.evaluate(start + timedelta(minutes=m)) for m in (170, 185)}
        # Then at minute 170 production still runs without control, and at 185 both are off
        assert at[170][p1].p_kw > 0 and at[170][c1].p_kw == 0.0
        assert at[185][p1].p_kw == 0.0 and at[185][c1].p_kw == 0.0
