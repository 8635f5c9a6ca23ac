"""The demo's people are planned from the manifest and the seed: deterministic, every path present, steps inside
the notice's limits, the alert timed on the simulated start."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from local.demo.people_check import SLACK
from local.demo.people_plan import (
    CAUSE_TEXTS,
    PATH_CYCLE,
    Path,
    branch_username,
    password_for,
    plan_people,
)
from monitoring.alarms.models import Cause

pytestmark = pytest.mark.unit
START = datetime(2026, 11, 30, 8, 0)  # naive, Beijing time: the demo's --start


def _manifest(n: int, *, normal: int = 2) -> dict[str, Any]:
    expected = [{"rule": "power_loss", "from": "2026-11-30T08:30:00"}]
    scenario = [
        {"id": f"RG{i:03d}", "name": f"企业{i}", "scenario": "power_loss", "expected_alarms": expected}
        for i in range(1, n + 1)
    ]
    quiet = [
        {"id": f"RG{900 + i}", "name": f"正常{i}", "scenario": "normal", "expected_alarms": []} for i in range(normal)
    ]
    return {"enterprises": scenario + quiet}


def test_same_seed_same_plan_other_seed_other_plan() -> None:
    manifest = _manifest(12)
    assert plan_people(manifest, seed=1, start=START) == plan_people(manifest, seed=1, start=START)
    other = plan_people(manifest, seed=2, start=START)
    assert other != plan_people(manifest, seed=1, start=START)
    assert {b.enterprise for b in other.behaviours} == {f"RG{i:03d}" for i in range(1, 13)}


def test_only_scenario_enterprises_act_and_four_show_every_path() -> None:
    plan = plan_people(_manifest(4), seed=7, start=START)
    assert sorted(b.path for b in plan.behaviours) == sorted(PATH_CYCLE)
    assert not any(b.enterprise.startswith("RG9") for b in plan.behaviours)  # normal ones have no alarm to work
    # the enterprise's registry id, as the list importer makes it
    assert all(b.enterprise_id.startswith("rugao") for b in plan.behaviours)


def test_paths_are_spread_evenly_over_a_county() -> None:
    plan = plan_people(_manifest(130), seed=1, start=START)
    counts = {p: sum(b.path is p for b in plan.behaviours) for p in Path}
    assert set(counts.values()) <= {32, 33}


def test_each_step_is_timed_inside_the_limits() -> None:
    created = datetime(2026, 11, 30, 0, 40, tzinfo=UTC)
    for b in plan_people(_manifest(40), seed=3, start=START).behaviours:
        respond, dispatch = b.respond_at(created), b.dispatch_at(created)
        assert Cause(b.cause) in Cause and b.text in CAUSE_TEXTS[b.cause]
        assert b.result and b.close_note
        if b.path in (Path.RESPOND, Path.RESPOND_WORKED):
            assert respond is not None and created < respond <= created + timedelta(hours=2)
        else:
            assert respond is None  # the branch's own case and the overrun: the enterprise stays silent
        if b.path is Path.RESPOND_WORKED:
            assert respond is not None and dispatch is not None and dispatch > respond
        elif b.path is Path.BRANCH_TAKES:
            assert dispatch is not None and dispatch < created + timedelta(hours=2)  # before the escalation would
        else:
            assert dispatch is None  # RESPOND: left with the bureau; OVERRUN: the escalation job dispatches


@pytest.mark.parametrize("seed", range(1, 30))
def test_the_alert_is_published_after_the_start_and_ended_before_its_planned_end(seed: int) -> None:
    a = plan_people(_manifest(3), seed=seed, start=START).alert
    start_utc = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)
    assert start_utc + timedelta(minutes=20) <= a.publish_at <= start_utc + timedelta(minutes=30)
    assert a.publish_at < a.end_at < a.planned_end and a.level == "orange"
    # demo-check runs 95 simulated minutes: publishing and ending are both judged (SLACK after them) inside it
    assert a.end_at + SLACK <= start_utc + timedelta(minutes=95)
    assert a.publish_at.second == 0 == a.end_at.second  # the API keeps alert times to the minute


def test_account_names_fit_the_api_and_passwords_are_stable() -> None:
    long_branch = "rugao-branch-" + "x" * 80
    assert len(branch_username(long_branch)) <= 32 and branch_username(long_branch) != branch_username("rugao-b1")
    assert (
        password_for("people_ent_RG001", 1)
        == password_for("people_ent_RG001", 1)
        != password_for("people_ent_RG001", 2)
    )
