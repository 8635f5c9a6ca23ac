"""Builders shared by the simulator unit tests: a small enterprise and a terminal on it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from simulator.model import SiteModel
from simulator.profile import load_profile
from simulator.scenario import Scenario, parse_scenario
from simulator.spec import EnterpriseSpec, PointSpec, TerminalSpec
from simulator.terminal import Terminal, TerminalSettings

START = datetime(2026, 11, 30, 8, 0, 0)  # a Monday


def enterprise(shift: str = "day", shared: bool = False) -> EnterpriseSpec:
    """Main incoming, one production line and the fan that treats it; optionally on one 2-channel terminal."""
    points = (
        PointSpec("E1-M1", "ZJX01", "总进线", "main", 300.0, 0.9, 0.5, 0.0),
        PointSpec("E1-P1", "MF0001", "中频电炉", "production", 120.0, 0.85, 0.8, 5.0),
        PointSpec("E1-C1", "TA001", "布袋除尘风机", "control", 30.0, 0.85, 0.8, 1.0, ("E1-P1",)),
    )
    if shared:
        terms = (
            TerminalSpec("010000A80000000100000001", "123456", ((1, "E1-M1"),)),
            TerminalSpec("010000A80000000100000002", "123456", ((1, "E1-P1"), (2, "E1-C1"))),
        )
    else:
        terms = tuple(
            TerminalSpec(f"010000A8000000010000000{i}", "123456", ((1, p.id),)) for i, p in enumerate(points, 1)
        )
    return EnterpriseSpec(
        "E1",
        1,
        "测试企业",
        "长江镇",
        "大气管控企业",
        "执法一局",
        "metal",
        shift,
        "x",
        32.1,
        120.5,
        points,
        terms,
        5.0,
        10.0,
    )


def scenario(*effects: dict[str, Any], expect: list[dict[str, Any]] | None = None) -> Scenario:
    return parse_scenario(
        {"name": "t", "title_zh": "测试", "description": "test", "effects": list(effects), "expect": expect or []}
    )


def terminal(sc: Scenario, mn_index: int = 1, *, shared: bool = False, seed: int = 7, **settings: Any) -> Terminal:
    ent = enterprise(shared=shared)
    site = SiteModel(ent, sc, START, seed)
    return Terminal(ent.terminals[mn_index - 1], ent, site, load_profile(), TerminalSettings(**settings))


@pytest.fixture
def profile():  # type: ignore[no-untyped-def]
    return load_profile()


def run_for(term: Terminal, minutes: float, start: datetime = START) -> list:  # type: ignore[type-arg]
    """Step a terminal over `minutes` of simulated time; all records it produced."""
    from datetime import timedelta

    out = []
    steps = int(minutes * 60 / term.settings.sample_s)
    for k in range(steps + 1):
        out += term.step(start + timedelta(seconds=k * term.settings.sample_s))
    return out
