"""Scenario files: every bundled one is valid; malformed documents are rejected with a clear message."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from simulator.scenario import ScenarioError, bundled_names, load_scenario, parse_scenario

pytestmark = pytest.mark.unit
REQUIRED = {
    "normal",
    "control_stopped_while_producing",
    "control_idling",
    "wrong_start_order",
    "producing_during_curtailment",
    "terminal_offline",
    "power_loss",
    "site_blackout",
    "ct_reversed",
    "tampering_zero_current",
    "tampering_flatline",
    "tampering_clock_drift",
    "wrong_password",
    "unknown_terminal",
}


def _doc(*effects: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"name": "x", "title_zh": "x", "description": "x", "effects": list(effects), **extra}


def test_all_required_scenarios_are_bundled_and_valid() -> None:
    assert REQUIRED <= set(bundled_names())
    for name in bundled_names():
        sc = load_scenario(name)
        assert sc.name == name and sc.title_zh
        assert name == "normal" or sc.expect  # every deviation says which alarm it should cause


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ([], "must be a JSON object"),
        ({"name": "x"}, "title_zh"),
        (_doc({"type": "explode"}), "unknown effect type"),
        (_doc({"type": "control_idle", "from_min": 1}), "needs 'level'"),
        (_doc({"type": "control_idle", "level": "low"}), "wrong type"),
        (_doc({"type": "control_off", "from_min": 10, "to_min": 5}), "after from_min"),
        (_doc({"type": "control_off", "from_min": -1}), "non-negative"),
        (_doc({"type": "control_off", "role": "boss"}), "role must be"),
        (_doc({"type": "control_off", "colour": "red"}), "unknown keys"),
        (_doc({"type": "ct_reversed", "phases": "abd"}), "phases"),
        (_doc({"type": "clock_drift", "s_per_hour": True, "accept_time_set": True}), "wrong type"),
        (_doc(expect=[{"rule": 1, "role": "control"}]), "expect"),
        (_doc({"type": "control_idle", "level": 1.5}), "out of range"),
        (_doc({"type": "curtailment", "level": "purple", "reduction": 0.4, "comply": True}), "out of range"),
        (_doc({"type": "wrong_password", "password": "a;b"}), "out of range"),
    ],
)
def test_malformed_scenario_is_rejected(doc: Any, message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        parse_scenario(doc)


def test_unknown_scenario_name_lists_the_bundled_ones() -> None:
    with pytest.raises(ScenarioError, match="bundled: .*normal"):
        load_scenario("no_such_scenario")


def test_effect_window_is_relative_to_the_start() -> None:
    sc = parse_scenario(_doc({"type": "control_off", "from_min": 30, "to_min": 90}))
    start = datetime(2026, 11, 30, 8, 0)
    assert not sc.effects[0].active(start, datetime(2026, 11, 30, 8, 29, 59))
    assert sc.effects[0].active(start, datetime(2026, 11, 30, 8, 30))
    assert not sc.effects[0].active(start, datetime(2026, 11, 30, 9, 30))
