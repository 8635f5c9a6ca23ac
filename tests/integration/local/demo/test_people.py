"""The demo's people against a real `python -m local run` and a small simulated fleet at ×120: they respond, dispatch
and publish the alert through the HTTP API, and demo-check's judgement of them (people_check) passes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from local.demo.accounts import ensure_demo_accounts
from local.demo.harness import Run
from local.demo.people import People
from local.demo.people_check import StepCheck, check_people, people_summary
from local.demo.people_plan import Path as Way
from local.demo.people_plan import PeoplePlan, branch_username, plan_people
from local.workers import DB_FILE
from monitoring.accounts.models import Role
from monitoring.emergency.models import EmergencyAlert
from monitoring.storage.ports import Store
from monitoring.storage.sqlite import open_store

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.solo]
START = "2026-11-30T08:00:00"


@pytest.fixture
def run(tmp_path: Path) -> Iterator[Run]:
    # power_loss: the earliest alarm of the scenarios (window at +30 min, alarm ≈ +35 min = ~18 s wall at ×120)
    r = Run(tmp_path, limit=5, scenario="power_loss", accel=120, start=START)
    try:
        yield r
    finally:
        r.stop()


def test_people_respond_dispatch_and_publish_through_the_api(run: Run) -> None:
    manifest = run.prepare()
    store = open_store(run.data / DB_FILE)
    try:
        logins = {a.role: (a.username, a.password) for a in ensure_demo_accounts(store)}
    finally:
        store.close()
    plan = plan_people(manifest, seed=1, start=datetime.fromisoformat(START))
    paths = {b.path for b in plan.behaviours}
    assert {Way.RESPOND, Way.BRANCH_TAKES} <= paths, "the plan of 5 enterprises has a responder and a branch dispatch"
    run.start()
    run.wait_for(lambda st: bool(st and st.get("api_url")), 30, "api_url")
    status = run.status()
    assert status is not None
    people = People(
        str(status["api_url"]).removesuffix("/api/v1").rstrip("/"),
        run.data,
        plan,
        admin=logins[Role.ADMIN],
        emergency=logins[Role.EMERGENCY],
        every_s=0.5,
    )
    people.start()
    try:
        responded, dispatched = _wait_for_steps(run, plan, timeout=80)
        assert responded and dispatched, f"responses {responded}, branch dispatches {dispatched}; {people.failed}"
        steps, alert = _judged(run, plan, logins[Role.EMERGENCY][0], timeout=30)
    finally:
        people.stop()
    assert people.done["publish_alert"] == 1
    # nothing refused but version conflicts (the escalation or a previous pass moved the alarm on)
    assert all(key.endswith(":conflict") for key in people.failed), people.failed
    ok, lines = people_summary(steps)
    assert ok, "\n".join(lines)
    assert any("企业按时响应" in s.what for s in steps) and any("分局派发" in s.what for s in steps)
    assert alert.start == plan.alert.publish_at and alert.level.value == "orange"


def _judged(run: Run, plan: PeoplePlan, emergency: str, timeout: float) -> tuple[list[StepCheck], EmergencyAlert]:
    """demo-check's judgement of the people once it includes a response and a branch dispatch (each step is
    judged only SLACK after its planned time)."""
    deadline = time.monotonic() + timeout
    while True:
        now = run.platform_time()
        assert now is not None
        store = open_store(run.data / DB_FILE)
        try:
            steps = check_people(store, plan, now, emergency=emergency)
            alert = store.emergency.get_alert(plan.alert.alert_id)
        finally:
            store.close()
        kinds = {k for k in ("企业按时响应", "分局派发") if any(k in s.what for s in steps)}
        if len(kinds) == 2 or time.monotonic() > deadline:
            return steps, alert
        time.sleep(1)


def _wait_for_steps(run: Run, plan: PeoplePlan, timeout: float) -> tuple[int, int]:
    """(alarms responded by an enterprise account, alarms dispatched by a branch account), both through the API
    (the audit's source), once each is at least one, or at the deadline."""
    deadline = time.monotonic() + timeout
    responded = dispatched = 0
    while time.monotonic() < deadline:
        store = open_store(run.data / DB_FILE)
        try:
            people = _people_accounts(store, plan)
            responded = dispatched = 0
            for alarm in store.alarms.list(limit=1000):
                for e in store.audit.for_alarm(alarm.id):
                    if e.actor in people and e.source.startswith("ip:"):
                        responded += e.action == "responded" and people[e.actor].startswith("people_ent_")
                        dispatched += e.action == "dispatched" and people[e.actor].startswith("people_branch_")
        finally:
            store.close()
        if responded and dispatched:
            break
        time.sleep(1)
    return responded, dispatched


def _people_accounts(store: Store, plan: PeoplePlan) -> dict[str, str]:
    """Account id → user name of the people's accounts made so far."""
    names = [b.username for b in plan.behaviours]
    names += [branch_username(store.registry.get_enterprise(b.enterprise_id).branch_id) for b in plan.behaviours]
    found = (store.accounts.find_by_username(n) for n in names)
    return {a.id: a.username for a in found if a is not None}
