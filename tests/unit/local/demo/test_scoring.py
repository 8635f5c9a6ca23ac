"""demo-check's scoring: expected alarms must be raised, and no alarm may be raised that no scenario calls for."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from local.demo.fleet import enterprise_id_for
from local.demo.scoring import check_expected, check_passes, judge_alarms
from monitoring.alarms.models import Alarm, AlarmState, Episode
from monitoring.storage.rules_memory import MemoryAlarmRepository

pytestmark = pytest.mark.unit
START = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)  # 08:00 Beijing, the manifest's sim_start


def _local(minutes: float | None) -> str | None:
    return None if minutes is None else (START + timedelta(hours=8, minutes=minutes)).replace(tzinfo=None).isoformat()


def _entry(rg: str, scenario: str, expected: list[tuple[str, str, float, float | None]]) -> dict[str, Any]:
    return {
        "id": rg,
        "name": f"如皋示例{rg}有限公司",
        "scenario": scenario,
        "expected_alarms": [
            {"rule": r, "point": p, "role": "control", "from": _local(a), "to": _local(b)} for r, p, a, b in expected
        ],
    }


def _alarm(entry: dict[str, Any], rule: str, points: tuple[str, ...], minute: float, **kw: Any) -> Alarm:
    start = START + timedelta(minutes=minute)
    evidence = kw.pop("evidence", {"control_point": points[-1], "thresholds": {"p_off_kw": 0.3}})
    return Alarm(
        id=f"{rule}|{points[-1]}|{minute}",
        rule=rule,
        subject=f"point:{points[-1]}",
        enterprise_id=enterprise_id_for("rugao", entry),
        severity="high",
        state=kw.pop("state", AlarmState.PENDING),
        episodes=(Episode(start, None, evidence, {}),),
        created_at=start + timedelta(minutes=12),
        updated_at=start + timedelta(minutes=12),
        point_ids=points,
    )


NORMAL = _entry("RG001", "normal", [])
STOPPED = _entry("RG002", "control_stopped_while_producing", [("control_stopped", "RG002-TA001", 30, 90)])
PASSWORD = _entry("RG003", "wrong_password", [("auth_failed", "RG003-TA001", 0, None)])
DRIFT = _entry("RG004", "tampering_clock_drift", [("clock_skew", "RG004-TA001", 30, None)])
MANIFEST = {"enterprises": [NORMAL, STOPPED, PASSWORD, DRIFT]}


def _judge(*alarms: Alarm) -> list[tuple[str, str, str, str]]:
    return [(u.enterprise, u.rule, u.points, u.data_time) for u in judge_alarms(MANIFEST, alarms, county_id="rugao")]


def test_any_alarm_on_a_normal_enterprise_is_unexpected_with_point_rule_data_time_and_reason() -> None:
    reading = {"RG001-TA001": [{"at": "2026-11-30T00:35:00+00:00", "p": -11.8, "ia": 20.4}]}
    evidence = {"control_point": "RG001-TA001", "thresholds": {"p_off_kw": 0.507}, "readings": reading}
    alarm = _alarm(NORMAL, "control_stopped", ("RG001-MF0001", "RG001-TA001"), 35, evidence=evidence)
    (u,) = judge_alarms(MANIFEST, [alarm], county_id="rugao", minute_interval=5)
    assert (u.enterprise, u.scenario, u.rule) == ("RG001", "normal", "control_stopped")
    assert (u.points, u.data_time, u.state) == ("RG001-MF0001,RG001-TA001", "2026-11-30 08:35", "pending")
    assert u.reason.startswith("治污设施停运") and "p_off_kw=0.507" in u.reason and "p=-11.8" in u.reason


def test_the_expected_rule_on_its_point_inside_its_window_is_explained_and_nothing_else() -> None:
    on_point = _alarm(STOPPED, "control_stopped", ("RG002-MF0001", "RG002-TA001"), 30)
    other_point = _alarm(STOPPED, "control_stopped", ("RG002-MF0002", "RG002-TA002"), 30)
    other_rule = _alarm(STOPPED, "tamper_negative_power", ("RG002-TA001",), 30)
    long_after = _alarm(STOPPED, "control_stopped", ("RG002-MF0001", "RG002-TA001"), 180)
    long_before = _alarm(STOPPED, "control_stopped", ("RG002-MF0001", "RG002-TA001"), 0)
    assert _judge(on_point, other_point, other_rule, long_after, long_before) == [
        ("RG002", "control_stopped", "RG002-MF0001,RG002-TA001", "2026-11-30 08:00"),
        ("RG002", "control_stopped", "RG002-MF0001,RG002-TA001", "2026-11-30 11:00"),
        ("RG002", "control_stopped", "RG002-MF0002,RG002-TA002", "2026-11-30 08:30"),
        ("RG002", "tamper_negative_power", "RG002-TA001", "2026-11-30 08:30"),
    ]


def test_a_companion_is_allowed_only_where_its_scenario_allows_it() -> None:
    # A terminal whose every frame is refused is offline to the platform: allowed for wrong_password only
    offline = _alarm(PASSWORD, "terminal_offline", ("RG003-TA001",), 1)
    offline_normal = _alarm(NORMAL, "terminal_offline", ("RG001-TA001",), 1)
    stopped = _alarm(PASSWORD, "control_stopped", ("RG003-MF0001", "RG003-TA001"), 30)
    assert [(e, r) for e, r, _, _ in _judge(offline, offline_normal, stopped)] == [
        ("RG001", "terminal_offline"),
        ("RG003", "control_stopped"),
    ]


def test_clock_skew_may_start_at_the_hour_its_event_is_filed_under_other_rules_may_not() -> None:
    skew = _alarm(DRIFT, "tamper_clock_skew", ("RG004-TA001",), 0)  # window opens at +30, event filed at 08:00
    assert _judge(skew) == []
    early_stop = _alarm(STOPPED, "control_stopped", ("RG002-MF0001", "RG002-TA001"), 5)  # 25 min before its window
    assert len(_judge(early_stop)) == 1


def test_a_later_episode_of_an_expected_alarm_is_judged_on_its_own() -> None:
    # Given the expected stop at 08:30-09:30, and a second stop of the same fan at the 12:00 lunch break that
    # became an episode of the same (still open) alarm
    alarm = _alarm(STOPPED, "control_stopped", ("RG002-MF0001", "RG002-TA001"), 30)
    lunch = Episode(START + timedelta(hours=4), START + timedelta(hours=4, minutes=12), {"kind": "lunch"}, {})
    morning = replace(alarm.episodes[0], end=START + timedelta(minutes=90))
    alarm = replace(alarm, episodes=(morning, lunch))
    # Then the lunch episode is unexpected, and a retracted one would not be
    assert _judge(alarm) == [("RG002", "control_stopped", "RG002-MF0001,RG002-TA001", "2026-11-30 12:00")]
    assert _judge(replace(alarm, episodes=(morning, replace(lunch, retracted=True)))) == []


def test_retracted_alarms_are_withdrawn_and_not_judged() -> None:
    retracted = _alarm(NORMAL, "terminal_offline", ("RG001-TA001",), 20, state=AlarmState.RETRACTED)
    assert _judge(retracted) == []


def test_verdict_needs_every_due_alarm_and_no_unexpected_one() -> None:
    repo = MemoryAlarmRepository()
    stores = SimpleNamespace(alarms=repo)
    manifest = {"enterprises": [NORMAL, STOPPED]}
    at_100 = START + timedelta(minutes=100)
    # Given the stopped-control expectation is due (window +30, due 16 min + 3 intervals later) but not raised
    found = check_expected(stores, manifest, county_id="rugao", platform_now=at_100, minute_interval=5)  # type: ignore[arg-type]
    assert [(e.enterprise, e.met) for e in found] == [("RG002", False)]
    assert not check_passes(found, [])
    # When it is raised, the verdict passes; an extra alarm on the normal enterprise fails it again
    repo.put(_alarm(STOPPED, "control_stopped", ("RG002-MF0001", "RG002-TA001"), 30), expected_version=None)
    found = check_expected(stores, manifest, county_id="rugao", platform_now=at_100, minute_interval=5)  # type: ignore[arg-type]
    assert check_passes(found, judge_alarms(manifest, repo.list(), county_id="rugao"))
    extra = _alarm(NORMAL, "circuit_over_voltage", ("RG001-ZJX01",), 40)
    assert not check_passes(found, judge_alarms(manifest, [*repo.list(), extra], county_id="rugao"))
    # and nothing due at all is no pass either (a check that judged nothing proves nothing)
    early = check_expected(stores, manifest, county_id="rugao", platform_now=START, minute_interval=5)  # type: ignore[arg-type]
    assert early == [] and not check_passes(early, [])
    # unless the fleet expects nothing at all (only normal enterprises): then no alarm at all is the pass
    assert check_passes([], [], expects_nothing=True)
    assert not check_passes([], judge_alarms(manifest, [extra], county_id="rugao"), expects_nothing=True)
