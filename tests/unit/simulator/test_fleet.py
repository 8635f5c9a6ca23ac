"""Fleet generation from the enterprise list, the scenario mix, and the manifest."""

from __future__ import annotations

import collections
from datetime import datetime
from pathlib import Path

import pytest

from simulator.fleet import (
    CsvEnterprise,
    FleetError,
    assign_scenarios,
    build_enterprise,
    build_fleet,
    default_mix,
    parse_mix,
    read_enterprises,
)
from simulator.manifest import manifest
from simulator.scenario import bundled_names

pytestmark = pytest.mark.unit
RUGAO = Path(__file__).resolve().parents[3] / "data" / "registry" / "rugao_2022_enterprises.csv"
ROWS = [
    CsvEnterprise(i, "长江镇", n, "大气管控企业", "执法一局")
    for i, n in enumerate(
        ["如皋市某铸造厂", "南通某混凝土有限公司", "江苏某化工有限公司", "某某纺织品公司", "某某有限公司"] * 8, 1
    )
]


def test_rugao_list_reads_301_enterprises() -> None:
    rows = read_enterprises(RUGAO)
    assert len(rows) == 301 and rows[0].seq == 1 and rows[0].town == "城北街道"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a,b\n1,2\n", "expected columns"),
        ("seq,town,enterprise_name,install_category,enforcement_branch\nx,t,n,c,b\n", "seq must be"),
        ("seq,town,enterprise_name,install_category,enforcement_branch\n1,t,n,c,b\n1,t,m,c,b\n", "seq must be"),
        ("seq,town,enterprise_name,install_category,enforcement_branch\n1,t,,c,b\n", "enterprise_name"),
        ("seq,town,enterprise_name,install_category,enforcement_branch\n", "no enterprises"),
    ],
)
def test_bad_enterprise_list_is_rejected_with_a_clear_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "list.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FleetError, match=message):
        read_enterprises(path)


def test_missing_enterprise_list_is_a_fleet_error(tmp_path: Path) -> None:
    with pytest.raises(FleetError, match="cannot read"):
        read_enterprises(tmp_path / "nope.csv")


def test_enterprise_has_main_production_and_control_points_each_on_one_channel() -> None:
    for row in ROWS:
        e = build_enterprise(row, "normal", 3)
        roles = collections.Counter(p.role for p in e.points)
        assert roles["main"] == 1 and roles["production"] >= 1 and roles["control"] >= 1
        channels = [pid for t in e.terminals for _, pid in t.channels]
        assert sorted(channels) == sorted(p.id for p in e.points)
        prod = {p.id for p in e.points if p.role == "production"}
        served = {s for p in e.points if p.role == "control" for s in p.serves}
        assert served == prod  # every production line is treated by some control facility
        assert all(len(t.mn) == 24 and int(t.mn, 16) >= 0 and len(t.password) == 6 for t in e.terminals)


def test_industry_from_the_name_sets_the_shift_and_facilities() -> None:
    foundry = build_enterprise(ROWS[0], "normal", 1)
    chemical = build_enterprise(ROWS[2], "normal", 1)
    assert (foundry.industry, foundry.shift) == ("metal", "two_shift")
    assert (chemical.industry, chemical.shift) == ("chemical", "continuous")


def test_fleet_is_deterministic_for_a_seed_and_mns_are_unique() -> None:
    a, b, c = (
        build_fleet(ROWS, default_mix(), 5),
        build_fleet(ROWS, default_mix(), 5),
        build_fleet(ROWS, default_mix(), 6),
    )
    assert a == b and a != c
    mns = [t.mn for e in a for t in e.terminals]
    assert len(mns) == len(set(mns))


def test_scenario_mix_places_every_weighted_scenario_when_the_fleet_is_big_enough() -> None:
    names = assign_scenarios(301, default_mix(), 1)
    assert set(names) == set(bundled_names())
    assert 0.4 < names.count("normal") / 301 < 0.7


def test_mix_parsing_rejects_unknown_names_and_bad_weights() -> None:
    assert parse_mix("normal=1,power_loss=0.5") == {"normal": 1.0, "power_loss": 0.5}
    for bad in ("nosuch=1", "normal=x", "normal=-1", "normal=0"):
        with pytest.raises(FleetError):
            parse_mix(bad)


def test_manifest_lists_points_terminals_and_expected_alarms() -> None:
    # Given one enterprise per scenario of interest
    fleet = [
        build_enterprise(ROWS[0], "power_loss", 1),
        build_enterprise(ROWS[1], "unknown_terminal", 1),
        build_enterprise(ROWS[2], "producing_during_curtailment", 1),
    ]
    doc = manifest(fleet, seed=1, start=datetime(2026, 11, 30, 8, 0), settings={"st": "31"})
    pl, unknown, curtail = doc["enterprises"]
    # Then every point names its terminal and channel, and expectations carry point ids and absolute times
    assert all(p["terminal_mn"] in {t["mn"] for t in pl["terminals"]} for p in pl["points"])
    assert pl["expected_alarms"] == [
        {
            "rule": "power_loss",
            "point": "RG001-TA001",
            "role": "control",
            "from": "2026-11-30T08:30:00",
            "to": "2026-11-30T09:00:00",
        }
    ]
    main_mn = next(p["terminal_mn"] for p in unknown["points"] if p["role"] == "main")
    assert [t["registered"] for t in unknown["terminals"] if t["mn"] == main_mn] == [False]
    assert curtail["orders"] == [
        {
            "level": "orange",
            "reduction": 0.4,
            "complies": False,
            "from": "2026-11-30T08:20:00",
            "to": "2026-11-30T11:20:00",
        }
    ]
    assert doc["format"] == "simulator-fleet-manifest" and doc["version"] == 1


def test_behaving_control_starts_before_and_stops_5_to_15_min_after_production_as_in_practice() -> None:
    # Real plants stop the fan 5-15 min after production (docs/rules.md, family 3); the platform's defaults must
    # accept that, so the simulator's behaving enterprises do it rather than a lag tuned to an old default.
    lags = []
    for seed in (1, 2, 3):
        for row in ROWS:
            e = build_enterprise(row, "normal", seed)
            assert e.lead_min >= 0 and 5 <= e.lag_min <= 15, (row.seq, seed, e.lead_min, e.lag_min)
            lags.append(e.lag_min)
    assert min(lags) < 7 and max(lags) > 13  # the whole range is exercised
